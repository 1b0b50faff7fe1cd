-- How many cases the store holds, kept as cases are inserted (see the SQLite migration of the same number): once per
-- statement here. Intake already holds the ledger's lock, so the counter row adds no waiting.
CREATE TABLE case_count (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    cases BIGINT NOT NULL CHECK (cases >= 0)
);
INSERT INTO case_count (one, cases) SELECT 1, count(*) FROM cases;
CREATE FUNCTION cases_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE case_count SET cases = cases + (SELECT count(*) FROM inserted) WHERE one = 1;
    RETURN NULL;
END $$;
CREATE TRIGGER cases_counted AFTER INSERT ON cases
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION cases_counted();
