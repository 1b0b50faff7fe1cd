//! `rightsgate ledger`: keys, appends, signed checkpoints, proofs and full verification of the
//! transparency ledger, printing JSON with stable field names (hashes in lowercase hex).
//!
//! Exit codes: 0 success, 1 an operational failure, 2 invalid input (a key or checkpoint file),
//! 3 `verify` found the stored ledger altered (the first bad index is named on stdout and stderr), or
//! `export` found a directory holding a checkpoint the stored ledger does not extend.
//!
//! `export` writes the ledger as a C2SP tlog-tiles log of static files (`checkpoint`, `tile/...`)
//! that any web server or object store can serve; see [`export`].

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use ledger::{Checkpoint, NoteSigner, RootHash, VerifierKey};
use serde_json::json;
use store::{Store, StoreError};

/// Exit code when `verify` finds the ledger altered.
const TAMPERED: u8 = 3;
/// Exit code for an invalid key or checkpoint file.
const INVALID: u8 = 2;
/// Leaves per transaction for `append`.
const APPEND_BATCH: usize = 10_000;
/// The origin line when none is given.
const DEFAULT_ORIGIN: &str = "rightsgate/ledger";

/// The `ledger` subcommands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum LedgerCommand {
    /// Generate an Ed25519 signing key (written with 0600 permissions) and print its note verifier key.
    Keygen {
        /// Where to write the private key; an existing file is never overwritten.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The key name, normally the checkpoint origin (the deployment's name).
        #[arg(long, value_name = "NAME", default_value = DEFAULT_ORIGIN)]
        origin: String,
    },
    /// Append raw leaves, one per line of FILE (for testing), in batched transactions.
    Append {
        /// Database URL: `sqlite://PATH?mode=rwc` or `postgres://...`; the data directory's store by default.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
        /// One leaf per line (`-` for stdin); the line's bytes without the newline are the leaf.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Print the current checkpoint as a signed note (unsigned body if no key is given); with `--witness`,
    /// gather cosignatures, keep the co-signed checkpoint for /ledger/checkpoint and print it.
    Checkpoint {
        /// Database URL; the data directory's store by default.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
        /// The private key file written by `keygen`.
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
        /// The origin line; defaults to the key's name.
        #[arg(long, value_name = "NAME")]
        origin: Option<String>,
        /// A witness to offer the checkpoint to, `VKEY=URL` (its cosignature verifier key and its
        /// add-checkpoint URL); repeat for each. Needs --key.
        #[arg(long = "witness", value_name = "VKEY=URL", requires = "key")]
        witnesses: Vec<String>,
        /// How many witnesses must cosign (default: all given); exit 3 with each witness's answer when fewer do.
        #[arg(long, requires = "witnesses")]
        quorum: Option<usize>,
    },
    /// Print the inclusion proof of one leaf.
    Prove {
        /// Database URL; the data directory's store by default.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
        /// The leaf index.
        #[arg(long, value_name = "N")]
        index: u64,
        /// The tree size to prove against; defaults to the current size.
        #[arg(long, value_name = "S")]
        size: Option<u64>,
    },
    /// Print the consistency proof between two tree sizes.
    Consistency {
        /// Database URL; the data directory's store by default.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
        /// The older tree size.
        #[arg(long, value_name = "M")]
        old: u64,
        /// The newer tree size; defaults to the current size.
        #[arg(long, value_name = "N")]
        new: Option<u64>,
    },
    /// Write the ledger as C2SP tlog-tiles static files: the signed checkpoint, every full tile and entry
    /// bundle not already in DIR, and the partial right edge; each file is replaced atomically, the
    /// checkpoint last.
    Export {
        /// Database URL; the data directory's store by default.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
        /// The private key file written by `keygen`; defaults to the data directory's ledger signing key.
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
        /// The origin line; defaults to the key's name.
        #[arg(long, value_name = "NAME")]
        origin: Option<String>,
        /// The directory to write (created if missing); serve it as the log's URL prefix.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// Recompute the whole tree from the stored leaves, check every stored hash and a saved checkpoint.
    Verify {
        /// Database URL; the data directory's store by default.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
        /// A checkpoint saved earlier (signed note or bare body); the log must still extend it.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        /// Also check the checkpoint's signature with this note verifier key.
        #[arg(long, value_name = "VKEY", requires = "checkpoint")]
        verifier_key: Option<String>,
    },
}

/// Runs one `ledger` subcommand, writing JSON (or the note or key) to `out`.
pub(crate) fn run(cmd: LedgerCommand, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    if let LedgerCommand::Keygen { out: path, origin } = &cmd {
        return keygen(path, origin, out);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(run_async(cmd, out))
}

async fn run_async(cmd: LedgerCommand, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match cmd {
        LedgerCommand::Keygen { out: path, origin } => keygen(&path, &origin, out),
        LedgerCommand::Append { db, file } => {
            let store = connect(&db).await?;
            let (appended, root) = append(&store, &file).await?;
            write_json(
                out,
                &json!({"appended": appended, "tree_size": root.size(), "root_hash": root.digest().to_string()}),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        LedgerCommand::Checkpoint { db, key, origin, witnesses, quorum } => {
            let signer = match key {
                Some(path) => match read_signer(&path)? {
                    Ok(s) => Some(s),
                    Err(code) => return Ok(code),
                },
                None => None,
            };
            let origin = origin
                .or_else(|| signer.as_ref().map(|s| s.name().to_owned()))
                .unwrap_or_else(|| DEFAULT_ORIGIN.to_owned());
            let store = connect(&db).await?;
            if let (false, Some(signer)) = (witnesses.is_empty(), &signer) {
                let policy = match app::cosign::Policy::from_flags(&witnesses, quorum) {
                    Ok(p) => p,
                    Err(msg) => return invalid(&msg),
                };
                return match app::cosign::cosign_current(
                    &store,
                    signer,
                    &origin,
                    &policy,
                    crate::clock::now(),
                )
                .await
                {
                    Ok(cosigned) => {
                        out.write_all(cosigned.note.as_bytes())?;
                        for refusal in &cosigned.refusals {
                            let _ = writeln!(
                                std::io::stderr().lock(),
                                "rightsgate: not cosigned by {refusal}"
                            );
                        }
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(app::cosign::CosignError::Quorum { have, need, refusals }) => {
                        let _ = writeln!(
                            std::io::stderr().lock(),
                            "rightsgate: {have} of the {need} cosignatures needed; nothing was published: {}",
                            refusals.join("; ")
                        );
                        Ok(ExitCode::from(TAMPERED))
                    }
                    Err(e) => Err(e).context("gathering cosignatures"),
                };
            }
            let size = store.tree_size().await?;
            let root = store.root_at(size).await?;
            let checkpoint = match Checkpoint::new(&origin, root) {
                Ok(c) => c,
                Err(e) => return invalid(&format!("origin `{origin}`: {e}")),
            };
            let text = match &signer {
                Some(s) => checkpoint.sign(s).context("signing the checkpoint")?,
                None => checkpoint.body(),
            };
            out.write_all(text.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        LedgerCommand::Prove { db, index, size } => {
            let store = connect(&db).await?;
            let size = match size {
                Some(s) => s,
                None => store.tree_size().await?,
            };
            let p = store
                .inclusion_proof(index, size)
                .await
                .with_context(|| format!("proving leaf `{index}` in tree size `{size}`"))?;
            write_json(
                out,
                &json!({
                    "leaf_index": index,
                    "tree_size": size,
                    "leaf_hash": p.leaf_hash.to_string(),
                    "root_hash": p.root.digest().to_string(),
                    "hashes": p.proof.hashes().iter().map(ToString::to_string).collect::<Vec<_>>(),
                }),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        LedgerCommand::Consistency { db, old, new } => {
            let store = connect(&db).await?;
            let new = match new {
                Some(n) => n,
                None => store.tree_size().await?,
            };
            let p = store
                .consistency_proof(old, new)
                .await
                .with_context(|| format!("proving consistency from `{old}` to `{new}`"))?;
            write_json(
                out,
                &json!({
                    "old_size": old,
                    "new_size": new,
                    "old_root": p.old_root.digest().to_string(),
                    "new_root": p.new_root.digest().to_string(),
                    "hashes": p.proof.hashes().iter().map(ToString::to_string).collect::<Vec<_>>(),
                }),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        LedgerCommand::Export { db, key, origin, dir } => {
            let key = match key {
                Some(k) => k,
                None => crate::data_dir::dir()?.join(crate::data_dir::SIGNING_KEY_FILE),
            };
            let signer = match read_signer(&key)? {
                Ok(s) => s,
                Err(code) => return Ok(code),
            };
            let origin = origin.unwrap_or_else(|| signer.name().to_owned());
            if let Err(e) = Checkpoint::new(&origin, RootHash::empty()) {
                return invalid(&format!("origin `{origin}`: {e}"));
            }
            let store = connect(&db).await?;
            match export(&store, &dir, &signer, &origin).await? {
                Ok(done) => {
                    write_json(
                        out,
                        &json!({
                            "dir": dir.display().to_string(),
                            "tree_size": done.root.size(),
                            "root_hash": done.root.digest().to_string(),
                            "written": done.written,
                            "skipped": done.skipped,
                        }),
                    )?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(reason) => {
                    // The process is about to exit non-zero; stderr says why.
                    let _ = writeln!(
                        std::io::stderr().lock(),
                        "rightsgate: ledger export refused: {reason}"
                    );
                    Ok(ExitCode::from(TAMPERED))
                }
            }
        }
        LedgerCommand::Verify { db, checkpoint, verifier_key } => {
            let saved = match checkpoint {
                Some(path) => match read_checkpoint(&path, verifier_key.as_deref())? {
                    Ok(c) => Some(c),
                    Err(code) => return Ok(code),
                },
                None => None,
            };
            let store = connect(&db).await?;
            match store.verify_ledger(saved.as_ref().map(Checkpoint::root)).await {
                Ok(report) => {
                    write_json(
                        out,
                        &json!({
                            "ok": true,
                            "tree_size": report.root.size(),
                            "root_hash": report.root.digest().to_string(),
                            "nodes_checked": report.nodes_checked,
                            "checkpoint_size": saved.as_ref().map(|c| c.root().size()),
                        }),
                    )?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(StoreError::Tampered(t)) => {
                    write_json(
                        out,
                        &json!({"ok": false, "first_bad_index": t.first_bad_index(), "error": t.to_string()}),
                    )?;
                    // The process is about to exit non-zero; stderr carries the same reason.
                    let _ = writeln!(
                        std::io::stderr().lock(),
                        "rightsgate: ledger verify failed at index {}: {t}",
                        t.first_bad_index()
                    );
                    Ok(ExitCode::from(TAMPERED))
                }
                Err(e) => Err(e).context("verifying the ledger"),
            }
        }
    }
}

/// What [`export`] did.
#[derive(Debug)]
pub(crate) struct Exported {
    /// The root of the exported tree, as the new checkpoint states it.
    pub(crate) root: RootHash,
    /// Files written (tiles, bundles, the checkpoint).
    pub(crate) written: u64,
    /// Full tiles and bundles already present, left alone.
    pub(crate) skipped: u64,
}

/// Writes the stored ledger to `dir` as a C2SP tlog-tiles log: every tile and entry bundle of the
/// current tree (full ones only when missing, since their bytes never change; partial ones always),
/// then the signed checkpoint, each file written to a temporary file and renamed into place, so a
/// reader sees either the old or the new file and never a checkpoint whose tiles are missing.
///
/// If `dir` already holds a checkpoint, the stored ledger must extend it (same root at its size);
/// otherwise nothing is written and the inner `Err` says why: the directory belongs to another log,
/// or the stored ledger was rewritten.
pub(crate) async fn export(
    store: &Store,
    dir: &Path,
    signer: &NoteSigner,
    origin: &str,
) -> anyhow::Result<Result<Exported, String>> {
    let size = store.tree_size().await?;
    let root = store.root_at(size).await?;
    let cp_path = dir.join("checkpoint");
    match std::fs::read_to_string(&cp_path) {
        Ok(text) => {
            let old = match Checkpoint::from_signed_note(&text, &signer.verifier()) {
                Ok(c) => c,
                Err(e) => {
                    return Ok(Err(format!(
                        "`{}` is not a checkpoint signed by key `{}`: {e}",
                        cp_path.display(),
                        signer.name()
                    )))
                }
            };
            let old_size = old.root().size();
            if old_size > size {
                return Ok(Err(format!(
                    "`{}` has `{old_size}` leaves but the ledger has only `{size}`",
                    cp_path.display()
                )));
            }
            if store.root_at(old_size).await? != *old.root() || old.origin() != origin {
                return Ok(Err(format!(
                    "`{}` is not a checkpoint of this ledger under origin `{origin}`",
                    cp_path.display()
                )));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading `{}`", cp_path.display())),
    }
    let checkpoint = Checkpoint::new(origin, root)
        .map_err(|e| anyhow::anyhow!("origin `{origin}`: {e}"))?
        .sign(signer)
        .context("signing the checkpoint")?;
    let mut done = Exported { root, written: 0, skipped: 0 };
    for tile in ledger::tiles(size) {
        let hashes_path = dir.join(ledger::TilePath::hashes(tile).to_string());
        let full_len = u64::from(ledger::tile::TILE_WIDTH) * ledger::DIGEST_LEN as u64;
        let present = tile.is_full()
            && std::fs::metadata(&hashes_path).is_ok_and(|m| m.is_file() && m.len() == full_len);
        if present {
            done.skipped += 1;
        } else {
            let hashes = store
                .tile_hashes(tile)
                .await
                .with_context(|| format!("reading tile `{}`", tile.path()))?;
            write_atomic(&hashes_path, &ledger::encode_hashes(&hashes))?;
            done.written += 1;
        }
        if tile.level() != 0 {
            continue;
        }
        let bundle = ledger::TilePath::entries(tile).map_err(anyhow::Error::new)?;
        let bundle_path = dir.join(bundle.to_string());
        if tile.is_full() && bundle_path.is_file() {
            done.skipped += 1;
            continue;
        }
        let entries = store
            .tile_entries(tile)
            .await
            .with_context(|| format!("reading entry bundle `{bundle}`"))?;
        let bytes = ledger::encode_bundle(&entries)
            .with_context(|| format!("encoding entry bundle `{bundle}`"))?;
        write_atomic(&bundle_path, &bytes)?;
        done.written += 1;
    }
    write_atomic(&cp_path, checkpoint.as_bytes())?;
    done.written += 1;
    Ok(Ok(done))
}

/// Writes `bytes` to a temporary file beside `path` (mode 0644), syncs it and renames it over `path`.
fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let parent = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("creating `{}`", parent.display()))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".export-");
    // Published files: readable by the web server's account, not only ours.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let mut tmp = builder
        .tempfile_in(parent)
        .with_context(|| format!("creating a temporary file in `{}`", parent.display()))?;
    tmp.write_all(bytes).with_context(|| format!("writing `{}`", path.display()))?;
    tmp.as_file().sync_all().with_context(|| format!("syncing `{}`", path.display()))?;
    tmp.persist(path).with_context(|| format!("renaming into `{}`", path.display()))?;
    Ok(())
}

async fn connect(url: &Option<String>) -> anyhow::Result<Store> {
    let url = crate::data_dir::db_or_default(url.as_deref())?;
    let url = url.as_str();
    Store::connect(url)
        .await
        .with_context(|| format!("opening the ledger database `{}`", redact(url)))
}

/// Hides a password in a database URL before it is printed.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

async fn append(store: &Store, file: &Path) -> anyhow::Result<(u64, RootHash)> {
    let reader: Box<dyn BufRead> = if file == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        let f =
            std::fs::File::open(file).with_context(|| format!("opening `{}`", file.display()))?;
        Box::new(std::io::BufReader::new(f))
    };
    let mut batch: Vec<Vec<u8>> = Vec::with_capacity(APPEND_BATCH);
    let mut appended = 0u64;
    let mut root = store.root_at(store.tree_size().await?).await?;
    for line in reader.split(b'\n') {
        let mut line = line.with_context(|| format!("reading `{}`", file.display()))?;
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        batch.push(line);
        if batch.len() == APPEND_BATCH {
            root = store.append_leaves(&batch).await.context("appending leaves")?;
            appended += batch.len() as u64;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        root = store.append_leaves(&batch).await.context("appending leaves")?;
        appended += batch.len() as u64;
    }
    Ok((appended, root))
}

fn keygen(path: &Path, origin: &str, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    use rand::RngCore as _;
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let signer = match NoteSigner::from_seed(origin, seed) {
        Ok(s) => s,
        Err(e) => return invalid(&e.to_string()),
    };
    crate::data_dir::write_secret(path, format!("{}\n", signer.to_private_string()).as_bytes())?;
    writeln!(out, "{}", signer.verifier())?;
    Ok(ExitCode::SUCCESS)
}

fn read_signer(path: &Path) -> anyhow::Result<Result<NoteSigner, ExitCode>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading key `{}`", path.display()))?;
    match text.trim().parse::<NoteSigner>() {
        Ok(s) => Ok(Ok(s)),
        Err(e) => invalid(&format!("key `{}`: {e}", path.display())).map(Err),
    }
}

fn read_checkpoint(
    path: &Path,
    vkey: Option<&str>,
) -> anyhow::Result<Result<Checkpoint, ExitCode>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading checkpoint `{}`", path.display()))?;
    let parsed = match vkey {
        Some(k) => match k.parse::<VerifierKey>() {
            Ok(k) => Checkpoint::from_signed_note(&text, &k),
            Err(e) => return invalid(&format!("verifier key: {e}")).map(Err),
        },
        // The operator's own saved checkpoint: a signed note or a bare body.
        None => Checkpoint::from_note_unverified(&text).or_else(|_| Checkpoint::parse_body(&text)),
    };
    match parsed {
        Ok(c) => Ok(Ok(c)),
        Err(e) => invalid(&format!("checkpoint `{}`: {e}", path.display())).map(Err),
    }
}

/// Reports invalid input on stderr and returns exit code 2.
fn invalid(msg: &str) -> anyhow::Result<ExitCode> {
    // The process is about to exit 2; stderr is the only place to say why.
    let _ = writeln!(std::io::stderr().lock(), "rightsgate: {msg}");
    Ok(ExitCode::from(INVALID))
}

fn write_json(out: &mut dyn Write, value: &serde_json::Value) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")?;
    Ok(())
}
