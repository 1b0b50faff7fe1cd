//! `rightsgate backup` and `rightsgate restore`: a consistent online copy of a SQLite store, and putting one
//! back after checking that its ledger verifies.
//!
//! The sealing key is not in the backup (a backup holding its own key would not be encrypted at rest): keep a
//! copy of `rightsgate.key` offline, apart from the backups. A PostgreSQL store is backed up with `pg_dump`
//! (docs/operations.md).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;

/// `rightsgate backup --out FILE`.
pub(crate) fn backup(
    store: &crate::StoreArgs,
    out_file: &Path,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let store = store.connect().await?;
        let size = store.tree_size().await?;
        let result = store.backup_to(out_file).await;
        store.close().await;
        match result {
            Ok(()) => {
                writeln!(
                    out,
                    "backup written to {} (ledger of at least {size} leaves)",
                    out_file.display()
                )?;
                Ok(ExitCode::SUCCESS)
            }
            Err(store::StoreError::Invalid { field, detail }) => {
                crate::invalid(&format!("{field}: {detail}"))
            }
            Err(e) => Err(e).context("writing the backup"),
        }
    })
}

/// `rightsgate restore FILE [--db URL] [--force]`.
pub(crate) fn restore(
    file: &Path,
    db: Option<&str>,
    force: bool,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let url = crate::data_dir::db_or_default(db)?;
    let Some(target) = sqlite_path(&url) else {
        return crate::invalid(
            "--db: restore writes a SQLite store; a PostgreSQL store is restored with `pg_restore` (docs/operations.md)",
        );
    };
    if !file.is_file() {
        return crate::invalid(&format!("FILE: no backup file at `{}`", file.display()));
    }
    if target.exists() && !force {
        return crate::invalid(&format!(
            "--db: `{}` exists; stop every server using it and pass --force to replace it (it is kept beside as .before-restore)",
            target.display()
        ));
    }
    let aside = crate::data_dir::with_suffix(&target, ".before-restore");
    if target.exists() && aside.exists() {
        return crate::invalid(&format!(
            "--force: `{}` is kept from an earlier restore; move it away first, nothing is ever deleted",
            aside.display()
        ));
    }
    // Check a copy beside the target, so the final step is a rename within one directory.
    let staging = crate::data_dir::with_suffix(&target, ".restoring");
    for leftover in [
        staging.clone(),
        crate::data_dir::with_suffix(&staging, "-wal"),
        crate::data_dir::with_suffix(&staging, "-shm"),
    ] {
        if leftover.exists() {
            std::fs::remove_file(&leftover).with_context(|| {
                format!("removing `{}` left by an interrupted restore", leftover.display())
            })?;
        }
    }
    std::fs::copy(file, &staging).with_context(|| format!("copying `{}`", file.display()))?;
    std::fs::File::open(&staging).and_then(|f| f.sync_all()).context("syncing the copy")?;
    // The ledger is checked on a second, throwaway copy, so the file put in place was never opened and has no
    // write-ahead log of its own; the first `serve` on it applies any newer migrations.
    let checking = crate::data_dir::with_suffix(&target, ".checking");
    std::fs::copy(&staging, &checking).context("copying the backup for its check")?;
    let checked = runtime()?.block_on(async {
        let staged = store::Store::connect(&format!("sqlite://{}?mode=rw", checking.display()))
            .await
            .context("opening the backup")?;
        let verified = staged.verify_ledger(None).await;
        staged.close().await;
        let report =
            verified.context("the backup's ledger does not verify; nothing was restored")?;
        anyhow::Ok(report.root.size())
    });
    for scratch in [
        checking.clone(),
        crate::data_dir::with_suffix(&checking, "-wal"),
        crate::data_dir::with_suffix(&checking, "-shm"),
    ] {
        let _ = std::fs::remove_file(scratch);
    }
    let size = match checked {
        Ok(size) => size,
        Err(e) => {
            let _ = std::fs::remove_file(&staging);
            return Err(e);
        }
    };
    if target.exists() {
        for (from, to) in [("", ""), ("-wal", "-wal"), ("-shm", "-shm")] {
            let from = crate::data_dir::with_suffix(&target, from);
            if from.exists() {
                std::fs::rename(&from, crate::data_dir::with_suffix(&aside, to))
                    .with_context(|| format!("moving `{}` aside", from.display()))?;
            }
        }
    }
    std::fs::rename(&staging, &target)
        .with_context(|| format!("putting the backup in place at `{}`", target.display()))?;
    crate::data_dir::sync_parent(&target)?;
    writeln!(
        out,
        "restored {} ({size} ledger leaves, verified) to {}",
        file.display(),
        target.display()
    )?;
    if aside.exists() {
        writeln!(out, "the replaced database is kept at {}", aside.display())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// The file of a `sqlite://PATH[?options]` URL.
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().filter(|p| !p.is_empty())?;
    Some(PathBuf::from(path))
}
