-- Accounts are disabled, never deleted (case events and the ledger name them); a disabled account cannot sign
-- in, use a session or token, or confirm a decision.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;

-- Preserved data expires: expired and expiring preservations surface in the queue through this index.
CREATE INDEX cases_preservation_expires ON cases (preservation_expires_at);
