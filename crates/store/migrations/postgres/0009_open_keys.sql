-- Duplicate detection, compacted: one key per (identifier, requesting state, authority) of an open case, derived
-- from the identifier's keyed hash (`Sealer::identifier_key`) with the state and the authority, so that a lookup
-- is one index seek per key that finds the earliest open case directly, in two fifths of the old table's space.
-- The case keeps its own keys (`cases.open_keys`) to delete exactly these rows when it leaves the open states,
-- so the table needs no second index. The rows of `case_open_identifiers` are carried over by the store on
-- connect (the same code on both backends), in one transaction that then drops that table.
CREATE TABLE case_open_keys (
    open_key BYTEA NOT NULL CHECK (length(open_key) = 32),
    taken_in_at BIGINT NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    PRIMARY KEY (open_key, taken_in_at, case_id)
);

ALTER TABLE cases ADD COLUMN open_keys BYTEA;
