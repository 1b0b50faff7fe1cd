-- The transparency ledger: leaves and the hashes of complete subtrees, each row written once.
-- A node (level L, index k) covers leaves k*2^L .. (k+1)*2^L - 1 and is keyed by its last leaf, so the
-- primary-key order is the order in which appends complete nodes.
CREATE TABLE ledger_leaves (
    idx BIGINT PRIMARY KEY CHECK (idx >= 0),
    data BYTEA NOT NULL,
    leaf_hash BYTEA NOT NULL CHECK (octet_length(leaf_hash) = 32)
);

CREATE TABLE ledger_nodes (
    last_leaf BIGINT NOT NULL CHECK (last_leaf >= 0),
    level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 63),
    hash BYTEA NOT NULL CHECK (octet_length(hash) = 32),
    PRIMARY KEY (last_leaf, level)
);

-- Append-only: the database itself refuses to change or remove a ledger row.
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are append-only';
END;
$$;
CREATE TRIGGER ledger_leaves_append_only BEFORE UPDATE OR DELETE ON ledger_leaves
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_leaves_no_truncate BEFORE TRUNCATE ON ledger_leaves
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_nodes_append_only BEFORE UPDATE OR DELETE ON ledger_nodes
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_nodes_no_truncate BEFORE TRUNCATE ON ledger_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
