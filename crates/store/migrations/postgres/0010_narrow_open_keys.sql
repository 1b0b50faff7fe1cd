-- Narrow open keys (see the SQLite migration of the same number): the first 16 bytes of each open key, and the
-- case as the index of its `received` ledger leaf instead of its id. `cases.open_keys` keeps the whole keys.
ALTER TABLE cases ADD COLUMN received_leaf BIGINT;
UPDATE cases SET received_leaf = (SELECT leaf_index FROM case_events WHERE case_id = cases.id AND seq = 0);
ALTER TABLE cases ADD CONSTRAINT cases_received_leaf UNIQUE (received_leaf);

CREATE TABLE case_open_keys_narrow (
    open_key BYTEA NOT NULL CHECK (length(open_key) = 16),
    taken_in_at BIGINT NOT NULL,
    case_leaf BIGINT NOT NULL REFERENCES cases (received_leaf),
    PRIMARY KEY (open_key, taken_in_at, case_leaf)
);
INSERT INTO case_open_keys_narrow (open_key, taken_in_at, case_leaf)
    SELECT substring(k.open_key FROM 1 FOR 16), k.taken_in_at, c.received_leaf
    FROM case_open_keys AS k JOIN cases AS c ON c.id = k.case_id;
DROP TABLE case_open_keys;
ALTER TABLE case_open_keys_narrow RENAME TO case_open_keys;
