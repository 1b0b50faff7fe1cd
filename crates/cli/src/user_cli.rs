//! `rightsgate user add NAME --role ROLE`: local accounts. The password is read from stdin, or generated and
//! printed once; `--token` also issues an API token for a machine client, printed once.

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
    /// List accounts and their roles.
    List {
        /// Database URL; the data directory's store by default.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
    },
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
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
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
            runtime.block_on(async {
                let store = store::Store::connect(&url).await.context("opening the database")?;
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
        UserCommand::List { db } => {
            let url = data_dir::db_or_default(db.as_deref())?;
            runtime.block_on(async {
                let store = store::Store::connect(&url).await.context("opening the database")?;
                for u in store.users().await.context("listing accounts")? {
                    writeln!(out, "{}\t{}", u.name, u.role)?;
                }
                store.close().await;
                Ok(ExitCode::SUCCESS)
            })
        }
    }
}
