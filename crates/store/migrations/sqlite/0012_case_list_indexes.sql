-- Case lists (`Store::cases`) read one ordered index range per state instead of sorting every matching case:
-- listing the open queue sorted each of a million open cases to show the first hundred (1.3 s on SQLite, 1.0 s on
-- PostgreSQL). Each list is in (due_at, id) order, so each index ends with those columns; running preservations have
-- a partial index of their own.
DROP INDEX cases_state_due;
CREATE INDEX cases_state_due ON cases (state, due_at, id);
CREATE INDEX cases_due ON cases (due_at, id);
DROP INDEX cases_preservation_expires;
CREATE INDEX cases_running_preservations ON cases (preservation_expires_at, id)
    WHERE preservation_expires_at IS NOT NULL AND state IN ('approved', 'approved_in_part', 'executed');
