//! Kept tallies: a report's counts over the ledger's first leaves, serialized by the caller, so that counting
//! can be taken up where it stopped. The store checks what it can without knowing the body's format: the
//! counted prefix exists and has the root given, and the body reads back as written (SHA-256).

use domain::Day;
use ledger::{Digest, RootHash};
use sha2::{Digest as _, Sha256};
use sqlx::{QueryBuilder, Row};
use time::OffsetDateTime;

use crate::{Backend, Store, StoreError};

/// A tally as kept: the period's last day, the root of the leaves it counted, and the caller's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptTally {
    /// The period's last day.
    pub to: Day,
    /// The tree size and root of the leaves counted.
    pub root: RootHash,
    /// The serialized tally.
    pub body: Vec<u8>,
}

/// A row as read: period_to, size, root, body, digest.
type RawRow = (String, i64, Vec<u8>, Vec<u8>, Vec<u8>);

macro_rules! tally_queries {
    ($db:ty, $pool:ty) => {
        use super::*;

        pub(crate) async fn keep(
            pool: &$pool,
            from: &str,
            to: &str,
            size: i64,
            root: &[u8],
            body: &[u8],
            at: i64,
        ) -> Result<bool, StoreError> {
            let digest = Sha256::digest(body).to_vec();
            let done = QueryBuilder::<$db>::new(
                "INSERT INTO kept_tallies (period_from, period_to, size, root, body, digest, kept_at) VALUES (",
            )
            .push_bind(from.to_owned())
            .push(", ")
            .push_bind(to.to_owned())
            .push(", ")
            .push_bind(size)
            .push(", ")
            .push_bind(root.to_vec())
            .push(", ")
            .push_bind(body.to_vec())
            .push(", ")
            .push_bind(digest)
            .push(", ")
            .push_bind(at)
            .push(
                ") ON CONFLICT (period_from) DO UPDATE SET period_to = excluded.period_to, size = excluded.size, \
                 root = excluded.root, body = excluded.body, digest = excluded.digest, kept_at = excluded.kept_at \
                 WHERE excluded.period_to > kept_tallies.period_to \
                 OR (excluded.period_to = kept_tallies.period_to AND excluded.size >= kept_tallies.size)",
            )
            .build()
            .execute(pool)
            .await?;
            Ok(done.rows_affected() > 0)
        }

        pub(crate) async fn kept(pool: &$pool, from: &str) -> Result<Option<RawRow>, StoreError> {
            let row = QueryBuilder::<$db>::new(
                "SELECT period_to, size, root, body, digest FROM kept_tallies WHERE period_from = ",
            )
            .push_bind(from.to_owned())
            .build()
            .fetch_optional(pool)
            .await?;
            row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?)))
                .transpose()
        }

        pub(crate) async fn forget(pool: &$pool, from: &str) -> Result<(), StoreError> {
            QueryBuilder::<$db>::new("DELETE FROM kept_tallies WHERE period_from = ")
                .push_bind(from.to_owned())
                .build()
                .execute(pool)
                .await?;
            Ok(())
        }
    };
}

mod sqlite {
    tally_queries!(sqlx::Sqlite, sqlx::SqlitePool);
}

mod postgres {
    tally_queries!(sqlx::Postgres, sqlx::PgPool);
}

impl Store {
    /// Keeps the tally `body` of the period `from..=to` over the leaves of `root`, replacing the one kept for
    /// `from` when this one ends later, or on the same day and counts as many leaves or more; returns whether
    /// it was kept.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when the period ends before it starts, the tree size is beyond the ledger, or
    /// the root is not the ledger's at that size; a database error.
    pub async fn keep_tally(
        &self,
        from: Day,
        to: Day,
        root: &RootHash,
        body: &[u8],
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let invalid =
            |field: &str, detail: String| StoreError::Invalid { field: field.into(), detail };
        if to < from {
            return Err(invalid("period", format!("`{to}` is before `{from}`")));
        }
        let size = root.size();
        if size > self.tree_size().await? {
            return Err(invalid("size", format!("{size} is beyond the ledger")));
        }
        if self.root_at(size).await? != *root {
            return Err(invalid("root", format!("not the ledger's root at tree size {size}")));
        }
        let size =
            i64::try_from(size).map_err(|_| invalid("size", format!("{size} is too large")))?;
        let (from, to) = (from.to_string(), to.to_string());
        let root = root.digest().as_bytes();
        let at = at.unix_timestamp();
        match &self.backend {
            Backend::Sqlite(pool) => sqlite::keep(pool, &from, &to, size, root, body, at).await,
            Backend::Postgres(pool) => postgres::keep(pool, &from, &to, size, root, body, at).await,
        }
    }

    /// The tally kept for the period starting on `from`, if any.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] when the kept row no longer belongs to this ledger (its tree size is beyond the
    /// ledger or its root differs, as after a restore) or its body does not read back as written; the row is
    /// then forgotten, so the next count starts from the first leaf and keeps a new one. A database error.
    pub async fn kept_tally(&self, from: Day) -> Result<Option<KeptTally>, StoreError> {
        let key = from.to_string();
        let row = match &self.backend {
            Backend::Sqlite(pool) => sqlite::kept(pool, &key).await?,
            Backend::Postgres(pool) => postgres::kept(pool, &key).await?,
        };
        let Some((to, size, root, body, digest)) = row else { return Ok(None) };
        match self.check_kept(to, size, &root, body, &digest).await? {
            Ok(kept) => Ok(Some(kept)),
            Err(why) => {
                match &self.backend {
                    Backend::Sqlite(pool) => sqlite::forget(pool, &key).await?,
                    Backend::Postgres(pool) => postgres::forget(pool, &key).await?,
                }
                Err(StoreError::Corrupt(format!(
                    "the tally kept for the period from `{from}` {why}; forgotten"
                )))
            }
        }
    }

    /// The kept row read back, or why it cannot be used.
    async fn check_kept(
        &self,
        to: String,
        size: i64,
        root: &[u8],
        body: Vec<u8>,
        digest: &[u8],
    ) -> Result<Result<KeptTally, String>, StoreError> {
        if Sha256::digest(&body).as_slice() != digest {
            return Ok(Err("does not read back as written".into()));
        }
        let Ok(to) = Day::parse(&to) else { return Ok(Err(format!("ends on `{to}`, not a day"))) };
        let (Ok(size), Some(root)) = (u64::try_from(size), Digest::from_slice(root)) else {
            return Ok(Err("has no valid tree size or root".into()));
        };
        if size > self.tree_size().await? {
            return Ok(Err(format!("counts {size} leaves, beyond the ledger")));
        }
        let root = RootHash::new(size, root);
        if self.root_at(size).await? != root {
            return Ok(Err(format!("is not of this ledger's first {size} leaves")));
        }
        Ok(Ok(KeptTally { to, root, body }))
    }
}
