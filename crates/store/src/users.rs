//! Local accounts: Argon2id password hashes, browser sessions, API tokens for machine clients, and login rate
//! limiting.
//!
//! Secrets never rest in clear: passwords are stored as Argon2id PHC strings, and session and API tokens
//! (256 random bits each, so a fast hash suffices) only as SHA-256 digests. Each session also carries a random
//! CSRF token that forms must echo. Failed logins are counted per account name in the database, so the limit
//! holds across restarts and across servers sharing one PostgreSQL database.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine as _;
use domain::case::Role;
use sha2::{Digest as _, Sha256};
use sqlx::{QueryBuilder, Row};
use time::{Duration, OffsetDateTime};

use crate::{Backend, Store, StoreError};

/// Failed logins allowed per account within [`LOGIN_WINDOW`] before further attempts are refused.
pub const LOGIN_MAX_FAILURES: u64 = 5;

/// The window over which failed logins are counted.
pub const LOGIN_WINDOW: Duration = Duration::minutes(15);

/// How long a browser session lasts.
pub const SESSION_TTL: Duration = Duration::hours(12);

/// An account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The account name (unique).
    pub name: String,
    /// What the account may do.
    pub role: Role,
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
    /// The password is right.
    User(User),
    /// No such account, or the wrong password (indistinguishable on purpose).
    Wrong,
    /// Too many recent failures: nothing was checked.
    Limited {
        /// When the oldest counted failure leaves the window.
        retry_after: OffsetDateTime,
    },
}

fn unix(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

fn from_unix(s: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(s).unwrap_or(OffsetDateTime::UNIX_EPOCH)
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

/// Runs CPU-heavy password work off the async worker threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| StoreError::Crypto("password hashing was interrupted".to_owned()))
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

fn parse_role(name: &str) -> Result<Role, StoreError> {
    Role::parse(name).ok_or_else(|| StoreError::Corrupt(format!("unknown role `{name}`")))
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

        pub(crate) async fn user_hash(
            conn: &mut $conn,
            name: &str,
        ) -> Result<Option<(User, String)>, StoreError> {
            let row = QueryBuilder::<$db>::new(
                "SELECT name, role, password_hash FROM users WHERE name = ",
            )
            .push_bind(name.to_owned())
            .build()
            .fetch_optional(&mut *conn)
            .await?;
            match row {
                None => Ok(None),
                Some(r) => {
                    let role: String = r.try_get(1)?;
                    Ok(Some((User { name: r.try_get(0)?, role: parse_role(&role)? }, r.try_get(2)?)))
                }
            }
        }

        pub(crate) async fn users(conn: &mut $conn) -> Result<Vec<User>, StoreError> {
            let rows = QueryBuilder::<$db>::new("SELECT name, role FROM users ORDER BY name")
                .build()
                .fetch_all(&mut *conn)
                .await?;
            rows.iter()
                .map(|r| {
                    let role: String = r.try_get(1)?;
                    Ok(User { name: r.try_get(0)?, role: parse_role(&role)? })
                })
                .collect()
        }

        /// The failures counted now and the time of the oldest of them.
        pub(crate) async fn failures(
            conn: &mut $conn,
            name: &str,
            now: OffsetDateTime,
        ) -> Result<(u64, Option<OffsetDateTime>), StoreError> {
            let row = QueryBuilder::<$db>::new(
                "SELECT COUNT(*), MIN(at) FROM login_failures WHERE name = ",
            )
            .push_bind(name.to_owned())
            .push(" AND at > ")
            .push_bind(unix(now - LOGIN_WINDOW))
            .build()
            .fetch_one(&mut *conn)
            .await?;
            let count: i64 = row.try_get(0)?;
            let oldest: Option<i64> = row.try_get(1)?;
            Ok((u64::try_from(count).unwrap_or(0), oldest.map(from_unix)))
        }

        pub(crate) async fn record_failure(
            conn: &mut $conn,
            name: &str,
            now: OffsetDateTime,
        ) -> Result<(), StoreError> {
            QueryBuilder::<$db>::new("DELETE FROM login_failures WHERE at <= ")
                .push_bind(unix(now - LOGIN_WINDOW))
                .build()
                .execute(&mut *conn)
                .await?;
            QueryBuilder::<$db>::new("INSERT INTO login_failures (name, at) VALUES (")
                .push_bind(name.to_owned())
                .push(", ")
                .push_bind(unix(now))
                .push(")")
                .build()
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        pub(crate) async fn clear_failures(conn: &mut $conn, name: &str) -> Result<(), StoreError> {
            QueryBuilder::<$db>::new("DELETE FROM login_failures WHERE name = ")
                .push_bind(name.to_owned())
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

        pub(crate) async fn session(
            conn: &mut $conn,
            token: &str,
            now: OffsetDateTime,
        ) -> Result<Option<Session>, StoreError> {
            let row = QueryBuilder::<$db>::new(
                "SELECT u.name, u.role, s.csrf, s.expires_at FROM sessions s JOIN users u ON u.name = s.user_name \
                 WHERE s.token_hash = ",
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
                    let role: String = r.try_get(1)?;
                    let expires: i64 = r.try_get(3)?;
                    Ok(Some(Session {
                        user: User { name: r.try_get(0)?, role: parse_role(&role)? },
                        csrf: r.try_get(2)?,
                        expires_at: from_unix(expires),
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

        pub(crate) async fn token_user(
            conn: &mut $conn,
            token: &str,
        ) -> Result<Option<User>, StoreError> {
            let row = QueryBuilder::<$db>::new(
                "SELECT u.name, u.role FROM api_tokens t JOIN users u ON u.name = t.user_name WHERE t.token_hash = ",
            )
            .push_bind(token_hash(token))
            .build()
            .fetch_optional(&mut *conn)
            .await?;
            match row {
                None => Ok(None),
                Some(r) => {
                    let role: String = r.try_get(1)?;
                    Ok(Some(User { name: r.try_get(0)?, role: parse_role(&role)? }))
                }
            }
        }
    };
}

mod sqlite {
    user_queries!(sqlx::Sqlite, sqlx::SqliteConnection);
}

mod postgres {
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

impl Store {
    /// Adds an account with an Argon2id hash of `password`.
    ///
    /// # Errors
    /// [`UserError::Invalid`] for a bad name or a password shorter than [`MIN_PASSWORD_LEN`], or a store error
    /// ([`StoreError::Conflict`] when the name is taken).
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

    /// Every account, by name.
    ///
    /// # Errors
    /// A database error.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        on_conn!(self, users())
    }

    /// Checks a name and password, counting failures: after [`LOGIN_MAX_FAILURES`] failures within
    /// [`LOGIN_WINDOW`] the account is not checked at all until the oldest failure leaves the window.
    /// A success clears the count.
    ///
    /// # Errors
    /// A database error.
    pub async fn authenticate(
        &self,
        name: &str,
        password: &str,
        now: OffsetDateTime,
    ) -> Result<Authenticated, StoreError> {
        let (count, oldest) = on_conn!(self, failures(name, now))?;
        if count >= LOGIN_MAX_FAILURES {
            let retry_after = oldest.unwrap_or(now) + LOGIN_WINDOW;
            return Ok(Authenticated::Limited { retry_after });
        }
        let found = on_conn!(self, user_hash(name))?;
        let (user, phc) = match found {
            Some((user, phc)) => (Some(user), phc),
            None => (None, decoy_hash().to_owned()),
        };
        let password = password.to_owned();
        let ok = blocking(move || verify_password(&password, &phc)).await?;
        match user {
            Some(user) if ok => {
                on_conn!(self, clear_failures(name))?;
                Ok(Authenticated::User(user))
            }
            _ => {
                on_conn!(self, record_failure(name, now))?;
                Ok(Authenticated::Wrong)
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

    /// The live session a cookie names, if any.
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
    /// is stored.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown account, or a database error.
    pub async fn create_api_token(
        &self,
        name: &str,
        label: &str,
        now: OffsetDateTime,
    ) -> Result<String, StoreError> {
        if on_conn!(self, user_hash(name))?.is_none() {
            return Err(StoreError::NotFound);
        }
        let token = random_token("rgt_");
        on_conn!(self, insert_token(name, label, &token, now))?;
        Ok(token)
    }

    /// The account an API token belongs to, if any.
    ///
    /// # Errors
    /// A database error.
    pub async fn api_token_user(&self, token: &str) -> Result<Option<User>, StoreError> {
        on_conn!(self, token_user(token))
    }
}
