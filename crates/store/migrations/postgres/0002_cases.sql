-- Cases: non-personal columns in clear for lists, filters and deadlines; personal data (the request as
-- received, the screening decision, the commitment salt) sealed with XChaCha20-Poly1305 in `sealed`.
CREATE TABLE cases (
    id TEXT PRIMARY KEY NOT NULL,
    requesting_state TEXT NOT NULL,
    authority TEXT NOT NULL,
    reference TEXT NOT NULL,
    measure TEXT NOT NULL,
    urgency TEXT NOT NULL,
    channel TEXT NOT NULL,
    recommended TEXT NOT NULL,
    state TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    decided_at BIGINT,
    closed_at BIGINT,
    preservation_expires_at BIGINT,
    duplicate_of TEXT,
    next_seq BIGINT NOT NULL,
    sealed BYTEA,
    purged_at BIGINT,
    -- Reference first, so that a batch of references is looked up through this index.
    UNIQUE (reference, requesting_state, authority)
);
CREATE INDEX cases_state_due ON cases (state, due_at);

-- Keyed hashes of target identifiers, for duplicate detection without decrypting.
CREATE TABLE case_identifiers (
    ident_key BYTEA NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    PRIMARY KEY (ident_key, case_id)
);

-- Every event of every case, with the ledger leaf that records it. `detail` is sealed (it can hold names).
CREATE TABLE case_events (
    case_id TEXT NOT NULL REFERENCES cases (id),
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    event TEXT NOT NULL,
    state TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    leaf_index BIGINT NOT NULL,
    detail BYTEA,
    PRIMARY KEY (case_id, seq)
);
