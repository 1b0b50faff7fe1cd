//! The witness's durable state: for each log, the last checkpoint it cosigned; and the evidence it kept of
//! log misbehaviour. One SQLite file, `witness.db`, in the state directory.
//!
//! Why SQLite and not a file per log: the check of the old size and the write of the new checkpoint must be
//! atomic (c2sp.org/tlog-witness), also between two processes on one state directory (`rightsgate witness
//! serve` and an offline `rightsgate witness add`). A conditional `UPDATE … WHERE size = ? AND root = ?` is a
//! compare-and-swap that SQLite makes atomic across processes, where a temporary file and a rename would need
//! a cross-process lock the standard library of our minimum Rust version does not offer. WAL mode with
//! `synchronous=FULL` makes each commit durable before it returns, so the cosignature is answered only after
//! the state that justifies it is on disk.

use std::path::Path;
use std::str::FromStr as _;
use std::time::Duration;

use ledger::{Digest, RootHash};
use sha2::{Digest as _, Sha256};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row as _, SqlitePool};

use crate::check::Latest;

/// The database file inside the state directory.
pub const DB_FILE: &str = "witness.db";

/// Why the state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The state directory could not be created.
    #[error("creating the state directory `{path}`: {source}")]
    Dir {
        /// The directory.
        path: String,
        /// The IO error.
        source: std::io::Error,
    },
    /// SQLite failed.
    #[error("witness state database: {0}")]
    Backend(#[from] sqlx::Error),
    /// A stored value cannot be read back.
    #[error("witness state database: corrupt `{0}`")]
    Corrupt(&'static str),
}

/// The witness's durable state, over SQLite.
#[derive(Debug, Clone)]
pub struct State {
    pool: SqlitePool,
}

/// A validly signed request the witness refused as a fork or a bad proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The log's origin.
    pub origin: String,
    /// The HTTP status it was refused with.
    pub status: u16,
    /// Why it was refused.
    pub reason: String,
    /// The whole request body.
    pub request: String,
}

/// The outcome of a compare-and-swap of a log's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Swap {
    /// The new state is committed and durable.
    Done,
    /// The state was not what the caller checked against: another request changed it first.
    Lost,
}

impl State {
    /// Opens (creating if needed) the state in `dir`.
    ///
    /// # Errors
    /// [`StateError`] if the directory or database cannot be created or opened.
    pub async fn open(dir: &Path) -> Result<Self, StateError> {
        std::fs::create_dir_all(dir)
            .map_err(|source| StateError::Dir { path: dir.display().to_string(), source })?;
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(dir.join(DB_FILE))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS latest (
                origin TEXT PRIMARY KEY NOT NULL,
                size INTEGER NOT NULL CHECK (size >= 0),
                root BLOB NOT NULL CHECK (length(root) = 32),
                cosigned_at INTEGER NOT NULL CHECK (cosigned_at >= 0),
                note TEXT NOT NULL
            );
            CREATE TABLE IF NOT EXISTS evidence (
                digest BLOB PRIMARY KEY NOT NULL,
                origin TEXT NOT NULL,
                status INTEGER NOT NULL,
                reason TEXT NOT NULL,
                received_at INTEGER NOT NULL,
                request TEXT NOT NULL
            );",
        )
        .execute(&pool)
        .await?;
        Ok(Self { pool })
    }

    /// The last checkpoint cosigned for `origin`, if any.
    ///
    /// # Errors
    /// [`StateError`] if the database fails or holds a value that cannot be read back.
    pub async fn latest(&self, origin: &str) -> Result<Option<Latest>, StateError> {
        let row = sqlx::query("SELECT size, root, cosigned_at, note FROM latest WHERE origin = ?")
            .bind(origin)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let size: i64 = row.try_get("size")?;
        let root: Vec<u8> = row.try_get("root")?;
        let cosigned_at: i64 = row.try_get("cosigned_at")?;
        let size = u64::try_from(size).map_err(|_| StateError::Corrupt("latest.size"))?;
        let root = Digest::from_slice(&root).ok_or(StateError::Corrupt("latest.root"))?;
        let timestamp =
            u64::try_from(cosigned_at).map_err(|_| StateError::Corrupt("latest.cosigned_at"))?;
        Ok(Some(Latest { root: RootHash::new(size, root), timestamp, note: row.try_get("note")? }))
    }

    /// Replaces the state of `origin` with `new`, but only if it still is `expected` (`None`: no state yet).
    ///
    /// When this returns [`Swap::Done`] the new state is committed durably.
    ///
    /// # Errors
    /// [`StateError`] if the database fails or a value does not fit it.
    pub async fn swap(
        &self,
        origin: &str,
        expected: Option<&RootHash>,
        new: &Latest,
    ) -> Result<Swap, StateError> {
        let size =
            i64::try_from(new.root.size()).map_err(|_| StateError::Corrupt("latest.size"))?;
        let time =
            i64::try_from(new.timestamp).map_err(|_| StateError::Corrupt("latest.cosigned_at"))?;
        let root = new.root.digest().as_bytes().to_vec();
        let done = match expected {
            None => sqlx::query(
                "INSERT INTO latest (origin, size, root, cosigned_at, note) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (origin) DO NOTHING",
            )
            .bind(origin)
            .bind(size)
            .bind(root)
            .bind(time)
            .bind(&new.note)
            .execute(&self.pool)
            .await?
            .rows_affected(),
            Some(old) => {
                let old_size =
                    i64::try_from(old.size()).map_err(|_| StateError::Corrupt("latest.size"))?;
                sqlx::query(
                    "UPDATE latest SET size = ?, root = ?, cosigned_at = ?, note = ?
                     WHERE origin = ? AND size = ? AND root = ?",
                )
                .bind(size)
                .bind(root)
                .bind(time)
                .bind(&new.note)
                .bind(origin)
                .bind(old_size)
                .bind(old.digest().as_bytes().to_vec())
                .execute(&self.pool)
                .await?
                .rows_affected()
            }
        };
        Ok(if done == 1 { Swap::Done } else { Swap::Lost })
    }

    /// Keeps a validly signed request that was refused as a fork or a bad proof: evidence the log misbehaved.
    /// Each checkpoint note is kept once (with the first request that carried it), so the table grows only
    /// with notes the log itself signed, not with proofs a client makes up.
    ///
    /// # Errors
    /// [`StateError`] if the database fails.
    pub async fn keep_evidence(
        &self,
        origin: &str,
        status: u16,
        reason: &str,
        note: &str,
        request: &str,
        now: u64,
    ) -> Result<(), StateError> {
        let digest = Sha256::digest(note.as_bytes()).to_vec();
        sqlx::query(
            "INSERT INTO evidence (digest, origin, status, reason, received_at, request)
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING",
        )
        .bind(digest)
        .bind(origin)
        .bind(i64::from(status))
        .bind(reason)
        .bind(i64::try_from(now).unwrap_or(i64::MAX))
        .bind(request)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The kept evidence, oldest first.
    ///
    /// # Errors
    /// [`StateError`] if the database fails.
    pub async fn evidence(&self) -> Result<Vec<Evidence>, StateError> {
        let rows = sqlx::query(
            "SELECT origin, status, reason, request FROM evidence ORDER BY received_at, digest",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let status: i64 = row.try_get("status")?;
                Ok(Evidence {
                    origin: row.try_get("origin")?,
                    status: u16::try_from(status)
                        .map_err(|_| StateError::Corrupt("evidence.status"))?,
                    reason: row.try_get("reason")?,
                    request: row.try_get("request")?,
                })
            })
            .collect()
    }

    /// Closes the database.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
