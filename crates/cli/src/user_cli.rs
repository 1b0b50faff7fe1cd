//! `rightsgate user add|list|disable|enable|token`: local accounts. The password is read from stdin, or
//! generated and printed once; `--token` also issues an API token for a machine client, printed once.
//!
//! Accounts are disabled, never deleted (case events name them); disabling ends their sessions and revokes
//! their tokens at once. An API token is named by its public id (the first 8 hex digits of its SHA-256), which
//! `token create` prints with the token and `token list` shows; `token revoke NAME ID` ends it.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use domain::case::Role;

use crate::{clock, data_dir};

/// `rightsgate user …`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum UserCommand {
    /// Add an account.
    Add {
        /// The account name (letters, digits, `.`, `_`, `-`, `@`).
        name: String,
        /// intake_officer, reviewer, legal_adviser, approver, oversight or auditor_public.
        #[arg(long)]
        role: String,
        /// Read the password from the first line of stdin instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        /// Also issue an API token (printed once).
        #[arg(long)]
        token: bool,
        /// Database URL; the data directory's store by default.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
    },
    /// List accounts, their roles, and when they were disabled.
    List {
        /// Database URL; the data directory's store by default.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
    },
    /// Disable an account: it cannot sign in or confirm decisions, and its sessions and tokens end at once.
    Disable {
        /// The account name.
        name: String,
        /// Database URL; the data directory's store by default.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
    },
    /// Enable a disabled account again (its old sessions and tokens stay ended).
    Enable {
        /// The account name.
        name: String,
        /// Database URL; the data directory's store by default.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
    },
    /// Issue, list and revoke API tokens.
    Token {
        #[command(subcommand)]
        cmd: TokenCommand,
    },
}

/// `rightsgate user token …`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum TokenCommand {
    /// Issue an API token for an account (printed once, with its public id).
    Create {
        /// The account name.
        name: String,
        /// What the token is for.
        #[arg(long, default_value = "cli")]
        label: String,
        /// Database URL; the data directory's store by default.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
    },
    /// List an account's tokens by public id, revoked ones included.
    List {
        /// The account name.
        name: String,
        /// Database URL; the data directory's store by default.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
    },
    /// Revoke one of an account's tokens by its public id; it stops working at once.
    Revoke {
        /// The account name.
        name: String,
        /// The token's public id (8 hex digits, from `token list`).
        id: String,
        /// Database URL; the data directory's store by default.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
    },
}

/// A time as RFC 3339.
fn when(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// Reports a problem with the user's input on stderr and returns exit code 2.
fn invalid(message: &str) -> anyhow::Result<ExitCode> {
    let mut err = std::io::stderr().lock();
    writeln!(err, "rightsgate: {message}")?;
    Ok(ExitCode::from(crate::INVALID))
}

/// Runs `f` on the store at `db` (or the default) on a fresh runtime, closing the store afterwards.
fn with_store<F>(db: Option<&str>, f: F) -> anyhow::Result<ExitCode>
where
    F: AsyncFnOnce(&store::Store) -> anyhow::Result<ExitCode>,
{
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let url = data_dir::db_or_default(db)?;
    runtime.block_on(async {
        let store = data_dir::open_store(&url).await?;
        let code = f(&store).await;
        store.close().await;
        code
    })
}

/// A random 20-character password from an unambiguous alphabet (about 114 bits).
pub(crate) fn generate_password() -> String {
    use rand::Rng as _;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..20).map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())])).collect()
}

/// Runs one `user` subcommand.
pub(crate) fn run(cmd: UserCommand, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match cmd {
        UserCommand::Add { name, role, password_stdin, token, db } => {
            let Some(role) = Role::parse(&role) else {
                let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                let mut err = std::io::stderr().lock();
                writeln!(
                    err,
                    "rightsgate: unknown role `{role}`, expected one of {}",
                    names.join(", ")
                )?;
                return Ok(ExitCode::from(crate::INVALID));
            };
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("reading the password from stdin")?;
                (line.trim_end_matches(['\r', '\n']).to_owned(), false)
            } else {
                (generate_password(), true)
            };
            let url = data_dir::db_or_default(db.as_deref())?;
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let store = data_dir::open_store(&url).await?;
                let now = clock::now();
                match store.add_user(&name, role, &password, now).await {
                    Ok(_) => {}
                    Err(store::UserError::Invalid(msg)) => {
                        let mut err = std::io::stderr().lock();
                        writeln!(err, "rightsgate: {msg}")?;
                        return Ok(ExitCode::from(crate::INVALID));
                    }
                    Err(store::UserError::Store(store::StoreError::Conflict)) => {
                        let mut err = std::io::stderr().lock();
                        writeln!(err, "rightsgate: account `{name}` exists already")?;
                        return Ok(ExitCode::from(crate::INVALID));
                    }
                    Err(e) => return Err(anyhow::Error::new(e).context("adding the account")),
                }
                writeln!(out, "added `{name}` as {role}")?;
                if generated {
                    writeln!(out, "password (shown once): {password}")?;
                }
                if token {
                    let t = store
                        .create_api_token(&name, "cli", now)
                        .await
                        .context("issuing a token")?;
                    writeln!(out, "API token (shown once): {t}")?;
                }
                store.close().await;
                Ok(ExitCode::SUCCESS)
            })
        }
        UserCommand::List { db } => with_store(db.as_deref(), async |store| {
            for a in store.users().await.context("listing accounts")? {
                match a.disabled_at {
                    None => writeln!(out, "{}\t{}", a.name, a.role)?,
                    Some(t) => writeln!(out, "{}\t{}\tdisabled {}", a.name, a.role, when(t))?,
                }
            }
            Ok(ExitCode::SUCCESS)
        }),
        UserCommand::Disable { name, db } => with_store(db.as_deref(), async |store| {
            match store.disable_user(&name, clock::now()).await {
                Ok(()) => {
                    writeln!(out, "disabled `{name}`: its sessions and API tokens have ended")?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(store::StoreError::NotFound) => invalid(&format!("no account `{name}`")),
                Err(e) => Err(anyhow::Error::new(e).context("disabling the account")),
            }
        }),
        UserCommand::Enable { name, db } => {
            with_store(db.as_deref(), async |store| match store.enable_user(&name).await {
                Ok(()) => {
                    writeln!(out, "enabled `{name}`")?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(store::StoreError::NotFound) => invalid(&format!("no account `{name}`")),
                Err(e) => Err(anyhow::Error::new(e).context("enabling the account")),
            })
        }
        UserCommand::Token { cmd } => token(cmd, out),
    }
}

fn token(cmd: TokenCommand, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match cmd {
        TokenCommand::Create { name, label, db } => with_store(db.as_deref(), async |store| {
            match store.create_api_token(&name, &label, clock::now()).await {
                Ok(t) => {
                    let id = store::api_token_id(&t);
                    writeln!(out, "API token `{id}` for `{name}` (shown once): {t}")?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(store::StoreError::NotFound) => invalid(&format!("no account `{name}`")),
                Err(e @ store::StoreError::Disabled(_)) => invalid(&e.to_string()),
                Err(e) => Err(anyhow::Error::new(e).context("issuing a token")),
            }
        }),
        TokenCommand::List { name, db } => {
            with_store(db.as_deref(), async |store| match store.api_tokens(&name).await {
                Ok(tokens) => {
                    for t in tokens {
                        let state = t
                            .revoked_at
                            .map_or("live".to_owned(), |r| format!("revoked {}", when(r)));
                        writeln!(out, "{}\t{}\t{}\t{state}", t.id, t.label, when(t.created_at))?;
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(store::StoreError::NotFound) => invalid(&format!("no account `{name}`")),
                Err(e) => Err(anyhow::Error::new(e).context("listing tokens")),
            })
        }
        TokenCommand::Revoke { name, id, db } => {
            with_store(db.as_deref(), async |store| {
                match store.revoke_api_token(&name, &id, clock::now()).await {
                    Ok(()) => {
                        writeln!(out, "revoked token `{id}` of `{name}`")?;
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(store::StoreError::NotFound) => {
                        invalid(&format!("account `{name}` has no token `{id}`"))
                    }
                    Err(e) => Err(anyhow::Error::new(e).context("revoking the token")),
                }
            })
        }
    }
}
