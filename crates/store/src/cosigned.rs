//! Co-signed checkpoints: what a quorum of witnesses signed, kept so the server can publish the latest.

use sqlx::{QueryBuilder, Row};
use time::OffsetDateTime;

use crate::{Backend, Store, StoreError};

macro_rules! cosigned_queries {
    ($db:ty, $pool:ty) => {
        use super::*;

        pub(crate) async fn save(pool: &$pool, size: i64, note: &str, at: i64) -> Result<(), StoreError> {
            QueryBuilder::<$db>::new("INSERT INTO cosigned_checkpoints (size, note, cosigned_at) VALUES (")
                .push_bind(size)
                .push(", ")
                .push_bind(note.to_owned())
                .push(", ")
                .push_bind(at)
                .push(") ON CONFLICT (size) DO UPDATE SET note = excluded.note, cosigned_at = excluded.cosigned_at")
                .build()
                .execute(pool)
                .await?;
            Ok(())
        }

        pub(crate) async fn latest(pool: &$pool) -> Result<Option<(i64, String)>, StoreError> {
            let row = sqlx::query("SELECT size, note FROM cosigned_checkpoints ORDER BY size DESC LIMIT 1")
                .fetch_optional(pool)
                .await?;
            row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
        }
    };
}

mod sqlite {
    cosigned_queries!(sqlx::Sqlite, sqlx::SqlitePool);
}

mod postgres {
    cosigned_queries!(sqlx::Postgres, sqlx::PgPool);
}

impl Store {
    /// Keeps a checkpoint note co-signed by witnesses for tree size `size` (the caller verified the quorum);
    /// a later call for the same size replaces the note, which then carries more cosignatures.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when `size` is beyond the ledger, or a database error.
    pub async fn save_cosigned_checkpoint(
        &self,
        size: u64,
        note: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        if size > self.tree_size().await? {
            return Err(StoreError::Invalid {
                field: "size".into(),
                detail: format!("{size} is beyond the ledger"),
            });
        }
        let size = i64::try_from(size).unwrap_or(i64::MAX);
        let at = at.unix_timestamp();
        match &self.backend {
            Backend::Sqlite(pool) => sqlite::save(pool, size, note, at).await,
            Backend::Postgres(pool) => postgres::save(pool, size, note, at).await,
        }
    }

    /// The co-signed checkpoint of the largest tree size, as (size, note).
    ///
    /// # Errors
    /// A database error.
    pub async fn latest_cosigned_checkpoint(&self) -> Result<Option<(u64, String)>, StoreError> {
        let latest = match &self.backend {
            Backend::Sqlite(pool) => sqlite::latest(pool).await?,
            Backend::Postgres(pool) => postgres::latest(pool).await?,
        };
        latest
            .map(|(size, note)| {
                u64::try_from(size).map(|size| (size, note)).map_err(|_| {
                    StoreError::Corrupt("`cosigned_checkpoints.size` is negative".into())
                })
            })
            .transpose()
    }
}
