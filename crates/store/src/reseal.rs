//! Key rotation (every sealed row resealed under a new key, one batch of cases per transaction) and online
//! backups of a SQLite store.
//!
//! What a key protects: each case's sealed request and decision (`cases.sealed`), the sealed detail of its
//! events (`case_events.detail`), and the keyed hashes of an open case's identifiers
//! (`case_open_keys` and `cases.open_keys`, derived from the same key file). A case is rotated whole in one
//! transaction: its sealed row, its events' details and its identifier keys, so after a crash every case is
//! entirely under the old key or entirely under the new one, and a rerun (which tries the new key first) skips
//! what is done. Purged cases have nothing sealed left and are passed over.

use sqlx::{QueryBuilder, Row};

use crate::{Backend, Sealer, Store, StoreError};

/// What one pass of [`Store::reseal`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResealReport {
    /// Cases looked at.
    pub cases: u64,
    /// Cases resealed from the old key to the new one in this pass.
    pub resealed: u64,
    /// Cases already under the new key (done by an earlier, interrupted pass).
    pub already: u64,
    /// Event details resealed.
    pub details: u64,
    /// Identifier keys rewritten under the new key.
    pub identifier_keys: u64,
}

/// Which key opened a sealed value.
enum Opened {
    New,
    Old(Vec<u8>),
}

fn open_either(
    old: &Sealer,
    new: &Sealer,
    sealed: &[u8],
    id: &str,
    what: &str,
) -> Result<Opened, StoreError> {
    if new.open(sealed, id.as_bytes()).is_ok() {
        return Ok(Opened::New);
    }
    old.open(sealed, id.as_bytes()).map(Opened::Old).map_err(|_| {
        StoreError::Crypto(format!(
            "{what} of case `{id}` opens with neither the old nor the new key"
        ))
    })
}

/// The request sealed in a case.
fn sealed_request(id: &str, plain: &[u8]) -> Result<domain::Request, StoreError> {
    let case = crate::seal::OpenedCase::read(id, plain)?;
    domain::Request::parse(id, &case.request).map_err(|e| {
        StoreError::Corrupt(format!("sealed case `{id}`: request does not parse: {e:?}"))
    })
}

macro_rules! reseal_queries {
    ($db:ty, $conn:ty, $cases:path) => {
        use super::*;
        use $cases as cases_sql;

        /// Rotates the cases after `after` (by id), at most `limit` of them; returns the last id seen.
        pub(crate) async fn batch(
            conn: &mut $conn,
            old: &Sealer,
            new: &Sealer,
            after: &str,
            limit: i64,
            report: &mut ResealReport,
        ) -> Result<Option<String>, StoreError> {
            let rows = QueryBuilder::<$db>::new(
                "SELECT id, sealed, open_keys, (SELECT at FROM case_events WHERE seq = 0 AND case_id = cases.id), \
                 received_leaf FROM cases WHERE id > ",
            )
                .push_bind(after.to_owned())
                .push(" ORDER BY id LIMIT ")
                .push_bind(limit)
                .build()
                .fetch_all(&mut *conn)
                .await?;
            let mut last = None;
            for row in &rows {
                let id: String = row.try_get(0)?;
                let sealed: Option<Vec<u8>> = row.try_get(1)?;
                let open_keys: Option<Vec<u8>> = row.try_get(2)?;
                report.cases += 1;
                last = Some(id.clone());
                let Some(sealed) = sealed else { continue };
                let plain = match open_either(old, new, &sealed, &id, "the sealed request")? {
                    Opened::New => {
                        report.already += 1;
                        continue;
                    }
                    Opened::Old(plain) => plain,
                };
                QueryBuilder::<$db>::new("UPDATE cases SET sealed = ")
                    .push_bind(new.seal(&plain, id.as_bytes())?)
                    .push(" WHERE id = ")
                    .push_bind(id.clone())
                    .build()
                    .execute(&mut *conn)
                    .await?;
                let events = QueryBuilder::<$db>::new(
                    "SELECT seq, detail FROM case_events WHERE detail IS NOT NULL AND case_id = ",
                )
                .push_bind(id.clone())
                .build()
                .fetch_all(&mut *conn)
                .await?;
                for event in &events {
                    let seq: i64 = event.try_get(0)?;
                    let detail: Vec<u8> = event.try_get(1)?;
                    let Opened::Old(plain) = open_either(old, new, &detail, &id, "an event's detail")? else {
                        continue;
                    };
                    QueryBuilder::<$db>::new("UPDATE case_events SET detail = ")
                        .push_bind(new.seal(&plain, id.as_bytes())?)
                        .push(" WHERE case_id = ")
                        .push_bind(id.clone())
                        .push(" AND seq = ")
                        .push_bind(seq)
                        .build()
                        .execute(&mut *conn)
                        .await?;
                    report.details += 1;
                }
                // An open case's keys derive from keyed hashes under the old key: recompute them.
                if let Some(old_keys) = open_keys {
                    let taken_in_at: i64 = row.try_get(3)?;
                    let leaf: i64 = row.try_get(4)?;
                    cases_sql::forget_open_keys(conn, &id, &old_keys).await?;
                    let keys = new.open_keys(&sealed_request(&id, &plain)?);
                    let rows: Vec<(&[u8; 32], i64, i64)> = keys.iter().map(|k| (k, taken_in_at, leaf)).collect();
                    cases_sql::remember_open_keys(conn, &rows).await?;
                    cases_sql::set_open_keys(conn, &id, &keys.concat()).await?;
                    report.identifier_keys += keys.len() as u64;
                }
                report.resealed += 1;
            }
            Ok(last)
        }
    };
}

mod sqlite {
    reseal_queries!(sqlx::Sqlite, sqlx::SqliteConnection, crate::cases::sqlite);
}

mod postgres {
    reseal_queries!(sqlx::Postgres, sqlx::PgConnection, crate::cases::postgres);
}

impl Store {
    /// One pass of key rotation: every case whose sealed data opens with `old` is resealed under `new` (with its
    /// events' details and its open identifier keys), `batch` cases per transaction; cases already under `new`
    /// are skipped. `progress` is called after each committed batch with the cases seen so far.
    ///
    /// Run passes until one reseals nothing: that pass has opened every sealed case with the new key, so the
    /// old key can be destroyed. Nothing else may write the store meanwhile (stop every server first), or a
    /// case written under the old key after a pass went by would be left behind; the final pass finds it.
    ///
    /// # Errors
    /// [`StoreError::Crypto`] naming a case that opens with neither key, [`StoreError::Corrupt`], or a database
    /// error; every batch committed before it stays rotated, and a rerun continues.
    pub async fn reseal(
        &self,
        old: &Sealer,
        new: &Sealer,
        batch: usize,
        mut progress: impl FnMut(u64),
    ) -> Result<ResealReport, StoreError> {
        let limit = i64::try_from(batch.max(1)).unwrap_or(i64::MAX);
        let mut report = ResealReport::default();
        let mut after = String::new();
        loop {
            let last = match &self.backend {
                Backend::Sqlite(pool) => {
                    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                    let last = sqlite::batch(&mut tx, old, new, &after, limit, &mut report).await?;
                    tx.commit().await?;
                    last
                }
                Backend::Postgres(pool) => {
                    let mut tx = pool.begin().await?;
                    let last =
                        postgres::batch(&mut tx, old, new, &after, limit, &mut report).await?;
                    tx.commit().await?;
                    last
                }
            };
            progress(report.cases);
            match last {
                Some(id) => after = id,
                None => return Ok(report),
            }
        }
    }
}

impl Store {
    /// Writes a consistent copy of a SQLite store to the new file `path` while the store stays in use
    /// (`VACUUM INTO`: one read transaction, so the copy is one committed state, never a half-written batch).
    ///
    /// # Errors
    /// [`StoreError::Invalid`] on PostgreSQL (use `pg_dump`; see the README) or when `path` exists, or a
    /// database error.
    pub async fn backup_to(&self, path: &std::path::Path) -> Result<(), StoreError> {
        let Backend::Sqlite(pool) = &self.backend else {
            return Err(StoreError::Invalid {
                field: "--db".into(),
                detail: "a PostgreSQL store is backed up with `pg_dump --format=custom` (see docs/operations.md), \
                         not by rightsgate"
                    .into(),
            });
        };
        if path.exists() {
            return Err(StoreError::Invalid {
                field: "--out".into(),
                detail: format!("`{}` exists; a backup never overwrites a file", path.display()),
            });
        }
        let target = path.to_str().ok_or_else(|| StoreError::Invalid {
            field: "--out".into(),
            detail: "the path is not UTF-8".into(),
        })?;
        sqlx::query("VACUUM INTO ?").bind(target).execute(pool).await?;
        // SQLite writes the copy without syncing it; a backup is only one once it is on disk.
        std::fs::File::open(path).and_then(|f| f.sync_all()).map_err(|e| StoreError::Invalid {
            field: "--out".into(),
            detail: format!("syncing `{}`: {e}", path.display()),
        })?;
        Ok(())
    }
}
