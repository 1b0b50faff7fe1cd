-- The transparency ledger: leaves and the hashes of complete subtrees, each row written once.
-- A node (level L, index k) covers leaves k*2^L .. (k+1)*2^L - 1 and is keyed by its last leaf, so the
-- primary-key order is the order in which appends complete nodes.
CREATE TABLE ledger_leaves (
    idx INTEGER PRIMARY KEY NOT NULL CHECK (idx >= 0),
    data BLOB NOT NULL,
    leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32)
);

CREATE TABLE ledger_nodes (
    last_leaf INTEGER NOT NULL CHECK (last_leaf >= 0),
    level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 63),
    hash BLOB NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (last_leaf, level)
) WITHOUT ROWID;

-- Append-only: the database itself refuses to change or remove a ledger row.
CREATE TRIGGER ledger_leaves_no_update BEFORE UPDATE ON ledger_leaves
BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only'); END;
CREATE TRIGGER ledger_leaves_no_delete BEFORE DELETE ON ledger_leaves
BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only'); END;
CREATE TRIGGER ledger_nodes_no_update BEFORE UPDATE ON ledger_nodes
BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only'); END;
CREATE TRIGGER ledger_nodes_no_delete BEFORE DELETE ON ledger_nodes
BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only'); END;
