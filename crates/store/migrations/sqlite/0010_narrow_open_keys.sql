-- Narrow open keys: each row of `case_open_keys` is written at a random place in its index (the keys are keyed
-- hashes), so the table's width is what intake pays per key as the store grows: pages read past the page cache
-- and pages written to the WAL at every commit. A row now holds the first 16 bytes of the open key (128 bits:
-- two different keys share them with probability 2^-128 per pair) and the case as the index of its `received`
-- ledger leaf, unique per case and known before the case is written, instead of its 28-character id; about
-- 30 bytes instead of 76. `cases.open_keys` keeps the whole 32-byte keys.
ALTER TABLE cases ADD COLUMN received_leaf INTEGER;
UPDATE cases SET received_leaf = (SELECT leaf_index FROM case_events WHERE case_id = cases.id AND seq = 0);
CREATE UNIQUE INDEX cases_received_leaf ON cases (received_leaf);

CREATE TABLE case_open_keys_narrow (
    open_key BLOB NOT NULL CHECK (length(open_key) = 16),
    taken_in_at INTEGER NOT NULL,
    case_leaf INTEGER NOT NULL REFERENCES cases (received_leaf),
    PRIMARY KEY (open_key, taken_in_at, case_leaf)
) WITHOUT ROWID;
INSERT INTO case_open_keys_narrow (open_key, taken_in_at, case_leaf)
    SELECT substr(k.open_key, 1, 16), k.taken_in_at, c.received_leaf
    FROM case_open_keys AS k JOIN cases AS c ON c.id = k.case_id
    ORDER BY 1, 2, 3;
DROP TABLE case_open_keys;
ALTER TABLE case_open_keys_narrow RENAME TO case_open_keys;
