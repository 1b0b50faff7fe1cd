-- Kept tallies: the statistics of one reporting period counted over the ledger's first `size` leaves, serialized,
-- so that a report or the public page takes up counting where it stopped instead of reading every leaf again.
-- A cache, not a record: the ledger stays the source of every number, and `report verify` recounts from it.
-- One row per first day of a period; a row is replaced only by one ending later, or as late and counting more.
CREATE TABLE kept_tallies (
    period_from TEXT PRIMARY KEY,
    period_to TEXT NOT NULL,
    size BIGINT NOT NULL,
    root BYTEA NOT NULL,
    body BYTEA NOT NULL,
    digest BYTEA NOT NULL,
    kept_at BIGINT NOT NULL
);
