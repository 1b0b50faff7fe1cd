-- Cases are kept (see the PostgreSQL migration of the same number, which checks the links of events and open keys
-- to their case once per statement and relies on this): a case is never deleted, nor its id or (once set) its
-- received leaf changed, and its events and open keys stay with it; purge removes personal data and keeps the row.
-- SQLite keeps its foreign keys, which cost an index probe per row and take no lock.
CREATE TRIGGER cases_never_deleted BEFORE DELETE ON cases
BEGIN
    SELECT RAISE(ABORT, 'rows of table "cases" are kept: DELETE refused (a case is never deleted)');
END;
CREATE TRIGGER cases_keep_their_keys BEFORE UPDATE OF id, received_leaf ON cases
    WHEN OLD.id IS NOT NEW.id OR (OLD.received_leaf IS NOT NULL AND OLD.received_leaf IS NOT NEW.received_leaf)
BEGIN
    SELECT RAISE(ABORT, 'rows of table "cases" are kept: UPDATE refused (a case''s id and received leaf never change)');
END;
CREATE TRIGGER case_events_stay BEFORE UPDATE OF case_id ON case_events WHEN OLD.case_id IS NOT NEW.case_id
BEGIN
    SELECT RAISE(ABORT, 'rows of table "case_events" are kept: UPDATE refused (an event stays with its case)');
END;
CREATE TRIGGER case_open_keys_stay BEFORE UPDATE OF case_leaf ON case_open_keys
    WHEN OLD.case_leaf IS NOT NEW.case_leaf
BEGIN
    SELECT RAISE(ABORT, 'rows of table "case_open_keys" are kept: UPDATE refused (an open key stays with its case)');
END;
