//! `rightsgate key rotate`: reseal every sealed row under a new sealing key and destroy the old one.
//!
//! The key files say how far a rotation got, so a rotation killed at any point is finished by running it again:
//! - `K` alone: no rotation; one starts by writing a new key to `K.new` (fsynced, mode 0600).
//! - `K` and `K.new`: resealing (`Store::reseal`, one batch of cases per transaction; each case is entirely
//!   under one key); passes run until one reseals nothing, which proves every sealed case opens with the new key.
//! - `K.old` and `K.new`: the old key has been moved aside; the new one is being put in place.
//! - `K` and `K.old`: the new key is in place; the old one is overwritten, synced and deleted.
//!
//! Every command that reads the sealing key refuses while `K.new` or `K.old` exists (see
//! `data_dir::read_sealer`), so no server can write under the old key while a rotation is unfinished.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Subcommand;

use crate::data_dir;

/// The `key` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum KeyCommand {
    /// Reseal every case under a new sealing key, then destroy the old key; rerun to finish an interrupted
    /// rotation. Stop every server using the store first.
    Rotate {
        #[command(flatten)]
        store: crate::StoreArgs,
        /// Cases per transaction.
        #[arg(long, default_value_t = 1000)]
        batch: usize,
    },
}

/// Runs one `key` subcommand.
pub(crate) fn run(cmd: KeyCommand, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match cmd {
        KeyCommand::Rotate { store, batch } => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .context("starting the async runtime")?;
            runtime.block_on(rotate(&store, batch, out))
        }
    }
}

/// `K.new` and `K.old` beside the key file `K`.
pub(crate) fn siblings(key: &Path) -> (PathBuf, PathBuf) {
    (data_dir::with_suffix(key, ".new"), data_dir::with_suffix(key, ".old"))
}

async fn rotate(
    args: &crate::StoreArgs,
    batch: usize,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let key = data_dir::key_path(args.key.as_deref())?;
    let (new_path, old_path) = siblings(&key);
    let old_key_at = match (key.exists(), new_path.exists(), old_path.exists()) {
        (true, false, false) => {
            data_dir::write_secret(&new_path, &store::Sealer::generate_key())?;
            data_dir::sync_parent(&new_path)?;
            writeln!(out, "new key written to {}", new_path.display())?;
            key.clone()
        }
        (true, true, false) => {
            writeln!(out, "continuing the rotation to {}", new_path.display())?;
            key.clone()
        }
        (false, true, true) => old_path.clone(),
        (true, false, true) => {
            destroy(&old_path)?;
            writeln!(out, "old key destroyed; rotation complete")?;
            return Ok(ExitCode::SUCCESS);
        }
        (false, false, _) => {
            return crate::invalid(&format!(
                "--key: no key file at `{}` (run `rightsgate init` first)",
                key.display()
            ));
        }
        (_, _, _) => {
            return crate::invalid(&format!(
                "--key: `{}`, `{}` and `{}` all exist, which no rotation leaves behind; restore the key from a backup",
                key.display(),
                new_path.display(),
                old_path.display()
            ));
        }
    };
    let old = data_dir::read_key_file(&old_key_at)?;
    let new = data_dir::read_key_file(&new_path)?;
    let store = args.connect().await?;
    let mut pass = 0;
    loop {
        pass += 1;
        let report = store.reseal(&old, &new, batch, |_| {}).await.context("resealing")?;
        writeln!(
            out,
            "pass {pass}: {} cases, {} resealed, {} already under the new key, {} event details, {} identifier keys",
            report.cases, report.resealed, report.already, report.details, report.identifier_keys
        )?;
        if report.resealed == 0 {
            break;
        }
    }
    store.close().await;
    // Every sealed case opened with the new key in the last pass: put it in place and destroy the old one.
    if key.exists() {
        std::fs::rename(&key, &old_path)
            .with_context(|| format!("moving `{}` aside", key.display()))?;
        data_dir::sync_parent(&key)?;
    }
    std::fs::rename(&new_path, &key)
        .with_context(|| format!("putting the new key in place at `{}`", key.display()))?;
    data_dir::sync_parent(&key)?;
    destroy(&old_path)?;
    writeln!(
        out,
        "rotation complete: {} holds the new key; the old key is destroyed",
        key.display()
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Overwrites a key file with zeros, syncs it and deletes it. On a copy-on-write or wear-levelling medium the
/// old bytes may survive in free blocks; the README says so.
fn destroy(path: &Path) -> anyhow::Result<()> {
    let len =
        std::fs::metadata(path).with_context(|| format!("reading `{}`", path.display()))?.len();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .with_context(|| format!("opening `{}` to destroy it", path.display()))?;
    f.write_all(&vec![0u8; usize::try_from(len).unwrap_or(store::KEY_LEN)])
        .and_then(|()| f.sync_all())
        .with_context(|| format!("overwriting `{}`", path.display()))?;
    drop(f);
    std::fs::remove_file(path).with_context(|| format!("deleting `{}`", path.display()))?;
    data_dir::sync_parent(path)
}
