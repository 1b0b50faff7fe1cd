//! The ledger tables: append-only leaves and complete-subtree node hashes, proofs read in O(log n)
//! rows, and a full recomputation that names the first altered row.
//!
//! Appends and reads use the pure index arithmetic of the `ledger` crate: an append reads the
//! frontier (at most 64 node rows), hashes the new leaves, and inserts the leaf rows and every node
//! they complete in batched multi-row `INSERT`s. No query here updates or deletes a ledger row, and
//! the migrations install triggers that refuse to.
//!
//! Proofs and roots look their node hashes up in the store's [`ProofCache`] first (the `cache`
//! module says why a cached hash is always the stored one) and read only the missing ones, in one
//! query; `verify_ledger` reads every row and never the cache.

mod cache;

use std::collections::BTreeMap;

use ledger::{
    indices_for_consistency, indices_for_inclusion, indices_for_root, leaf_hash, root_from_nodes,
    ConsistencyProof, Digest, Frontier, InclusionProof, NodeId, PlanError, RootHash,
};
use sqlx::{QueryBuilder, Row};

pub(crate) use self::cache::ProofCache;
use crate::{Backend, Store, StoreError};

/// Rows per multi-row `INSERT`: 3 parameters each stays under both backends' parameter limits.
const INSERT_CHUNK: usize = 8_000;
/// Leaves per read when recomputing the whole tree.
const VERIFY_CHUNK: u64 = 8_192;
/// Leaf hashes per read when loading or extending a mirror.
const MIRROR_CHUNK: i64 = 65_536;
/// An append caches the lower nodes and leaf hashes of this many leaves at the new end of the log,
/// whose proofs are the likeliest to be asked for next.
const APPEND_TAIL: u64 = 1_024;

/// An inclusion proof with what it is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inclusion {
    /// The leaf's index.
    pub index: u64,
    /// The stored leaf hash.
    pub leaf_hash: Digest,
    /// The root of the tree the proof is for.
    pub root: RootHash,
    /// The proof hashes.
    pub proof: InclusionProof,
}

/// A consistency proof with both roots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consistency {
    /// The root of the older tree.
    pub old_root: RootHash,
    /// The root of the newer tree.
    pub new_root: RootHash,
    /// The proof hashes.
    pub proof: ConsistencyProof,
}

/// What a successful [`Store::verify_ledger`] checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// The root recomputed from the stored leaves.
    pub root: RootHash,
    /// How many stored node rows were recomputed and matched.
    pub nodes_checked: u64,
}

/// The first place where the stored ledger does not recompute.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Tampered {
    /// A leaf's stored hash is not the hash of its stored bytes.
    #[error("leaf `{index}`: stored bytes and leaf hash disagree")]
    LeafHash {
        /// The leaf index.
        index: u64,
    },
    /// A leaf below the tree size is missing.
    #[error("leaf `{index}` is missing")]
    MissingLeaf {
        /// The leaf index.
        index: u64,
    },
    /// A stored node hash differs from the one recomputed from the leaves.
    #[error("node at level `{level}` index `{index}` (leaves `{first_leaf}` to `{last_leaf}`) does not match its leaves")]
    NodeHash {
        /// The node's level.
        level: u8,
        /// The node's index within its level.
        index: u64,
        /// The first leaf it covers.
        first_leaf: u64,
        /// The last leaf it covers.
        last_leaf: u64,
    },
    /// A node that the leaves complete has no row.
    #[error("node at level `{level}` index `{index}` is missing")]
    MissingNode {
        /// The node's level.
        level: u8,
        /// The node's index within its level.
        index: u64,
    },
    /// A node row that no append writes.
    #[error("unexpected node row at level `{level}` for leaf `{last_leaf}`")]
    UnexpectedNode {
        /// The stored level.
        level: i64,
        /// The stored last leaf.
        last_leaf: i64,
    },
    /// The log is smaller than a checkpoint it once signed: leaves were removed.
    #[error("checkpoint has `{checkpoint_size}` leaves but the log has only `{log_size}`")]
    Truncated {
        /// The checkpoint's tree size.
        checkpoint_size: u64,
        /// The stored tree size.
        log_size: u64,
    },
    /// The root recomputed at a checkpoint's size differs from the checkpoint.
    #[error("root at size `{size}` differs from the checkpoint")]
    CheckpointMismatch {
        /// The checkpoint's tree size.
        size: u64,
    },
    /// A stored value is not a valid hash or index.
    #[error("malformed ledger row for leaf `{index}`")]
    Malformed {
        /// The leaf index (or the last leaf of a node row).
        index: u64,
    },
}

impl Tampered {
    /// The first leaf index implicated.
    #[must_use]
    pub fn first_bad_index(&self) -> u64 {
        match *self {
            Self::LeafHash { index } | Self::MissingLeaf { index } | Self::Malformed { index } => {
                index
            }
            Self::NodeHash { first_leaf, .. } => first_leaf,
            Self::MissingNode { level, index } => {
                NodeId::new(level, index).map_or(index, |n| n.first_leaf())
            }
            // A negative leaf index is itself out of band, and no leaf comes before 0.
            Self::UnexpectedNode { last_leaf, .. } => u64::try_from(last_leaf).unwrap_or(0),
            Self::Truncated { log_size, .. } => log_size,
            Self::CheckpointMismatch { size } => size.saturating_sub(1),
        }
    }
}

/// A leaf row to insert.
struct LeafRow<'a> {
    index: i64,
    data: &'a [u8],
    hash: Digest,
}

/// A node row to insert.
struct NodeRow {
    last_leaf: i64,
    level: i32,
    hash: Digest,
}

fn to_i64(v: u64) -> i64 {
    // Indices above i64::MAX cannot be stored, so such a lookup simply finds nothing.
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn digest(bytes: &[u8], index: u64) -> Result<Digest, StoreError> {
    Digest::from_slice(bytes).ok_or(StoreError::Tampered(Tampered::Malformed { index }))
}

/// The nodes and leaf hashes an append wrote, for the cache once the transaction has committed.
pub(crate) type Written = Vec<(NodeId, Digest)>;

/// Hashes `leaves` onto `frontier`, returning the rows to insert and every hash written.
fn plan_rows<'a, L: AsRef<[u8]>>(
    frontier: &mut Frontier,
    leaves: &'a [L],
) -> (Vec<LeafRow<'a>>, Vec<NodeRow>, Written) {
    let mut leaf_rows = Vec::with_capacity(leaves.len());
    let mut node_rows = Vec::with_capacity(leaves.len());
    let mut written = Vec::with_capacity(2 * leaves.len());
    for leaf in leaves {
        let data = leaf.as_ref();
        let hash = leaf_hash(data);
        leaf_rows.push(LeafRow { index: to_i64(frontier.size()), data, hash });
        frontier.push(hash, |id, h| {
            written.push((id, *h));
            if id.level() > 0 {
                node_rows.push(NodeRow {
                    last_leaf: to_i64(id.last_leaf()),
                    level: i32::from(id.level()),
                    hash: *h,
                });
            }
        });
    }
    (leaf_rows, node_rows, written)
}

/// A bundled row of `(last leaf, level)` and its hash (`read::unbundle`), as a tuple.
fn node_row((ints, mut blobs): crate::read::BundledRow) -> Result<(i64, i64, Vec<u8>), StoreError> {
    match (ints.as_slice(), blobs.pop()) {
        ([last, level], Some(hash)) => Ok((*last, *level, hash)),
        _ => Err(StoreError::Corrupt("a node row without its columns".into())),
    }
}

/// The hashes of `ids` from `map`, in order; the caller has checked that all are there.
fn pick(map: &BTreeMap<NodeId, Digest>, ids: &[NodeId]) -> Vec<Digest> {
    ids.iter().filter_map(|id| map.get(id).copied()).collect()
}

/// The same queries for both backends; `QueryBuilder` writes each backend's placeholders.
macro_rules! ledger_queries {
    ($db:ty, $conn:ty, $verify_leaves:literal, $verify_nodes:literal) => {
        use super::*;

        pub(crate) async fn tree_size(conn: &mut $conn) -> Result<u64, StoreError> {
            let row = sqlx::query("SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_leaves")
                .fetch_one(&mut *conn)
                .await?;
            let n: i64 = row.try_get(0)?;
            u64::try_from(n).map_err(|_| {
                StoreError::Corrupt(format!("`ledger_leaves.idx` holds a negative index: size `{n}`"))
            })
        }

        /// Fetches the hashes of `ids` in one query over the leaf rows and the node rows.
        pub(crate) async fn fetch_hashes(
            conn: &mut $conn,
            ids: &[NodeId],
        ) -> Result<Vec<Digest>, StoreError> {
            let mut found: BTreeMap<NodeId, Digest> = BTreeMap::new();
            let leaves: Vec<u64> =
                ids.iter().filter(|id| id.level() == 0).map(NodeId::index).collect();
            let nodes: Vec<NodeId> = ids.iter().filter(|id| id.level() > 0).copied().collect();
            for (last, level, hash) in hash_rows(conn, &leaves, &nodes).await? {
                let (Ok(last), Ok(level)) = (u64::try_from(last), u8::try_from(level)) else {
                    return Err(StoreError::Corrupt(format!(
                        "ledger row with `last_leaf` `{last}` and `level` `{level}` is out of range"
                    )));
                };
                if let Some(id) = NodeId::new(level, last >> level) {
                    found.insert(id, digest(&hash, last)?);
                }
            }
            ids.iter()
                .map(|id| {
                    found.get(id).copied().ok_or(StoreError::Tampered(if id.level() == 0 {
                        Tampered::MissingLeaf { index: id.index() }
                    } else {
                        Tampered::MissingNode { level: id.level(), index: id.index() }
                    }))
                })
                .collect()
        }

        /// Appends leaves inside the caller's transaction, which must hold the write lock.
        pub(crate) async fn append<L: AsRef<[u8]>>(
            conn: &mut $conn,
            leaves: &[L],
        ) -> Result<RootHash, StoreError> {
            Ok(append_written(conn, leaves).await?.0)
        }

        /// [`append`], also returning every hash written, for the cache after the commit.
        pub(crate) async fn append_written<L: AsRef<[u8]>>(
            conn: &mut $conn,
            leaves: &[L],
        ) -> Result<(RootHash, Written), StoreError> {
            let size = tree_size(conn).await?;
            append_at(conn, size, leaves).await
        }

        /// [`append_written`] for a caller that has read the tree's `size` ([`tree_size`]) in this transaction,
        /// which holds the write lock, so the size cannot have moved.
        pub(crate) async fn append_at<L: AsRef<[u8]>>(
            conn: &mut $conn,
            size: u64,
            leaves: &[L],
        ) -> Result<(RootHash, Written), StoreError> {
            let ids = indices_for_root(size);
            let hashes = fetch_hashes(conn, &ids).await?;
            let mut frontier = Frontier::from_hashes(size, hashes)?;
            let (leaf_rows, node_rows, written) = plan_rows(&mut frontier, leaves);
            for chunk in leaf_rows.chunks(INSERT_CHUNK) {
                let mut qb =
                    QueryBuilder::<$db>::new("INSERT INTO ledger_leaves (idx, data, leaf_hash) ");
                qb.push_values(chunk, |mut b, r| {
                    b.push_bind(r.index).push_bind(r.data).push_bind(r.hash.as_bytes().as_slice());
                });
                qb.build().execute(&mut *conn).await?;
            }
            for chunk in node_rows.chunks(INSERT_CHUNK) {
                let mut qb =
                    QueryBuilder::<$db>::new("INSERT INTO ledger_nodes (last_leaf, level, hash) ");
                qb.push_values(chunk, |mut b, r| {
                    b.push_bind(r.last_leaf)
                        .push_bind(r.level)
                        .push_bind(r.hash.as_bytes().as_slice());
                });
                qb.build().execute(&mut *conn).await?;
            }
            Ok((frontier.root(), written))
        }

        /// The stored leaf hashes from leaf `start` to the end, in index order, read in chunks.
        pub(crate) async fn leaf_hashes_from(
            conn: &mut $conn,
            start: u64,
        ) -> Result<Vec<Digest>, StoreError> {
            let mut out = Vec::new();
            loop {
                let next = start.saturating_add(out.len() as u64);
                let rows = QueryBuilder::<$db>::new(
                    "SELECT idx, leaf_hash FROM ledger_leaves WHERE idx >= ",
                )
                .push_bind(to_i64(next))
                .push(" ORDER BY idx LIMIT ")
                .push_bind(MIRROR_CHUNK)
                .build()
                .fetch_all(&mut *conn)
                .await?;
                for row in &rows {
                    let index = start.saturating_add(out.len() as u64);
                    if row.try_get::<i64, _>(0)? != to_i64(index) {
                        return Err(Tampered::MissingLeaf { index }.into());
                    }
                    out.push(digest(row.try_get::<&[u8], _>(1)?, index)?);
                }
                if (rows.len() as i64) < MIRROR_CHUNK {
                    return Ok(out);
                }
            }
        }

        pub(crate) async fn leaf(conn: &mut $conn, index: u64) -> Result<Vec<u8>, StoreError> {
            let row = QueryBuilder::<$db>::new("SELECT data FROM ledger_leaves WHERE idx = ")
                .push_bind(to_i64(index))
                .build()
                .fetch_one(&mut *conn)
                .await?;
            Ok(row.try_get(0)?)
        }

        /// Fetches the hashes of `ids` (sorted, without repeats) of the tree of `size` leaves in one
        /// query.
        ///
        /// Every request includes the root's nodes, one of which ends at leaf `size - 1`; so a size
        /// past the end always misses a row, and only then is the stored size read, to tell a request
        /// out of range from a missing row.
        pub(crate) async fn fetch_many(
            conn: &mut $conn,
            ids: &[NodeId],
            size: u64,
        ) -> Result<Vec<(NodeId, Digest)>, StoreError> {
            match fetch_hashes(conn, ids).await {
                Ok(hashes) => Ok(ids.iter().copied().zip(hashes).collect()),
                Err(e @ StoreError::Tampered(Tampered::MissingLeaf { .. } | Tampered::MissingNode { .. })) => {
                    check_size(conn, size).await?;
                    Err(e)
                }
                Err(e) => Err(e),
            }
        }

        async fn check_size(conn: &mut $conn, size: u64) -> Result<(), StoreError> {
            let have = tree_size(conn).await?;
            if size > have {
                return Err(StoreError::Range(PlanError::IndexOutOfRange {
                    index: size.saturating_sub(1),
                    size: have,
                }));
            }
            Ok(())
        }

        /// Recomputes every leaf hash and node hash from the stored leaf bytes, chunk by chunk.
        pub(crate) async fn verify(
            conn: &mut $conn,
            checkpoint: Option<&RootHash>,
        ) -> Result<VerifyReport, StoreError> {
            let size = tree_size(conn).await?;
            if let Some(cp) = checkpoint {
                if cp.size() > size {
                    return Err(
                        Tampered::Truncated { checkpoint_size: cp.size(), log_size: size }.into()
                    );
                }
                if cp.size() == 0 && *cp != RootHash::empty() {
                    return Err(Tampered::CheckpointMismatch { size: 0 }.into());
                }
            }
            let mut frontier = Frontier::new();
            let mut nodes_checked = 0u64;
            let mut start = 0u64;
            while start < size {
                let end = size.min(start.saturating_add(VERIFY_CHUNK));
                // One bundle row each for the chunk's leaves and its nodes (see `read::unbundle`).
                let row = sqlx::query($verify_leaves)
                    .bind(to_i64(start))
                    .bind(to_i64(end))
                    .fetch_one(&mut *conn)
                    .await?;
                let mut leaves = crate::read::unbundle(
                    &[row.try_get(0)?],
                    &[(row.try_get(1)?, row.try_get(2)?), (row.try_get(3)?, row.try_get(4)?)],
                )?;
                leaves.sort_by_key(|(ints, _)| ints.first().copied());
                let row = sqlx::query($verify_nodes)
                    .bind(to_i64(start))
                    .bind(to_i64(end))
                    .fetch_one(&mut *conn)
                    .await?;
                let mut nodes = crate::read::unbundle(
                    &[row.try_get(0)?, row.try_get(1)?],
                    &[(row.try_get(2)?, row.try_get(3)?)],
                )?;
                nodes.sort_by_key(|(ints, _)| (ints.first().copied(), ints.get(1).copied()));
                let mut stored = nodes
                    .into_iter()
                    .map(node_row)
                    .peekable();
                let mut expected_index = start;
                for (ints, blobs) in &leaves {
                    let (Some(&idx), [data, stored_hash]) = (ints.first(), blobs.as_slice()) else {
                        return Err(StoreError::Corrupt("a leaf row without its columns".into()));
                    };
                    if idx != to_i64(expected_index) {
                        return Err(Tampered::MissingLeaf { index: expected_index }.into());
                    }
                    let hash = leaf_hash(data);
                    if Digest::from_slice(stored_hash) != Some(hash) {
                        return Err(Tampered::LeafHash { index: expected_index }.into());
                    }
                    let mut completed = Vec::new();
                    frontier.push(hash, |id, h| {
                        if id.level() > 0 {
                            completed.push((id, *h));
                        }
                    });
                    for (id, h) in completed {
                        let want = (to_i64(id.last_leaf()), i64::from(id.level()));
                        match stored.next().transpose()? {
                            Some((last, level, bytes)) if (last, level) == want => {
                                if Digest::from_slice(&bytes) != Some(h) {
                                    return Err(Tampered::NodeHash {
                                        level: id.level(),
                                        index: id.index(),
                                        first_leaf: id.first_leaf(),
                                        last_leaf: id.last_leaf(),
                                    }
                                    .into());
                                }
                                nodes_checked += 1;
                            }
                            Some((last, level, _)) if (last, level) < want => {
                                return Err(
                                    Tampered::UnexpectedNode { level, last_leaf: last }.into()
                                );
                            }
                            _ => {
                                return Err(Tampered::MissingNode {
                                    level: id.level(),
                                    index: id.index(),
                                }
                                .into());
                            }
                        }
                    }
                    if let Some(Ok((last, level, _))) = stored.peek() {
                        if *last == idx {
                            return Err(Tampered::UnexpectedNode {
                                level: *level,
                                last_leaf: *last,
                            }
                            .into());
                        }
                    }
                    if let Some(cp) = checkpoint {
                        if cp.size() == frontier.size() && frontier.root() != *cp {
                            return Err(Tampered::CheckpointMismatch { size: cp.size() }.into());
                        }
                    }
                    expected_index += 1;
                }
                if expected_index != end {
                    return Err(Tampered::MissingLeaf { index: expected_index }.into());
                }
                if let Some(next) = stored.next() {
                    let (last, level, _) = next?;
                    return Err(Tampered::UnexpectedNode { level, last_leaf: last }.into());
                }
                start = end;
            }
            Ok(VerifyReport { root: frontier.root(), nodes_checked })
        }
    };
}

/// SQLite queries; `append` can run inside a caller's `BEGIN IMMEDIATE` transaction.
pub(crate) mod sqlite {
    ledger_queries!(
        sqlx::Sqlite,
        sqlx::SqliteConnection,
        "SELECT group_concat(idx), group_concat(octet_length(data)), CAST(group_concat(data, '') AS BLOB), \
         group_concat(octet_length(leaf_hash)), CAST(group_concat(leaf_hash, '') AS BLOB) \
         FROM ledger_leaves WHERE idx >= ? AND idx < ?",
        "SELECT group_concat(last_leaf), group_concat(level), group_concat(octet_length(hash)), \
         CAST(group_concat(hash, '') AS BLOB) FROM ledger_nodes WHERE last_leaf >= ? AND last_leaf < ?"
    );

    /// The stored `(last leaf, level, hash)` rows of `leaves` (level 0) and `nodes`: one statement whose text never
    /// changes (the keys go in as JSON arrays), so each connection prepares it once, and one bundle row back
    /// (`read::unbundle`), since each row streamed from SQLite's connection thread can be a hand-off between threads.
    pub(crate) async fn hash_rows(
        conn: &mut sqlx::SqliteConnection,
        leaves: &[u64],
        nodes: &[NodeId],
    ) -> Result<Vec<(i64, i64, Vec<u8>)>, StoreError> {
        if leaves.is_empty() && nodes.is_empty() {
            return Ok(Vec::new());
        }
        let leaves = serde_json::Value::from(leaves.to_vec()).to_string();
        let nodes: Vec<serde_json::Value> =
            nodes.iter().map(|id| serde_json::json!([id.last_leaf(), id.level()])).collect();
        let nodes = serde_json::Value::from(nodes).to_string();
        let row = sqlx::query(
            "SELECT group_concat(f.last_leaf), group_concat(f.level), group_concat(octet_length(f.hash)), \
             CAST(group_concat(f.hash, '') AS BLOB) FROM ( \
             SELECT l.idx AS last_leaf, 0 AS level, l.leaf_hash AS hash \
             FROM json_each(?1) AS j JOIN ledger_leaves AS l ON l.idx = j.value \
             UNION ALL SELECT n.last_leaf, n.level, n.hash \
             FROM json_each(?2) AS j JOIN ledger_nodes AS n ON n.last_leaf = j.value ->> 0 AND n.level = j.value ->> 1 \
             ) AS f",
        )
        .bind(leaves)
        .bind(nodes)
        .fetch_one(&mut *conn)
        .await?;
        crate::read::unbundle(
            &[row.try_get(0)?, row.try_get(1)?],
            &[(row.try_get(2)?, row.try_get(3)?)],
        )?
        .into_iter()
        .map(node_row)
        .collect()
    }
}

/// PostgreSQL queries; `append` can run inside a caller's transaction that holds
/// `LOCK TABLE ledger_leaves IN EXCLUSIVE MODE`.
pub(crate) mod postgres {
    ledger_queries!(
        sqlx::Postgres,
        sqlx::PgConnection,
        "SELECT string_agg(idx::text, ','), string_agg(octet_length(data)::text, ','), \
         string_agg(data, ''::bytea), string_agg(octet_length(leaf_hash)::text, ','), \
         string_agg(leaf_hash, ''::bytea) FROM ledger_leaves WHERE idx >= $1 AND idx < $2",
        "SELECT string_agg(last_leaf::text, ','), string_agg(level::text, ','), \
         string_agg(octet_length(hash)::text, ','), string_agg(hash, ''::bytea) \
         FROM ledger_nodes WHERE last_leaf >= $1 AND last_leaf < $2"
    );

    /// The stored `(last leaf, level, hash)` rows of `leaves` (level 0) and `nodes`, in one query of their primary
    /// keys.
    pub(crate) async fn hash_rows(
        conn: &mut sqlx::PgConnection,
        leaves: &[u64],
        nodes: &[NodeId],
    ) -> Result<Vec<(i64, i64, Vec<u8>)>, StoreError> {
        if leaves.is_empty() && nodes.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb = QueryBuilder::<sqlx::Postgres>::new("");
        if !leaves.is_empty() {
            qb.push("SELECT idx AS last_leaf, 0 AS level, leaf_hash AS hash FROM ledger_leaves WHERE idx IN (");
            let mut sep = qb.separated(", ");
            for i in leaves {
                sep.push_bind(to_i64(*i));
            }
            qb.push(")");
        }
        if !nodes.is_empty() {
            if !leaves.is_empty() {
                qb.push(" UNION ALL ");
            }
            qb.push("SELECT last_leaf, level, hash FROM ledger_nodes WHERE ");
            for (i, id) in nodes.iter().enumerate() {
                if i > 0 {
                    qb.push(" OR ");
                }
                qb.push("(last_leaf = ");
                qb.push_bind(to_i64(id.last_leaf()));
                qb.push(" AND level = ");
                qb.push_bind(i32::from(id.level()));
                qb.push(")");
            }
        }
        let rows = qb.build().fetch_all(&mut *conn).await?;
        rows.iter()
            .map(|row| Ok((row.try_get(0)?, i64::from(row.try_get::<i32, _>(1)?), row.try_get(2)?)))
            .collect()
    }
}

/// Runs `$body` with `$conn` bound to a pooled connection of whichever backend the store uses.
macro_rules! with_conn {
    ($store:expr, |$conn:ident| $sqlite:expr, $pg:expr) => {
        match &$store.backend {
            Backend::Sqlite(pool) => {
                let mut c = pool.acquire().await?;
                let $conn = &mut *c;
                $sqlite
            }
            Backend::Postgres(pool) => {
                let mut c = pool.acquire().await?;
                let $conn = &mut *c;
                $pg
            }
        }
    };
}

impl Store {
    /// Appends leaves in one transaction and returns the new root.
    ///
    /// On SQLite the transaction starts with `BEGIN IMMEDIATE`; on PostgreSQL it locks the leaf table,
    /// so concurrent appenders queue instead of racing for the same indices.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if another writer took the same index, or a database error.
    pub async fn append_leaves<L: AsRef<[u8]>>(
        &self,
        leaves: &[L],
    ) -> Result<RootHash, StoreError> {
        let (root, written) = match &self.backend {
            Backend::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let done = sqlite::append_written(&mut tx, leaves).await?;
                tx.commit().await?;
                done
            }
            Backend::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("LOCK TABLE ledger_leaves IN EXCLUSIVE MODE").execute(&mut *tx).await?;
                let done = postgres::append_written(&mut tx, leaves).await?;
                tx.commit().await?;
                done
            }
        };
        // Committed, so every written hash is stored; keep the lower ones only near the new end.
        let tail = root.size().saturating_sub(APPEND_TAIL);
        self.proof_cache.insert(written.iter().map(|(id, h)| (id, h)), |id| id.last_leaf() >= tail);
        let first = root.size().saturating_sub(leaves.len() as u64);
        let leaf_hashes: Vec<Digest> =
            written.iter().filter(|(id, _)| id.level() == 0).map(|(_, h)| *h).collect();
        self.proof_cache.mirror_extend(first, &leaf_hashes);
        Ok(root)
    }

    /// With a mirror, brings it up to at least `size` leaves from the stored leaf hashes and returns
    /// `true`; without one, returns `false`.
    async fn mirror_covers(&self, size: u64) -> Result<bool, StoreError> {
        let Some(have) = self.proof_cache.mirror_size() else {
            return Ok(false);
        };
        if have >= size {
            return Ok(true);
        }
        let hashes = with_conn!(
            self,
            |c| sqlite::leaf_hashes_from(c, have).await?,
            postgres::leaf_hashes_from(c, have).await?
        );
        self.proof_cache.mirror_extend(have, &hashes);
        let stored = have.saturating_add(hashes.len() as u64);
        if size > stored {
            return Err(PlanError::IndexOutOfRange { index: size - 1, size: stored }.into());
        }
        Ok(true)
    }

    /// A handle on the same database whose proofs, roots and consistency proofs are answered from a
    /// full in-memory copy of the tree's hashes (about 64 MB per million leaves), shared by its
    /// clones.
    ///
    /// The copy is loaded from the stored leaf hashes by the first proof (a scan of the leaf table:
    /// 3.3 s at a million leaves in `cargo bench -p store` on a loaded machine), extended by this handle's appends, and extended from the database when a proof asks
    /// for a size it does not hold yet, so appends by other handles or processes are seen.
    /// `Store::verify_ledger` still reads every row.
    #[must_use]
    pub fn with_proof_mirror(&self) -> Self {
        Self { proof_cache: ProofCache::mirror(), ..self.clone() }
    }

    /// The hashes of every node in `lists`, from the cache and then, for those it lacks, from one
    /// query, whose answers are cached.
    async fn node_hashes(
        &self,
        lists: &[&[NodeId]],
        size: u64,
    ) -> Result<BTreeMap<NodeId, Digest>, StoreError> {
        let mut all: Vec<NodeId> = lists.iter().flat_map(|l| l.iter().copied()).collect();
        all.sort_unstable();
        all.dedup();
        let mut map = BTreeMap::new();
        let missing = self.proof_cache.lookup(&all, &mut map);
        if !missing.is_empty() {
            let fetched = with_conn!(
                self,
                |c| sqlite::fetch_many(c, &missing, size).await?,
                postgres::fetch_many(c, &missing, size).await?
            );
            self.proof_cache.insert(fetched.iter().map(|(id, h)| (id, h)), |_| true);
            map.extend(fetched);
        }
        Ok(map)
    }

    /// With a mirror ([`Store::with_proof_mirror`]), loads it up to the ledger's current size now instead of at
    /// the first proof, and returns that size; without one, `None`.
    ///
    /// # Errors
    /// A database error, or [`StoreError::Range`] if the stored leaf hashes end before the tree size.
    pub async fn load_proof_mirror(&self) -> Result<Option<u64>, StoreError> {
        let size = self.tree_size().await?;
        Ok(self.mirror_covers(size).await?.then_some(size))
    }

    /// A handle on the same database with a fresh, empty proof cache of the given shape, for tests
    /// and benchmarks; `Store::connect` uses levels from 10 up and 65,536 lower nodes.
    #[doc(hidden)]
    #[must_use]
    pub fn with_proof_cache(&self, upper_level: u8, lower_capacity: usize) -> Self {
        Self { proof_cache: ProofCache::new(upper_level, lower_capacity), ..self.clone() }
    }

    /// A handle on the same database that reads every proof hash from it, as before the cache.
    #[doc(hidden)]
    #[must_use]
    pub fn without_proof_cache(&self) -> Self {
        Self { proof_cache: ProofCache::disabled(), ..self.clone() }
    }

    /// The number of stored leaves.
    ///
    /// # Errors
    /// A database error.
    pub async fn tree_size(&self) -> Result<u64, StoreError> {
        with_conn!(self, |c| sqlite::tree_size(c).await, postgres::tree_size(c).await)
    }

    /// The root of the tree when it had `size` leaves, from O(log n) node rows.
    ///
    /// # Errors
    /// [`StoreError::Range`] if `size` exceeds the stored size, or a database error.
    pub async fn root_at(&self, size: u64) -> Result<RootHash, StoreError> {
        if self.mirror_covers(size).await? {
            if let Some(root) = self.proof_cache.with_mirror(|t| t.root_at(size)) {
                return Ok(root?);
            }
        }
        let ids = indices_for_root(size);
        let map = self.node_hashes(&[&ids], size).await?;
        Ok(root_from_nodes(size, &pick(&map, &ids))?)
    }

    /// The stored bytes of leaf `index`.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] if there is no such leaf, or a database error.
    pub async fn leaf(&self, index: u64) -> Result<Vec<u8>, StoreError> {
        with_conn!(self, |c| sqlite::leaf(c, index).await, postgres::leaf(c, index).await)
    }

    /// The inclusion proof of leaf `index` in the tree of `size` leaves, from O(log n) rows.
    ///
    /// # Errors
    /// [`StoreError::Range`] unless `index < size <= tree size`, or a database error.
    pub async fn inclusion_proof(&self, index: u64, size: u64) -> Result<Inclusion, StoreError> {
        if self.mirror_covers(size).await? {
            let got = self.proof_cache.with_mirror(|t| -> Result<Inclusion, StoreError> {
                let proof = t.inclusion_proof(index, size)?;
                let leaf_hash = t.leaf_hash(index).ok_or(StoreError::NotFound)?;
                Ok(Inclusion { index, leaf_hash, root: t.root_at(size)?, proof })
            });
            if let Some(got) = got {
                return got;
            }
        }
        let plan = indices_for_inclusion(index, size)?;
        let root_ids = indices_for_root(size);
        let leaf_id = [NodeId::leaf(index)];
        let map = self.node_hashes(&[plan.nodes(), &root_ids, &leaf_id], size).await?;
        let proof = InclusionProof::from_hashes(plan.assemble(&pick(&map, plan.nodes()))?);
        let root = root_from_nodes(size, &pick(&map, &root_ids))?;
        let leaf_hash = pick(&map, &leaf_id).first().copied().ok_or(StoreError::NotFound)?;
        Ok(Inclusion { index, leaf_hash, root, proof })
    }

    /// The consistency proof from the tree of `old` leaves to the tree of `new`, from O(log n) rows.
    ///
    /// # Errors
    /// [`StoreError::Range`] unless `old <= new <= tree size`, or a database error.
    pub async fn consistency_proof(&self, old: u64, new: u64) -> Result<Consistency, StoreError> {
        if self.mirror_covers(new).await? {
            let got = self.proof_cache.with_mirror(|t| -> Result<Consistency, StoreError> {
                let proof = t.consistency_proof(old, new)?;
                Ok(Consistency { old_root: t.root_at(old)?, new_root: t.root_at(new)?, proof })
            });
            if let Some(got) = got {
                return got;
            }
        }
        let plan = indices_for_consistency(old, new)?;
        let (old_ids, new_ids) = (indices_for_root(old), indices_for_root(new));
        let map = self.node_hashes(&[plan.nodes(), &old_ids, &new_ids], new).await?;
        let proof = ConsistencyProof::from_hashes(plan.assemble(&pick(&map, plan.nodes()))?);
        let old_root = root_from_nodes(old, &pick(&map, &old_ids))?;
        let new_root = root_from_nodes(new, &pick(&map, &new_ids))?;
        Ok(Consistency { old_root, new_root, proof })
    }

    /// Recomputes the whole tree from the stored leaf bytes and checks every stored leaf hash and
    /// node hash, and, if given, that the log still extends a previously saved checkpoint root.
    ///
    /// # Errors
    /// [`StoreError::Tampered`] naming the first row that does not recompute, or a database error.
    pub async fn verify_ledger(
        &self,
        checkpoint: Option<&RootHash>,
    ) -> Result<VerifyReport, StoreError> {
        with_conn!(
            self,
            |c| sqlite::verify(c, checkpoint).await,
            postgres::verify(c, checkpoint).await
        )
    }
}
