-- The links from `case_events` and `case_open_keys` to their case, checked once per statement instead of once
-- per row. PostgreSQL checks a foreign key with a row trigger that locks the referenced case row (`FOR KEY
-- SHARE`), and the lock is a WAL record: at intake, seven per case (two events, about five open keys), which made
-- a quarter of the time of a batch. The same invariant is kept with less work:
--   * a case is never deleted, nor its id or (once set) its received leaf changed; purge removes personal data
--     and keeps the row. So a case that exists when a statement ends exists for good;
--   * events and open keys never move to another case;
--   * after every insert, one anti-join of the inserted rows against the cases' unique indexes refuses the
--     statement if any row names no case (SQLSTATE 23503, as the foreign key did).
CREATE FUNCTION case_rows_are_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'rows of table "%" are kept: % refused (a case is never deleted, nor its id or received leaf changed; its events and open keys stay with it)',
        TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER cases_never_deleted BEFORE DELETE ON cases
    FOR EACH ROW EXECUTE FUNCTION case_rows_are_kept();
CREATE TRIGGER cases_no_truncate BEFORE TRUNCATE ON cases
    FOR EACH STATEMENT EXECUTE FUNCTION case_rows_are_kept();
CREATE TRIGGER cases_keep_their_keys BEFORE UPDATE OF id, received_leaf ON cases
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id
        OR (OLD.received_leaf IS NOT NULL AND OLD.received_leaf IS DISTINCT FROM NEW.received_leaf))
    EXECUTE FUNCTION case_rows_are_kept();
CREATE TRIGGER case_events_stay BEFORE UPDATE OF case_id ON case_events
    FOR EACH ROW WHEN (OLD.case_id IS DISTINCT FROM NEW.case_id) EXECUTE FUNCTION case_rows_are_kept();
CREATE TRIGGER case_open_keys_stay BEFORE UPDATE OF case_leaf ON case_open_keys
    FOR EACH ROW WHEN (OLD.case_leaf IS DISTINCT FROM NEW.case_leaf) EXECUTE FUNCTION case_rows_are_kept();

ALTER TABLE case_events DROP CONSTRAINT case_events_case_id_fkey;
ALTER TABLE case_open_keys DROP CONSTRAINT case_open_keys_narrow_case_leaf_fkey;

-- Index probes only (`SET` below): a hash or merge join would read every case, and the cost of a statement would
-- grow with the store.
CREATE FUNCTION case_events_have_cases() RETURNS trigger LANGUAGE plpgsql
    SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off AS $$
DECLARE
    missing TEXT;
BEGIN
    SELECT n.case_id INTO missing FROM inserted AS n
        WHERE NOT EXISTS (SELECT 1 FROM cases AS c WHERE c.id = n.case_id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert on table "case_events" refused: no case "%"', missing
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER case_events_have_cases AFTER INSERT ON case_events
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION case_events_have_cases();

CREATE FUNCTION case_open_keys_have_cases() RETURNS trigger LANGUAGE plpgsql
    SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off AS $$
DECLARE
    missing BIGINT;
BEGIN
    SELECT n.case_leaf INTO missing FROM inserted AS n
        WHERE NOT EXISTS (SELECT 1 FROM cases AS c WHERE c.received_leaf = n.case_leaf) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert on table "case_open_keys" refused: no case with received leaf %', missing
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER case_open_keys_have_cases AFTER INSERT ON case_open_keys
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION case_open_keys_have_cases();
