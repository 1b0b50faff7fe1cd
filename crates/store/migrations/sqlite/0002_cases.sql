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
    received_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    decided_at INTEGER,
    closed_at INTEGER,
    preservation_expires_at INTEGER,
    duplicate_of TEXT,
    next_seq INTEGER NOT NULL,
    sealed BLOB,
    purged_at INTEGER,
    -- Reference first, so that a batch of references is looked up through this index.
    UNIQUE (reference, requesting_state, authority)
);
CREATE INDEX cases_state_due ON cases (state, due_at);

-- Keyed hashes of target identifiers, for duplicate detection without decrypting.
CREATE TABLE case_identifiers (
    ident_key BLOB NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    PRIMARY KEY (ident_key, case_id)
) WITHOUT ROWID;

-- Every event of every case, with the ledger leaf that records it. `detail` is sealed (it can hold names).
CREATE TABLE case_events (
    case_id TEXT NOT NULL REFERENCES cases (id),
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    event TEXT NOT NULL,
    state TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    leaf_index INTEGER NOT NULL,
    detail BLOB,
    PRIMARY KEY (case_id, seq)
);
