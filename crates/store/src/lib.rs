//! Persistence for rightsgate: one concrete [`Store`] over SQLite or PostgreSQL.
//!
//! Only this crate writes SQL. Each backend has its own migrations (`migrations/sqlite`,
//! `migrations/postgres`, with the same file names), and every query is run on both by the tests.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

mod cases;
mod cosigned;
mod floor;
mod ledger;
mod read;
mod reseal;
mod seal;
mod tallies;
mod tiles;
mod users;

pub use crate::cases::{
    Act, Actor, CaseView, Desk, Filter, Intake, PreparedIntake, Received, Summary, TimelineEntry,
    DUPLICATE_WINDOW_DAYS,
};
pub use crate::floor::postgres_fresh_schema;
pub use crate::ledger::{Consistency, Inclusion, Tampered, VerifyReport};
pub use crate::reseal::ResealReport;
pub use crate::seal::{Sealer, KEY_LEN};
pub use crate::tallies::KeptTally;
pub use crate::users::{
    api_token_id, check_name, Account, ApiToken, Authenticated, ConfirmError, NewSession,
    SecondApprover, Session, User, UserError, HASH_PERMITS, HASH_WAIT, LOGIN_BACKOFF_BASE,
    LOGIN_BACKOFF_MAX, LOGIN_CLIENT_BUDGET, LOGIN_FREE_FAILURES, LOGIN_WINDOW, MIN_PASSWORD_LEN,
    SESSION_TTL,
};

/// A handle on the database: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    /// Ledger node hashes known to be stored, shared by clones (see `ledger::ProofCache`).
    proof_cache: crate::ledger::ProofCache,
}

#[derive(Clone)]
enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The requested row does not exist.
    #[error("not found")]
    NotFound,
    /// The row already exists, or a concurrent writer got there first.
    #[error("conflict with an existing row or a concurrent writer")]
    Conflict,
    /// The database URL names no supported backend; the URL is held with its password redacted.
    #[error("unsupported database URL `{0}`: use `sqlite://PATH?mode=rwc` or `postgres://...`")]
    UnsupportedUrl(String),
    /// Connecting to the database failed; the URL and the message are held with the password redacted.
    #[error("cannot connect to `{url}`: {detail}")]
    Connect {
        /// The database URL, password redacted.
        url: String,
        /// What went wrong, password redacted.
        detail: String,
    },
    /// A requested tree size or leaf index lies outside the stored log.
    #[error("{0}")]
    Range(#[from] ::ledger::PlanError),
    /// The stored ledger does not recompute: rows were altered, removed or added out of band.
    #[error("ledger tampered: {0}")]
    Tampered(#[from] Tampered),
    /// Running the migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Any other database error.
    #[error("database error: {0}")]
    Backend(sqlx::Error),
    /// The event is not allowed in the case's state.
    #[error("{0}")]
    Transition(#[from] domain::case::TransitionError),
    /// The four-eyes rule refuses the decision.
    #[error("{0}")]
    FourEyes(#[from] domain::case::FourEyesError),
    /// The role may not take the action.
    #[error("a `{role}` may not `{action}`")]
    Forbidden {
        /// The actor's role.
        role: domain::case::Role,
        /// What they tried.
        action: &'static str,
    },
    /// Sealing or opening personal data failed.
    #[error("{0}")]
    Crypto(String),
    /// The acting account does not exist, is disabled, or does not hold the role it acts in.
    #[error("{0}")]
    Account(String),
    /// A field of the action is outside what the case allows (e.g. a disclosure outside the grant), or a field of a
    /// request is something the store cannot keep.
    #[error("{field}: {detail}")]
    Invalid {
        /// A JSON pointer into the action (`/disclosed/0/category`) or the request (`/reference`).
        field: String,
        /// What is wrong and what was expected.
        detail: String,
    },
    /// A stored row cannot be read back.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Too many password checks are running at once; nothing was checked.
    #[error("too many password checks at once: try again in a moment")]
    Busy,
    /// The account is disabled.
    #[error("account `{0}` is disabled")]
    Disabled(String),
}

/// A database URL fit to show: the password in the authority (`postgres://user:***@host/db`) and any
/// `password`-like query parameter (`?password=***`) are replaced by `***`.
#[must_use]
pub fn redact_url(url: &str) -> String {
    let (before_query, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let mut out = match before_query.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
            let authority = match authority.rsplit_once('@') {
                Some((userinfo, host)) => match userinfo.split_once(':') {
                    Some((user, _)) => format!("{user}:***@{host}"),
                    None => format!("{userinfo}@{host}"),
                },
                None => authority.to_owned(),
            };
            format!("{scheme}://{authority}{path}")
        }
        None => before_query.to_owned(),
    };
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if k.to_ascii_lowercase().contains("password") => format!("{k}=***"),
                _ => kv.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

/// The secrets in a database URL (the authority's password and `password`-like query values), so that they can
/// be scrubbed from messages that might quote them.
fn url_secrets(url: &str) -> Vec<String> {
    let mut secrets = Vec::new();
    let (before_query, query) = url.split_once('?').unwrap_or((url, ""));
    if let Some((_, rest)) = before_query.split_once("://") {
        let authority = rest.split('/').next().unwrap_or(rest);
        if let Some((userinfo, _)) = authority.rsplit_once('@') {
            if let Some((_, password)) = userinfo.split_once(':') {
                secrets.push(password.to_owned());
            }
        }
    }
    for kv in query.split('&') {
        if let Some((k, v)) = kv.split_once('=') {
            if k.to_ascii_lowercase().contains("password") {
                secrets.push(v.to_owned());
            }
        }
    }
    secrets.retain(|s| !s.is_empty());
    secrets
}

/// A connection error that names the redacted URL and never quotes its password.
fn connect_error(url: &str, e: &dyn fmt::Display) -> StoreError {
    let mut detail = e.to_string();
    for secret in url_secrets(url) {
        detail = detail.replace(&secret, "***");
    }
    StoreError::Connect { url: redact_url(url), detail }
}

impl StoreError {
    /// Whether the operation failed only because the database was held by another writer for longer than this
    /// store waits (SQLite's busy timeout, a PostgreSQL lock that could not be taken, or no pooled connection in
    /// time): nothing was written, and the same operation may succeed later.
    #[must_use]
    pub fn is_contention(&self) -> bool {
        match self {
            Self::Backend(sqlx::Error::PoolTimedOut) => true,
            Self::Backend(sqlx::Error::Database(db)) => {
                let code = db.code();
                let code = code.as_deref().unwrap_or_default();
                match code.parse::<i32>() {
                    // SQLite's extended codes keep the primary code in the low byte: BUSY (5) or LOCKED (6).
                    Ok(sqlite) => matches!(sqlite & 0xff, 5 | 6),
                    // PostgreSQL's SQLSTATE lock_not_available.
                    Err(_) => code == "55P03",
                }
            }
            _ => false,
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => Self::NotFound,
            sqlx::Error::Database(ref db) if db.is_unique_violation() => Self::Conflict,
            other => Self::Backend(other),
        }
    }
}

impl Store {
    /// Connects to `sqlite://PATH` (add `?mode=rwc` to create the file) or `postgres://...`, and runs
    /// the migrations.
    ///
    /// SQLite runs in WAL mode with `synchronous=FULL`, so a committed append survives a crash.
    ///
    /// # Errors
    /// [`StoreError::UnsupportedUrl`], [`StoreError::Connect`], or a migration error; neither quotes the URL's
    /// password.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| connect_error(url, &e))?
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                // A 64 MiB page cache keeps index lookups out of read(2) calls.
                .pragma("cache_size", "-65536");
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                // A connection is a handle in this process, not a socket that can go stale: checking it before
                // each use (the default) costs a round trip to its thread, which measured 0.75 ms of every
                // group commit's 8 ms.
                .test_before_acquire(false)
                .connect_with(options)
                .await
                .map_err(|e| connect_error(url, &e))?;
            sqlx::migrate!("migrations/sqlite").run(&pool).await?;
            let store = Self {
                backend: Backend::Sqlite(pool),
                proof_cache: crate::ledger::ProofCache::standard(),
            };
            store.carry_open_identifiers().await?;
            Ok(store)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .connect(url)
                .await
                .map_err(|e| connect_error(url, &e))?;
            sqlx::migrate!("migrations/postgres").run(&pool).await?;
            let store = Self {
                backend: Backend::Postgres(pool),
                proof_cache: crate::ledger::ProofCache::standard(),
            };
            store.carry_open_identifiers().await?;
            Ok(store)
        } else {
            Err(StoreError::UnsupportedUrl(redact_url(url)))
        }
    }

    /// `"sqlite"` or `"postgres"`.
    #[must_use]
    pub const fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Closes every pooled connection.
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite(p) => p.close().await,
            Backend::Postgres(p) => p.close().await,
        }
    }
}

impl fmt::Debug for Store {
    /// Names the backend only: connection options can hold credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend_name()).finish_non_exhaustive()
    }
}
