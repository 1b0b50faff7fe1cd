//! C2SP tlog-tiles read from the ledger tables: a tile's hashes and an entry bundle's leaves, each in
//! one query of O(tile width) rows, on SQLite and PostgreSQL.
//!
//! A level-0 tile is a range of leaf hashes and an entry bundle the same range of leaf bytes, both
//! read by primary key from `ledger_leaves`. A tile at level `L > 0` holds complete subtrees at
//! Merkle level `8 * L`, which `ledger_nodes` stores keyed by their last leaf, so it is read as up
//! to 256 primary-key lookups in one `IN` list. Only reads: nothing here writes a ledger row.

use ledger::{Digest, NodeId, PlanError, Tile};
use sqlx::{QueryBuilder, Row};

use crate::ledger::Tampered;
use crate::{Backend, Store, StoreError};

/// A stored index as the tables hold it; indices past `i64::MAX` are never stored, so looking one
/// up finds nothing.
fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Checks that the rows read are the tile's nodes in order, keyed as stored, and returns the
/// values; `Err` names the first node without its row.
fn in_order<T>(nodes: &[NodeId], rows: Vec<(i64, T)>) -> Result<Vec<T>, NodeId> {
    let mut out = Vec::with_capacity(nodes.len());
    let mut rows = rows.into_iter();
    for id in nodes {
        match rows.next() {
            Some((key, value)) if key == to_i64(key_of(*id)) => out.push(value),
            _ => return Err(*id),
        }
    }
    Ok(out)
}

/// The key a node's row is stored under: the leaf index for a leaf, else its last leaf.
fn key_of(id: NodeId) -> u64 {
    if id.level() == 0 {
        id.index()
    } else {
        id.last_leaf()
    }
}

/// The error for a node the query did not return: out of range when the tree is smaller than the
/// tile, else a missing row.
fn missing(id: NodeId, tile: Tile, size: u64) -> StoreError {
    if !tile.fits(size) {
        let end = tile.nodes().ok().and_then(|n| n.last().map(NodeId::last_leaf));
        return StoreError::Range(PlanError::IndexOutOfRange {
            index: end.unwrap_or(u64::MAX),
            size,
        });
    }
    StoreError::Tampered(if id.level() == 0 {
        Tampered::MissingLeaf { index: id.index() }
    } else {
        Tampered::MissingNode { level: id.level(), index: id.index() }
    })
}

macro_rules! tile_queries {
    ($db:ty, $conn:ty) => {
        use super::*;

        /// `(key, bytes)` rows of the tile's nodes, by key: leaf hashes, leaf bytes or node hashes.
        pub(crate) async fn rows(
            conn: &mut $conn,
            nodes: &[NodeId],
            leaf_column: &'static str,
        ) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
            let (Some(first), Some(last)) = (nodes.first(), nodes.last()) else {
                return Ok(Vec::new());
            };
            let mut qb = QueryBuilder::<$db>::new("");
            if first.level() == 0 {
                qb.push(format!("SELECT idx, {leaf_column} FROM ledger_leaves WHERE idx >= "))
                    .push_bind(to_i64(first.index()))
                    .push(" AND idx <= ")
                    .push_bind(to_i64(last.index()))
                    .push(" ORDER BY idx");
            } else {
                qb.push("SELECT last_leaf, hash FROM ledger_nodes WHERE level = ")
                    .push_bind(i32::from(first.level()))
                    .push(" AND last_leaf IN (");
                let mut sep = qb.separated(", ");
                for id in nodes {
                    sep.push_bind(to_i64(id.last_leaf()));
                }
                qb.push(") ORDER BY last_leaf");
            }
            let rows = qb.build().fetch_all(&mut *conn).await?;
            rows.iter()
                .map(|row| Ok((row.try_get::<i64, _>(0)?, row.try_get::<Vec<u8>, _>(1)?)))
                .collect()
        }
    };
}

mod sqlite {
    tile_queries!(sqlx::Sqlite, sqlx::SqliteConnection);
}

mod postgres {
    tile_queries!(sqlx::Postgres, sqlx::PgConnection);
}

impl Store {
    /// The hashes a tile of the stored tree holds (`tile/<L>/<N>[.p/<W>]`), in one query.
    ///
    /// # Errors
    /// [`StoreError::Range`] if the stored tree does not have all of the tile's hashes,
    /// [`StoreError::Tampered`] if a row the tree must have is missing or malformed, or a database
    /// error.
    pub async fn tile_hashes(&self, tile: Tile) -> Result<Vec<Digest>, StoreError> {
        let rows = self.tile_rows(tile, "leaf_hash").await?;
        rows.into_iter()
            .map(|(id, bytes)| {
                Digest::from_slice(&bytes)
                    .ok_or(StoreError::Tampered(Tampered::Malformed { index: key_of(id) }))
            })
            .collect()
    }

    /// The leaves behind a level-0 tile of the stored tree (`tile/entries/<N>[.p/<W>]`), in one
    /// query.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] if the tile is above level 0, [`StoreError::Range`] if the stored tree
    /// does not have all of the tile's leaves, [`StoreError::Tampered`] if a leaf row is missing, or
    /// a database error.
    pub async fn tile_entries(&self, tile: Tile) -> Result<Vec<Vec<u8>>, StoreError> {
        if tile.level() != 0 {
            return Err(StoreError::Invalid {
                field: "tile".to_owned(),
                detail: format!("entry bundles exist only at tile level 0, not `{}`", tile.level()),
            });
        }
        Ok(self.tile_rows(tile, "data").await?.into_iter().map(|(_, bytes)| bytes).collect())
    }

    /// The tile's nodes with the bytes of their rows (`leaf_column` for leaves).
    async fn tile_rows(
        &self,
        tile: Tile,
        leaf_column: &'static str,
    ) -> Result<Vec<(NodeId, Vec<u8>)>, StoreError> {
        let nodes = match tile.nodes() {
            Ok(n) => n,
            Err(_) => return Err(missing(NodeId::leaf(0), tile, self.tree_size().await?)),
        };
        let rows = match &self.backend {
            Backend::Sqlite(pool) => {
                let mut c = pool.acquire().await?;
                sqlite::rows(&mut c, &nodes, leaf_column).await?
            }
            Backend::Postgres(pool) => {
                let mut c = pool.acquire().await?;
                postgres::rows(&mut c, &nodes, leaf_column).await?
            }
        };
        match in_order(&nodes, rows) {
            Ok(values) => Ok(nodes.into_iter().zip(values).collect()),
            Err(id) => Err(missing(id, tile, self.tree_size().await?)),
        }
    }
}
