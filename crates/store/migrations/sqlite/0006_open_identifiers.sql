-- Duplicate detection reads the identifier keys of open cases only, with the requesting state, the authority and
-- our time of receipt, so its cost follows the open queue and never the number of cases the store has ever held.
-- A case's keys are deleted when it leaves the open states, so the keyed hashes of finished cases are not kept.
CREATE TABLE case_open_identifiers (
    ident_key BLOB NOT NULL,
    requesting_state TEXT NOT NULL,
    authority TEXT NOT NULL,
    taken_in_at INTEGER NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    PRIMARY KEY (ident_key, taken_in_at, case_id)
) WITHOUT ROWID;
CREATE INDEX case_open_identifiers_case ON case_open_identifiers (case_id);

INSERT INTO case_open_identifiers (ident_key, requesting_state, authority, taken_in_at, case_id)
SELECT i.ident_key, c.requesting_state, c.authority, e.at, c.id
FROM case_identifiers i
JOIN cases c ON c.id = i.case_id
JOIN case_events e ON e.case_id = c.id AND e.seq = 0
WHERE c.state IN ('received', 'screened', 'in_review', 'information_requested', 'consultation');

DROP TABLE case_identifiers;
