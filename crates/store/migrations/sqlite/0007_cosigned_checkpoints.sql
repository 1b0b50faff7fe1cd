-- Checkpoints co-signed by a quorum of witnesses (c2sp.org/tlog-cosignature): the signed note with the log's
-- signature and every cosignature gathered, by tree size. The latest is what /ledger/checkpoint publishes.
-- Rows are added or given more cosignatures, never deleted.
CREATE TABLE cosigned_checkpoints (
    size INTEGER PRIMARY KEY,
    note TEXT NOT NULL,
    cosigned_at INTEGER NOT NULL
);
