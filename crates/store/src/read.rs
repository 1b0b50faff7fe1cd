//! Reading leaves in ranges, so that statistics and their verification stream the ledger in chunks instead of
//! one query per leaf.

use sqlx::Row as _;

use crate::{Backend, Store, StoreError};

impl Store {
    /// The leaves with indices `start..end` (clamped to the stored log), in index order, as `(index, bytes)`.
    ///
    /// # Errors
    /// A database error, or [`StoreError::Corrupt`] for a negative stored index.
    pub async fn leaves(&self, start: u64, end: u64) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let (start, end) = (to_i64(start), to_i64(end));
        let rows = match &self.backend {
            Backend::Sqlite(pool) => sqlx::query(
                "SELECT idx, data FROM ledger_leaves WHERE idx >= ? AND idx < ? ORDER BY idx",
            )
            .bind(start)
            .bind(end)
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<Vec<u8>, _>(1)?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()?,
            Backend::Postgres(pool) => sqlx::query(
                "SELECT idx, data FROM ledger_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx",
            )
            .bind(start)
            .bind(end)
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<Vec<u8>, _>(1)?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()?,
        };
        rows.into_iter()
            .map(|(i, data)| {
                let index = u64::try_from(i).map_err(|_| {
                    StoreError::Corrupt(format!("`ledger_leaves.idx` holds a negative index `{i}`"))
                })?;
                Ok((index, data))
            })
            .collect()
    }
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
