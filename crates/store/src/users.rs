//! Local accounts: Argon2id password hashes, browser sessions, API tokens for machine clients, disabling, and
//! sign-in throttling.
//!
//! Secrets never rest in clear: passwords are stored as Argon2id PHC strings, and session and API tokens
//! (256 random bits each, so a fast hash suffices) only as SHA-256 digests. Each session also carries a random
//! CSRF token that forms must echo.
//!
//! Throttling slows guessing without letting a stranger lock anyone out. Failures are recorded per
//! (account, client) in the database, so the limits hold across restarts and across servers sharing one
//! PostgreSQL database. A client that keeps failing for one account waits longer and longer between attempts
//! (exponential backoff after [`LOGIN_FREE_FAILURES`]), and a client that fails too often across accounts
//! waits until its failures age out ([`LOGIN_CLIENT_BUDGET`] per [`LOGIN_WINDOW`]). Only the client's own
//! failures count, so the right password from a client without recent failures is always checked, even while
//! the account is under attack from elsewhere.
//!
//! Password checks cost about 19 MiB and 50 ms each, so at most [`HASH_PERMITS`] run at once; a caller waits
//! up to [`HASH_WAIT`] for a turn and then gets [`StoreError::Busy`].

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine as _;
use domain::case::Role;
use sha2::{Digest as _, Sha256};
use sqlx::{QueryBuilder, Row};
use time::{Duration, OffsetDateTime};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::{Backend, Store, StoreError};

/// Failed sign-ins are remembered this long; older ones count for nothing.
pub const LOGIN_WINDOW: Duration = Duration::hours(1);

/// Failures one client may make for one account within [`LOGIN_WINDOW`] before it must wait between attempts.
pub const LOGIN_FREE_FAILURES: u64 = 3;

/// The first wait after [`LOGIN_FREE_FAILURES`]; each further failure doubles it, up to [`LOGIN_BACKOFF_MAX`].
pub const LOGIN_BACKOFF_BASE: Duration = Duration::seconds(2);

/// The longest wait between attempts for one (account, client).
pub const LOGIN_BACKOFF_MAX: Duration = Duration::minutes(15);

/// Failures one client may make across all accounts within [`LOGIN_WINDOW`]; beyond it the client waits until
/// its oldest counted failure ages out.
pub const LOGIN_CLIENT_BUDGET: u64 = 50;

/// How long a browser session lasts.
pub const SESSION_TTL: Duration = Duration::hours(12);

/// Password checks (and hashes) that may run at once in this process.
pub const HASH_PERMITS: usize = 4;

/// How long a password check waits for a turn before [`StoreError::Busy`].
pub const HASH_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// An account as signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The account name (unique).
    pub name: String,
    /// What the account may do.
    pub role: Role,
}

/// An account as listed, with its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The account name (unique).
    pub name: String,
    /// What the account may do.
    pub role: Role,
    /// When the account was disabled, if it is.
    pub disabled_at: Option<OffsetDateTime>,
}

/// An API token as listed: never the token itself, only its public id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// The token's public id ([`api_token_id`]).
    pub id: String,
    /// Whose token it is.
    pub user: String,
    /// What the token is for.
    pub label: String,
    /// When it was issued.
    pub created_at: OffsetDateTime,
    /// When it was revoked, if it was.
    pub revoked_at: Option<OffsetDateTime>,
}

/// A new browser session. The token is returned once and only its digest is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct NewSession {
    /// The session cookie's value.
    pub token: String,
    /// The token every form of this session must echo.
    pub csrf: String,
    /// When the session ends.
    pub expires_at: OffsetDateTime,
}

impl std::fmt::Debug for NewSession {
    /// Redacts both tokens.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession").field("expires_at", &self.expires_at).finish_non_exhaustive()
    }
}

/// A live session, as found from its cookie.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// Whose session it is.
    pub user: User,
    /// The session's CSRF token.
    pub csrf: String,
    /// When it ends.
    pub expires_at: OffsetDateTime,
}

impl std::fmt::Debug for Session {
    /// Redacts the CSRF token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("user", &self.user).finish_non_exhaustive()
    }
}

/// Why an account cannot be added.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// The name or password breaks the rules.
    #[error("{0}")]
    Invalid(String),
    /// The store failed ([`StoreError::Conflict`] when the name is taken).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The result of checking a name and password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authenticated {
    /// The password is right and the account is enabled.
    User(User),
    /// No such account, or the wrong password (indistinguishable on purpose).
    Wrong,
    /// The password is right but the account is disabled.
    Disabled,
    /// This client failed too often recently: nothing was checked.
    Throttled {
        /// When this client may try again.
        retry_after: OffsetDateTime,
    },
}

/// An approver who confirmed a decision with their own password; only [`Store::confirm_second_approver`] makes
/// one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondApprover {
    // INVARIANT: the name of an enabled approver account whose password was checked, other than the first
    // approver's.
    name: String,
}

impl SecondApprover {
    /// The second approver's account name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Why a second approver was not confirmed.
#[derive(Debug, thiserror::Error)]
pub enum ConfirmError {
    /// The second approver is the first.
    #[error("the second approver must be a different person from the first")]
    SameAccount,
    /// No such account, or the wrong password.
    #[error("the second approver's name or password is wrong")]
    WrongCredentials,
    /// The account does not hold the approver role.
    #[error("the second approver must hold the approver role")]
    NotApprover,
    /// The account is disabled.
    #[error("the second approver's account is disabled")]
    Disabled,
    /// This client failed too often recently for the account: nothing was checked.
    #[error("too many failed attempts for the second approver: try again later")]
    Throttled {
        /// When this client may try again.
        retry_after: OffsetDateTime,
    },
    /// Too many password checks are running.
    #[error("too many password checks at once: try again in a moment")]
    Busy,
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ConfirmError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Busy => ConfirmError::Busy,
            other => ConfirmError::Store(other),
        }
    }
}

/// The public id of an API token: the first 8 hex digits of its SHA-256 digest (which is what is stored).
#[must_use]
pub fn api_token_id(token: &str) -> String {
    id_of_hash(&token_hash(token))
}

fn id_of_hash(hash: &[u8]) -> String {
    hex::encode(hash.get(..4).unwrap_or(hash))
}

fn unix(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

/// A stored time; `what` names the row and column for the error.
fn from_unix(s: i64, what: impl FnOnce() -> String) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp(s)
        .map_err(|_| StoreError::Corrupt(format!("{} holds `{s}`, not a time", what())))
}

fn count_of(n: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("{what} is negative: `{n}`")))
}

/// A random token: a readable prefix and 256 random bits, base64url.
fn random_token(prefix: &str) -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Hashes a password with Argon2id (the crate's default parameters: 19 MiB, 2 passes).
fn hash_password(password: &str) -> Result<String, StoreError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Crypto(format!("hashing a password: {e}")))
}

fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A hash of a random password, verified against when the account does not exist so that an unknown name
/// costs the same time as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password(&random_token("")).unwrap_or_default())
}

/// The process-wide cap on concurrent password work.
static HASHING: Semaphore = Semaphore::const_new(HASH_PERMITS);

/// Waits up to `wait` for a turn at password work.
async fn turn(
    gate: &Semaphore,
    wait: std::time::Duration,
) -> Result<SemaphorePermit<'_>, StoreError> {
    match tokio::time::timeout(wait, gate.acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        Ok(Err(_)) | Err(_) => Err(StoreError::Busy),
    }
}

/// Runs CPU-heavy password work off the async worker threads, holding a turn until the work ends (even when
/// the caller stops waiting).
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StoreError> {
    let permit = turn(&HASHING, HASH_WAIT).await?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        f()
    })
    .await
    .map_err(|_| StoreError::Crypto("password hashing was interrupted".to_owned()))
}

/// A client's recent failures: for the account it tries (count and latest) and across accounts (count and
/// oldest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Failures {
    pair: u64,
    pair_latest: Option<OffsetDateTime>,
    client: u64,
    client_oldest: Option<OffsetDateTime>,
}

/// How long an (account, client) waits after `n` failures: nothing up to [`LOGIN_FREE_FAILURES`], then
/// [`LOGIN_BACKOFF_BASE`] doubling per failure, at most [`LOGIN_BACKOFF_MAX`].
fn backoff(n: u64) -> Duration {
    let Some(extra) = n.checked_sub(LOGIN_FREE_FAILURES) else { return Duration::ZERO };
    u32::try_from(extra)
        .ok()
        .and_then(|e| 2i32.checked_pow(e))
        .and_then(|factor| LOGIN_BACKOFF_BASE.checked_mul(factor))
        .map_or(LOGIN_BACKOFF_MAX, |d| d.min(LOGIN_BACKOFF_MAX))
}

/// When the client may try again, if it must wait now.
fn throttle(f: Failures, now: OffsetDateTime) -> Option<OffsetDateTime> {
    let pair = f.pair_latest.map(|latest| latest + backoff(f.pair));
    let client = if f.client >= LOGIN_CLIENT_BUDGET {
        f.client_oldest.map(|oldest| oldest + LOGIN_WINDOW)
    } else {
        None
    };
    pair.into_iter().chain(client).filter(|t| *t > now).max()
}

/// Checks an account name: 1 to 64 characters, letters, digits, `.`, `_`, `-` and `@`.
///
/// # Errors
/// A message saying what is wrong.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(format!("account name `{name}` must be 1 to 64 letters, digits, `.`, `_`, `-` or `@`"))
    }
}

/// The shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 12;

fn parse_role(name: &str, account: &str) -> Result<Role, StoreError> {
    Role::parse(name).ok_or_else(|| {
        StoreError::Corrupt(format!("`users.role` of account `{account}` is unknown: `{name}`"))
    })
}

macro_rules! user_queries {
    ($db:ty, $conn:ty) => {
        use super::*;

        pub(crate) async fn insert_user(
            conn: &mut $conn,
            name: &str,
            role: Role,
            hash: &str,
            now: OffsetDateTime,
        ) -> Result<(), StoreError> {
            QueryBuilder::<$db>::new(
                "INSERT INTO users (name, role, password_hash, created_at) VALUES (",
            )
            .push_bind(name.to_owned())
            .push(", ")
            .push_bind(role.as_str())
            .push(", ")
            .push_bind(hash.to_owned())
            .push(", ")
            .push_bind(unix(now))
            .push(")")
            .build()
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        /// An account's role and whether it is disabled; usable inside a transaction.
        pub(crate) async fn account(
            conn: &mut $conn,
            name: &str,
        ) -> Result<Option<(Role, bool)>, StoreError> {
            Ok(user_hash(conn, name).await?.map(|(user, _, disabled)| (user.role, disabled)))
        }

        /// An account, its password hash, and whether it is disabled.
        pub(crate) async fn user_hash(
            conn: &mut $conn,
            name: &str,
        ) -> Result<Option<(User, String, bool)>, StoreError> {
            let row = QueryBuilder::<$db>::new(
                "SELECT role, password_hash, disabled_at IS NOT NULL FROM users WHERE name = ",
            )
            .push_bind(name.to_owned())
            .build()
            .fetch_optional(&mut *conn)
            .await?;
            match row {
                None => Ok(None),
                Some(r) => {
                    let role: String = r.try_get(0)?;
                    let user = User { name: name.to_owned(), role: parse_role(&role, name)? };
                    Ok(Some((user, r.try_get(1)?, r.try_get(2)?)))
                }
            }
        }

        pub(crate) async fn users(conn: &mut $conn) -> Result<Vec<Account>, StoreError> {
            let rows = QueryBuilder::<$db>::new(
                "SELECT name, role, disabled_at FROM users ORDER BY name",
            )
            .build()
            .fetch_all(&mut *conn)
            .await?;
            rows.iter()
                .map(|r| {
                    let name: String = r.try_get(0)?;
                    let role: String = r.try_get(1)?;
                    let disabled: Option<i64> = r.try_get(2)?;
                    let disabled_at = disabled
                        .map(|s| from_unix(s, || format!("`users.disabled_at` of account `{name}`")))
                        .transpose()?;
                    Ok(Account { role: parse_role(&role, &name)?, name, disabled_at })
                })
                .collect()
        }

        /// Marks an enabled account disabled (returns whether a row changed), ends its sessions and revokes its
        /// live API tokens.
        pub(crate) async fn disable(
            conn: &mut $conn,
            name: &str,
            now: OffsetDateTime,
        ) -> Result<bool, StoreError> {
            let done = QueryBuilder::<$db>::new("UPDATE users SET disabled_at = ")
                .push_bind(unix(now))
                .push(" WHERE disabled_at IS NULL AND name = ")
                .push_bind(name.to_owned())
                .build()
                .execute(&mut *conn)
                .await?;
            QueryBuilder::<$db>::new("DELETE FROM sessions WHERE user_name = ")
                .push_bind(name.to_owned())
                .build()
                .execute(&mut *conn)
                .await?;
            QueryBuilder::<$db>::new("UPDATE api_tokens SET revoked_at = ")
                .push_bind(unix(now))
                .push(" WHERE revoked_at IS NULL AND user_name = ")
                .push_bind(name.to_owned())
                .build()
                .execute(&mut *conn)
                .await?;
            Ok(done.rows_affected() > 0)
        }

        /// Clears an account's disabled mark; returns whether the account exists.
        pub(crate) async fn enable(conn: &mut $conn, name: &str) -> Result<bool, StoreError> {
            let done = QueryBuilder::<$db>::new("UPDATE users SET disabled_at = NULL WHERE name = ")
                .push_bind(name.to_owned())
                .build()
                .execute(&mut *conn)
                .await?;
            Ok(done.rows_affected() > 0)
        }

        /// A client's failures within the window: for `name`, and across accounts.
        pub(crate) async fn failures(
            conn: &mut $conn,
            name: &str,
            client: &str,
            now: OffsetDateTime,
        ) -> Result<Failures, StoreError> {
            let since = unix(now - LOGIN_WINDOW);
            let pair = QueryBuilder::<$db>::new(
                "SELECT COUNT(*), MAX(at) FROM login_failures WHERE name = ",
            )
            .push_bind(name.to_owned())
            .push(" AND client = ")
            .push_bind(client.to_owned())
            .push(" AND at > ")
            .push_bind(since)
            .build()
            .fetch_one(&mut *conn)
            .await?;
            let all = QueryBuilder::<$db>::new(
                "SELECT COUNT(*), MIN(at) FROM login_failures WHERE client = ",
            )
            .push_bind(client.to_owned())
            .push(" AND at > ")
            .push_bind(since)
            .build()
            .fetch_one(&mut *conn)
            .await?;
            let at = |s: Option<i64>| {
                s.map(|s| from_unix(s, || format!("`login_failures.at` for client `{client}`")))
                    .transpose()
            };
            Ok(Failures {
                pair: count_of(pair.try_get(0)?, "a count of `login_failures`")?,
                pair_latest: at(pair.try_get(1)?)?,
                client: count_of(all.try_get(0)?, "a count of `login_failures`")?,
                client_oldest: at(all.try_get(1)?)?,
            })
        }

        pub(crate) async fn record_failure(
            conn: &mut $conn,
            name: &str,
            client: &str,
            now: OffsetDateTime,
        ) -> Result<(), StoreError> {
            QueryBuilder::<$db>::new("DELETE FROM login_failures WHERE at <= ")
                .push_bind(unix(now - LOGIN_WINDOW))
                .build()
                .execute(&mut *conn)
                .await?;
            QueryBuilder::<$db>::new("INSERT INTO login_failures (name, client, at) VALUES (")
                .push_bind(name.to_owned())
                .push(", ")
                .push_bind(client.to_owned())
                .push(", ")
                .push_bind(unix(now))
                .push(")")
                .build()
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        pub(crate) async fn clear_failures(
            conn: &mut $conn,
            name: &str,
            client: &str,
        ) -> Result<(), StoreError> {
            QueryBuilder::<$db>::new("DELETE FROM login_failures WHERE name = ")
                .push_bind(name.to_owned())
                .push(" AND client = ")
                .push_bind(client.to_owned())
                .build()
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        pub(crate) async fn insert_session(
            conn: &mut $conn,
            name: &str,
            s: &NewSession,
            now: OffsetDateTime,
        ) -> Result<(), StoreError> {
            QueryBuilder::<$db>::new("DELETE FROM sessions WHERE expires_at <= ")
                .push_bind(unix(now))
                .build()
                .execute(&mut *conn)
                .await?;
            QueryBuilder::<$db>::new(
                "INSERT INTO sessions (token_hash, user_name, csrf, created_at, expires_at) VALUES (",
            )
            .push_bind(token_hash(&s.token))
            .push(", ")
            .push_bind(name.to_owned())
            .push(", ")
            .push_bind(s.csrf.clone())
            .push(", ")
            .push_bind(unix(now))
            .push(", ")
            .push_bind(unix(s.expires_at))
            .push(")")
            .build()
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        /// A live session of an enabled account.
        pub(crate) async fn session(
            conn: &mut $conn,
            token: &str,
            now: OffsetDateTime,
        ) -> Result<Option<Session>, StoreError> {
            let row = QueryBuilder::<$db>::new(
                "SELECT u.name, u.role, s.csrf, s.expires_at FROM sessions s JOIN users u ON u.name = s.user_name \
                 WHERE u.disabled_at IS NULL AND s.token_hash = ",
            )
            .push_bind(token_hash(token))
            .push(" AND s.expires_at > ")
            .push_bind(unix(now))
            .build()
            .fetch_optional(&mut *conn)
            .await?;
            match row {
                None => Ok(None),
                Some(r) => {
                    let name: String = r.try_get(0)?;
                    let role: String = r.try_get(1)?;
                    let expires: i64 = r.try_get(3)?;
                    let expires_at = from_unix(expires, || {
                        format!("`sessions.expires_at` of a session of account `{name}`")
                    })?;
                    Ok(Some(Session {
                        user: User { role: parse_role(&role, &name)?, name },
                        csrf: r.try_get(2)?,
                        expires_at,
                    }))
                }
            }
        }

        pub(crate) async fn delete_session(conn: &mut $conn, token: &str) -> Result<(), StoreError> {
            QueryBuilder::<$db>::new("DELETE FROM sessions WHERE token_hash = ")
                .push_bind(token_hash(token))
                .build()
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        pub(crate) async fn insert_token(
            conn: &mut $conn,
            name: &str,
            label: &str,
            token: &str,
            now: OffsetDateTime,
        ) -> Result<(), StoreError> {
            QueryBuilder::<$db>::new(
                "INSERT INTO api_tokens (token_hash, user_name, label, created_at) VALUES (",
            )
            .push_bind(token_hash(token))
            .push(", ")
            .push_bind(name.to_owned())
            .push(", ")
            .push_bind(label.to_owned())
            .push(", ")
            .push_bind(unix(now))
            .push(")")
            .build()
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        /// The enabled account a live (unrevoked) API token belongs to.
        pub(crate) async fn token_user(
            conn: &mut $conn,
            token: &str,
        ) -> Result<Option<User>, StoreError> {
            let row = QueryBuilder::<$db>::new(
                "SELECT u.name, u.role FROM api_tokens t JOIN users u ON u.name = t.user_name \
                 WHERE t.revoked_at IS NULL AND u.disabled_at IS NULL AND t.token_hash = ",
            )
            .push_bind(token_hash(token))
            .build()
            .fetch_optional(&mut *conn)
            .await?;
            match row {
                None => Ok(None),
                Some(r) => {
                    let name: String = r.try_get(0)?;
                    let role: String = r.try_get(1)?;
                    Ok(Some(User { role: parse_role(&role, &name)?, name }))
                }
            }
        }

        /// An account's tokens with their digests, oldest first.
        pub(crate) async fn tokens(
            conn: &mut $conn,
            name: &str,
        ) -> Result<Vec<(Vec<u8>, ApiToken)>, StoreError> {
            let rows = QueryBuilder::<$db>::new(
                "SELECT token_hash, label, created_at, revoked_at FROM api_tokens WHERE user_name = ",
            )
            .push_bind(name.to_owned())
            .push(" ORDER BY created_at, token_hash")
            .build()
            .fetch_all(&mut *conn)
            .await?;
            rows.iter()
                .map(|r| {
                    let hash: Vec<u8> = r.try_get(0)?;
                    let id = id_of_hash(&hash);
                    let created: i64 = r.try_get(2)?;
                    let revoked: Option<i64> = r.try_get(3)?;
                    let what = |column: &str| {
                        format!("`api_tokens.{column}` of token `{id}` of account `{name}`")
                    };
                    let created_at = from_unix(created, || what("created_at"))?;
                    let revoked_at =
                        revoked.map(|s| from_unix(s, || what("revoked_at"))).transpose()?;
                    let token = ApiToken {
                        user: name.to_owned(),
                        label: r.try_get(1)?,
                        created_at,
                        revoked_at,
                        id,
                    };
                    Ok((hash, token))
                })
                .collect()
        }

        pub(crate) async fn revoke_token(
            conn: &mut $conn,
            hash: &[u8],
            now: OffsetDateTime,
        ) -> Result<(), StoreError> {
            QueryBuilder::<$db>::new("UPDATE api_tokens SET revoked_at = ")
                .push_bind(unix(now))
                .push(" WHERE revoked_at IS NULL AND token_hash = ")
                .push_bind(hash.to_owned())
                .build()
                .execute(&mut *conn)
                .await?;
            Ok(())
        }
    };
}

/// The queries on SQLite; `account` is usable inside a transaction (`crate::users::sqlite::account`).
pub(crate) mod sqlite {
    user_queries!(sqlx::Sqlite, sqlx::SqliteConnection);
}

/// The queries on PostgreSQL; `account` is usable inside a transaction (`crate::users::postgres::account`).
pub(crate) mod postgres {
    user_queries!(sqlx::Postgres, sqlx::PgConnection);
}

/// Runs one query function on whichever backend the store has, on a pooled connection.
macro_rules! on_conn {
    ($store:expr, $f:ident ( $($arg:expr),* )) => {
        match &$store.backend {
            Backend::Sqlite(pool) => sqlite::$f(&mut *pool.acquire().await?, $($arg),*).await,
            Backend::Postgres(pool) => postgres::$f(&mut *pool.acquire().await?, $($arg),*).await,
        }
    };
}

/// Runs one query function in its own transaction on whichever backend the store has.
macro_rules! in_tx {
    ($store:expr, $f:ident ( $($arg:expr),* )) => {
        match &$store.backend {
            Backend::Sqlite(pool) => {
                let mut tx = pool.begin().await?;
                let out = sqlite::$f(&mut *tx, $($arg),*).await?;
                tx.commit().await?;
                out
            }
            Backend::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let out = postgres::$f(&mut *tx, $($arg),*).await?;
                tx.commit().await?;
                out
            }
        }
    };
}

impl Store {
    /// Adds an account with an Argon2id hash of `password`.
    ///
    /// # Errors
    /// [`UserError::Invalid`] for a bad name or a password shorter than [`MIN_PASSWORD_LEN`], or a store error
    /// ([`StoreError::Conflict`] when the name is taken, [`StoreError::Busy`] when too many password checks
    /// run).
    pub async fn add_user(
        &self,
        name: &str,
        role: Role,
        password: &str,
        now: OffsetDateTime,
    ) -> Result<User, UserError> {
        check_name(name).map_err(UserError::Invalid)?;
        if password.chars().count() < MIN_PASSWORD_LEN {
            return Err(UserError::Invalid(format!(
                "the password must be at least {MIN_PASSWORD_LEN} characters long"
            )));
        }
        let password = password.to_owned();
        let hash = blocking(move || hash_password(&password)).await??;
        self.insert_user(name, role, &hash, now).await?;
        Ok(User { name: name.to_owned(), role })
    }

    async fn insert_user(
        &self,
        name: &str,
        role: Role,
        hash: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        on_conn!(self, insert_user(name, role, hash, now))
    }

    /// Every account, by name, with its disabled state.
    ///
    /// # Errors
    /// A database error, or [`StoreError::Corrupt`] for a row that does not read back.
    pub async fn users(&self) -> Result<Vec<Account>, StoreError> {
        on_conn!(self, users())
    }

    /// Disables an account: it can no longer sign in or confirm a decision, its sessions end, and its API tokens
    /// are revoked (enabling it again does not bring them back). Disabling a disabled account changes nothing.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown account, or a database error.
    pub async fn disable_user(&self, name: &str, now: OffsetDateTime) -> Result<(), StoreError> {
        let changed = in_tx!(self, disable(name, now));
        if !changed && on_conn!(self, account(name))?.is_none() {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Enables a disabled account again (it needs new sessions and tokens).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown account, or a database error.
    pub async fn enable_user(&self, name: &str) -> Result<(), StoreError> {
        if on_conn!(self, enable(name))? {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// Checks a name and password from `client` (an address, or any stable label of who is asking).
    ///
    /// A client that failed [`LOGIN_FREE_FAILURES`] times for this account within [`LOGIN_WINDOW`] must wait
    /// [`LOGIN_BACKOFF_BASE`], doubling with each further failure up to [`LOGIN_BACKOFF_MAX`]; a client that
    /// failed [`LOGIN_CLIENT_BUDGET`] times across accounts waits until the oldest of those failures leaves the
    /// window. Only the client's own failures count, so other clients are never slowed. A success clears the
    /// client's failures for the account.
    ///
    /// # Errors
    /// [`StoreError::Busy`] when too many password checks run, or a database error.
    pub async fn authenticate(
        &self,
        name: &str,
        password: &str,
        client: &str,
        now: OffsetDateTime,
    ) -> Result<Authenticated, StoreError> {
        let failures = on_conn!(self, failures(name, client, now))?;
        if let Some(retry_after) = throttle(failures, now) {
            return Ok(Authenticated::Throttled { retry_after });
        }
        let found = on_conn!(self, user_hash(name))?;
        let (user, phc, disabled) = match found {
            Some((user, phc, disabled)) => (Some(user), Some(phc), disabled),
            None => (None, None, false),
        };
        let password = password.to_owned();
        let ok = blocking(move || {
            let phc = phc.unwrap_or_else(|| decoy_hash().to_owned());
            verify_password(&password, &phc)
        })
        .await?;
        match user {
            Some(_) if ok && disabled => Ok(Authenticated::Disabled),
            Some(user) if ok => {
                on_conn!(self, clear_failures(name, client))?;
                Ok(Authenticated::User(user))
            }
            _ => {
                on_conn!(self, record_failure(name, client, now))?;
                Ok(Authenticated::Wrong)
            }
        }
    }

    /// Checks `name`'s password (with the same throttling as sign-in), that the account is enabled, holds the
    /// approver role, and is not `first`.
    ///
    /// # Errors
    /// A [`ConfirmError`] saying which check failed.
    pub async fn confirm_second_approver(
        &self,
        first: &str,
        name: &str,
        password: &str,
        client: &str,
        now: OffsetDateTime,
    ) -> Result<SecondApprover, ConfirmError> {
        if first == name {
            return Err(ConfirmError::SameAccount);
        }
        match self.authenticate(name, password, client, now).await? {
            Authenticated::User(user) if user.role == Role::Approver => {
                Ok(SecondApprover { name: user.name })
            }
            Authenticated::User(_) => Err(ConfirmError::NotApprover),
            Authenticated::Wrong => Err(ConfirmError::WrongCredentials),
            Authenticated::Disabled => Err(ConfirmError::Disabled),
            Authenticated::Throttled { retry_after } => {
                Err(ConfirmError::Throttled { retry_after })
            }
        }
    }

    /// Opens a browser session for an account that just authenticated.
    ///
    /// # Errors
    /// A database error.
    pub async fn create_session(
        &self,
        name: &str,
        now: OffsetDateTime,
    ) -> Result<NewSession, StoreError> {
        let session = NewSession {
            token: random_token("rgs_"),
            csrf: random_token(""),
            expires_at: now + SESSION_TTL,
        };
        on_conn!(self, insert_session(name, &session, now))?;
        Ok(session)
    }

    /// The live session a cookie names, if any; a disabled account has none.
    ///
    /// # Errors
    /// A database error.
    pub async fn session(
        &self,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Session>, StoreError> {
        on_conn!(self, session(token, now))
    }

    /// Ends a session (logging out).
    ///
    /// # Errors
    /// A database error.
    pub async fn end_session(&self, token: &str) -> Result<(), StoreError> {
        on_conn!(self, delete_session(token))
    }

    /// Issues an API token for a machine client of the account; the token is returned once and only its digest
    /// is stored. Its public id is [`api_token_id`].
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown account, [`StoreError::Disabled`] for a disabled one, or a
    /// database error.
    pub async fn create_api_token(
        &self,
        name: &str,
        label: &str,
        now: OffsetDateTime,
    ) -> Result<String, StoreError> {
        match on_conn!(self, account(name))? {
            None => return Err(StoreError::NotFound),
            Some((_, true)) => return Err(StoreError::Disabled(name.to_owned())),
            Some((_, false)) => {}
        }
        let token = random_token("rgt_");
        on_conn!(self, insert_token(name, label, &token, now))?;
        Ok(token)
    }

    /// The enabled account a live API token belongs to, if any.
    ///
    /// # Errors
    /// A database error.
    pub async fn api_token_user(&self, token: &str) -> Result<Option<User>, StoreError> {
        on_conn!(self, token_user(token))
    }

    /// An account's API tokens, revoked ones included, oldest first.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown account, or a database error.
    pub async fn api_tokens(&self, name: &str) -> Result<Vec<ApiToken>, StoreError> {
        if on_conn!(self, account(name))?.is_none() {
            return Err(StoreError::NotFound);
        }
        Ok(on_conn!(self, tokens(name))?.into_iter().map(|(_, t)| t).collect())
    }

    /// Revokes the account's API token with public id `id` (see [`api_token_id`]); it stops working at once.
    /// Revoking a revoked token changes nothing.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the account has no token with that id, or a database error.
    pub async fn revoke_api_token(
        &self,
        name: &str,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let id = id.trim().to_ascii_lowercase();
        let matching: Vec<Vec<u8>> = on_conn!(self, tokens(name))?
            .into_iter()
            .filter(|(_, t)| t.id == id)
            .map(|(hash, _)| hash)
            .collect();
        if matching.is_empty() {
            return Err(StoreError::NotFound);
        }
        for hash in &matching {
            on_conn!(self, revoke_token(hash, now))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
