//! `rightsgate monitor URL|DIR --state DIR --log-key VKEY`: one run of an oversight body's monitor over a
//! published ledger (`app::monitor`), remembering what it saw in `--state`.
//!
//! Exit codes: 0 everything held (the new checkpoint is saved), 1 the ledger could not be fetched, 2 invalid
//! input, 3 the log is inconsistent (signature, quorum, rollback, split view, a tile or entry that does not
//! hash to the root); on 1 and 3 the saved state is left as it was.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use app::monitor::{Seen, Source, Trust};

/// `rightsgate monitor` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct MonitorArgs {
    /// The published ledger: a base URL (`https://example.org/ledger/`) or a directory written by
    /// `rightsgate ledger export`.
    #[arg(value_name = "URL|DIR")]
    source: String,
    /// Where the monitor keeps what it saw (created if missing).
    #[arg(long, value_name = "DIR")]
    state: PathBuf,
    /// The log's note verifier key, obtained independently of the log.
    #[arg(long, value_name = "VKEY")]
    log_key: String,
    /// A witness whose cosignatures count (its cosignature verifier key); repeat for each.
    #[arg(long = "witness", value_name = "VKEY")]
    witnesses: Vec<String>,
    /// How many of the witnesses must have cosigned (default: all given).
    #[arg(long)]
    quorum: Option<usize>,
    /// Also fetch every entry bundle and check each entry against its tile.
    #[arg(long)]
    entries: bool,
}

const INCONSISTENT: u8 = 3;
const STATE_FILE: &str = "seen.json";

/// Runs one monitoring pass.
pub(crate) fn run(args: &MonitorArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let log = match args.log_key.parse::<ledger::VerifierKey>() {
        Ok(key) => key,
        Err(e) => return crate::invalid(&format!("--log-key: not a note verifier key: {e}")),
    };
    let (witnesses, quorum) = match app::cosign::witness_keys(&args.witnesses, args.quorum) {
        Ok(keys) => keys,
        Err(msg) => return crate::invalid(&msg),
    };
    let source = if args.source.starts_with("http://") || args.source.starts_with("https://") {
        let mut base = args.source.clone();
        if !base.ends_with('/') {
            base.push('/');
        }
        Source::Http(base)
    } else if Path::new(&args.source).is_dir() {
        Source::Dir(PathBuf::from(&args.source))
    } else {
        return crate::invalid(&format!(
            "URL|DIR: `{}` is neither an http(s) URL nor a directory",
            args.source
        ));
    };
    std::fs::create_dir_all(&args.state)
        .with_context(|| format!("creating `{}`", args.state.display()))?;
    let state_file = args.state.join(STATE_FILE);
    let previous: Option<Seen> =
        match std::fs::read(&state_file) {
            Ok(bytes) => Some(serde_json::from_slice(&bytes).with_context(|| {
                format!("`{}` is not a monitor state file", state_file.display())
            })?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e).with_context(|| format!("reading `{}`", state_file.display())),
        };
    let trust = Trust { log, witnesses, quorum, entries: args.entries };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    match runtime.block_on(app::monitor::check(&source, &trust, previous.as_ref())) {
        Ok(checked) => {
            save(&state_file, &checked.seen)?;
            let growth = match checked.previous {
                Some(before) => format!("{before} -> {} leaves, consistent", checked.seen.size),
                None => format!("{} leaves, first run", checked.seen.size),
            };
            let by = if checked.cosigned_by.is_empty() {
                "no witnesses required".to_owned()
            } else {
                format!("co-signed by {}", checked.cosigned_by.join(", "))
            };
            writeln!(
                out,
                "ok: {} {growth}; {by}; {} tiles authenticated; {} entries checked",
                checked.seen.origin, checked.tiles, checked.entries
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr().lock(), "rightsgate monitor: {e}");
            Ok(ExitCode::from(if e.is_inconsistency() { INCONSISTENT } else { 1 }))
        }
    }
}

/// Writes the state atomically: a synced temporary file renamed over the old one, then the directory synced.
fn save(path: &Path, seen: &Seen) -> anyhow::Result<()> {
    let tmp = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec_pretty(seen)?;
    {
        let mut f =
            std::fs::File::create(&tmp).with_context(|| format!("creating `{}`", tmp.display()))?;
        f.write_all(&bytes)
            .and_then(|()| f.sync_all())
            .with_context(|| format!("writing `{}`", tmp.display()))?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("saving `{}`", path.display()))?;
    crate::data_dir::sync_parent(path)?;
    Ok(())
}
