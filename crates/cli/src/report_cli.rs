//! `rightsgate report`: transparency reports computed from the ledger's leaves alone (issue 7), in JSON
//! (`rightsgate/report/v1`, schema in `docs/report.schema.json`), CSV (one tidy table per breakdown and a data
//! dictionary) and self-contained HTML with SVG charts; `report verify` recomputes every published number from
//! the ledger and checks the checkpoint the report names.
//!
//! A thin adapter over `app::report`, which computes, publishes, renders and verifies: this file parses the
//! flags, reads the key, writes the files and maps outcomes to exit codes. Without `--key`, the checkpoint is
//! signed with the data directory's ledger signing key when there is one.
//!
//! Exit codes: 0 success, 1 an operational failure, 2 invalid input, 3 `verify` found a number, the
//! checkpoint or the ledger not matching (the first mismatch is named on stdout and stderr).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use app::report::{self, Control, VerifyError};
use domain::stats::Period;
use domain::Day;
use ledger::{Checkpoint, NoteSigner};
use serde_json::{json, Value};
use store::Store;

use crate::data_dir;

/// Exit code when `verify` finds a mismatch.
const MISMATCH: u8 = 3;
/// Exit code for invalid input.
const INVALID: u8 = 2;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// `report.html`.
    Html,
    /// One `*.csv` per table plus `data_dictionary.csv`.
    Csv,
    /// `report.json`.
    Json,
}

/// Flags of `rightsgate report` (making a report).
#[derive(Debug, clap::Args)]
pub(crate) struct ReportArgs {
    /// First day of the period (by the request's received day), `YYYY-MM-DD`.
    #[arg(long, value_name = "DATE")]
    from: Option<String>,
    /// Last day of the period; defaults to the end of the half-year that contains `--from`.
    #[arg(long, value_name = "DATE")]
    to: Option<String>,
    /// Output formats, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "html,csv,json")]
    format: Vec<Format>,
    /// Directory to write the report into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Database URL of the ledger: `sqlite://PATH` or `postgres://...`.
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// Counts from 1 to k − 1 are withheld ("<k"), with complementary cells.
    #[arg(long, default_value_t = report::DEFAULT_K)]
    k: u64,
    /// Add discrete Laplace noise with this ε to every count (the total budget is stated in the report).
    #[arg(long, value_name = "E")]
    epsilon: Option<f64>,
    /// Sign the checkpoint with this key file (written by `rightsgate ledger keygen`); defaults to the data
    /// directory's ledger signing key when it exists.
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// The checkpoint's origin line; defaults to the key's name.
    #[arg(long, value_name = "NAME")]
    origin: Option<String>,
    /// Seed the noise generator (for tests only: seeded noise can be removed by anyone who knows the seed).
    #[arg(long, hide = true)]
    noise_seed: Option<u64>,
    /// Report on the ledger as of the latest checkpoint co-signed by witnesses, and name that co-signed
    /// checkpoint (with its cosignatures) in the report.
    #[arg(long)]
    cosigned: bool,
    /// Count every leaf from the first, ignoring and keeping no tally in the store (by default a tally kept by
    /// an earlier report of the same period, or by the public page, is taken up and the new one kept).
    #[arg(long)]
    fresh: bool,
}

/// The `report` subcommands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum ReportCommand {
    /// Recompute every number of REPORT.json from the ledger and check its checkpoint.
    Verify {
        /// The JSON report.
        #[arg(value_name = "REPORT.json")]
        report: PathBuf,
        /// Database URL of the ledger.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
        /// Check the checkpoint's signature with this note verifier key instead of the one the report names.
        #[arg(long, value_name = "VKEY")]
        verifier_key: Option<String>,
        /// A witness whose cosignature counts (its cosignature verifier key); repeat for each.
        #[arg(long = "witness", value_name = "VKEY")]
        witnesses: Vec<String>,
        /// How many of the witnesses must have co-signed the report's checkpoint (default: all given).
        #[arg(long, requires = "witnesses")]
        quorum: Option<usize>,
        /// The verifier's own state: the tally this command kept in FILE when it verified an earlier report
        /// of a period with the same first day. Counting goes on from it, reading only the leaves appended
        /// since, and FILE is replaced by the new tally once this report verifies. Without FILE, or when its
        /// tally cannot be used, every leaf is counted.
        #[arg(long, value_name = "FILE")]
        state: Option<PathBuf>,
    },
}

/// Runs `rightsgate report` or `rightsgate report verify`.
pub(crate) fn run(
    args: ReportArgs,
    cmd: Option<ReportCommand>,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    match cmd {
        None => runtime.block_on(make(args, out)),
        Some(ReportCommand::Verify { report, db, verifier_key, witnesses, quorum, state }) => {
            runtime.block_on(verify(
                &report,
                db.as_deref(),
                verifier_key.as_deref(),
                (&witnesses, quorum),
                state.as_deref(),
                out,
            ))
        }
    }
}

async fn make(args: ReportArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let db = data_dir::db_or_default(args.db.as_deref())?;
    let Some(dir) = args.out.as_deref() else {
        return invalid("give the output directory with `--out DIR`");
    };
    let period = match period(args.from.as_deref(), args.to.as_deref()) {
        Ok(p) => p,
        Err(msg) => return invalid(&msg),
    };
    let control = match Control::new(args.k, args.epsilon) {
        Ok(c) => c,
        Err(e @ report::ControlError::K(_)) => return invalid(&format!("`--k` {e}")),
        Err(e @ report::ControlError::Epsilon(_)) => return invalid(&format!("`--epsilon` {e}")),
    };
    let signer = match signer(args.key.as_deref()) {
        Ok(s) => s,
        Err(Problem::Invalid(msg)) => return invalid(&msg),
        Err(Problem::Failed(e)) => return Err(e),
    };
    let origin = args
        .origin
        .clone()
        .or_else(|| signer.as_ref().map(|s| s.name().to_owned()))
        .unwrap_or_else(|| report::DEFAULT_ORIGIN.to_owned());

    let store = connect(&db).await?;
    let cosigned = if args.cosigned {
        match store.latest_cosigned_checkpoint().await? {
            Some(c) => Some(c),
            None => {
                return invalid(
                    "--cosigned: the ledger has no co-signed checkpoint yet (serve --witness or ledger checkpoint --witness make one)",
                )
            }
        }
    } else {
        None
    };
    let size = match &cosigned {
        Some((size, _)) => *size,
        None => store.tree_size().await?,
    };
    let start = if args.fresh { report::Start::First } else { report::Start::Kept };
    let (stats, root) = report::counted(&store, period, size, start).await?;
    let checkpoint = match Checkpoint::new(&origin, root) {
        Ok(c) => c,
        Err(e) => return invalid(&format!("origin `{origin}`: {e}")),
    };
    let note = match (&cosigned, &signer) {
        (Some((_, note)), _) => {
            // The co-signed note must be the checkpoint of exactly the leaves just counted.
            let matches = ledger::open_note(note)
                .ok()
                .and_then(|(body, _)| Checkpoint::parse_body(body).ok())
                .is_some_and(|c| *c.root() == root && c.origin() == origin);
            if !matches {
                return invalid(
                    "--cosigned: the co-signed checkpoint does not match the ledger or the origin",
                );
            }
            note.clone()
        }
        (None, Some(s)) => checkpoint.sign(s).context("signing the checkpoint")?,
        (None, None) => checkpoint.body(),
    };
    let published = match args.noise_seed {
        Some(seed) => {
            use rand::SeedableRng as _;
            let mut rng = report::Rng(rand::rngs::StdRng::seed_from_u64(seed));
            report::publish(&stats, control, Some(&mut rng))
        }
        None => report::publish(&stats, control, None),
    };
    let verifier = signer.as_ref().map(|s| s.verifier().to_string());
    let document = report::document(period, &checkpoint, &note, verifier.as_deref(), published);
    std::fs::create_dir_all(dir).with_context(|| format!("creating `{}`", dir.display()))?;
    let mut written = Vec::new();
    for format in dedup(&args.format) {
        let files = match format {
            Format::Json => vec![("report.json".to_owned(), report::json_text(&document))],
            Format::Csv => report::csv::files(&document),
            Format::Html => vec![("report.html".to_owned(), report::html::page(&document))],
        };
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::write(&path, text).with_context(|| format!("writing `{}`", path.display()))?;
            written.push(path);
        }
    }
    let files: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    serde_json::to_writer(
        &mut *out,
        &json!({"tree_size": root.size(), "root_hash": root.digest().to_string(), "files": files}),
    )?;
    out.write_all(b"\n")?;
    Ok(ExitCode::SUCCESS)
}

/// Why the signing key could not be had.
enum Problem {
    /// The key file is not a key (exit 2).
    Invalid(String),
    /// Reading it failed (exit 1).
    Failed(anyhow::Error),
}

/// The signing key: `--key` if given, else the data directory's ledger key if it exists, else none.
fn signer(key: Option<&Path>) -> Result<Option<NoteSigner>, Problem> {
    let path = match key {
        Some(path) => path.to_owned(),
        None => match data_dir::dir() {
            Ok(dir) => dir.join(data_dir::SIGNING_KEY_FILE),
            // No data directory: nothing to sign with.
            Err(_) => return Ok(None),
        },
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if key.is_none() && e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Problem::Failed(
                anyhow::Error::new(e).context(format!("reading key `{}`", path.display())),
            ))
        }
    };
    text.trim()
        .parse::<NoteSigner>()
        .map(Some)
        .map_err(|e| Problem::Invalid(format!("key `{}`: {e}", path.display())))
}

fn dedup(formats: &[Format]) -> Vec<Format> {
    let mut seen = Vec::new();
    for f in formats {
        if !seen.contains(f) {
            seen.push(*f);
        }
    }
    seen
}

fn period(from: Option<&str>, to: Option<&str>) -> Result<Period, String> {
    let from = from.ok_or("give the first day of the period with `--from DATE`")?;
    let from = Day::parse(from).map_err(|e| format!("`--from`: {e}"))?;
    let to = match to {
        Some(t) => Day::parse(t).map_err(|e| format!("`--to`: {e}"))?,
        None => Period::half_year(from).to(),
    };
    Period::new(from, to).map_err(|e| e.to_string())
}

async fn verify(
    path: &Path,
    db: Option<&str>,
    verifier_key: Option<&str>,
    (witnesses, quorum): (&[String], Option<usize>),
    state: Option<&Path>,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let db = data_dir::db_or_default(db)?;
    let earlier = match state.map(read_state).transpose() {
        Ok(earlier) => earlier.flatten(),
        Err(msg) => return invalid(&msg),
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading report `{}`", path.display()))?;
    let doc: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => return invalid(&format!("report `{}`: {e}", path.display())),
    };
    // Reject a malformed report before touching the database.
    if let Err(e) = report::verify::read_header(&doc, verifier_key) {
        return verify_failed(path, e, out);
    }
    let mut cosigned_by = Vec::new();
    if !witnesses.is_empty() {
        let (verifiers, quorum) = match app::cosign::witness_keys(witnesses, quorum) {
            Ok(keys) => keys,
            Err(msg) => return invalid(&msg),
        };
        match report::verify::cosigned_by(&doc, verifier_key, &verifiers, quorum) {
            Ok(names) => cosigned_by = names,
            Err(e) => return verify_failed(path, e, out),
        }
    }
    let store = connect(&db).await?;
    match report::verify_from(&doc, &store, verifier_key, earlier).await {
        Ok((v, tally)) => {
            if let Some(path) = state {
                write_state(path, &tally)?;
            }
            serde_json::to_writer(
                &mut *out,
                &json!({
                    "ok": true,
                    "tree_size": v.tree_size,
                    "root_hash": v.root_hash,
                    "signature": v.signature.as_str(),
                    "cosigned_by": cosigned_by,
                    "counted_from": v.counted_from,
                }),
            )?;
            out.write_all(b"\n")?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => verify_failed(path, e, out),
    }
}

/// The tally kept in the verifier's state file: `None` when there is no file yet, or when the file is a tally
/// of another release (said on stderr; every leaf is counted then).
///
/// # Errors
/// The message for a file that cannot be read or is not a kept tally.
fn read_state(path: &Path) -> Result<Option<report::Tally>, String> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("--state `{}`: {e}", path.display())),
    };
    match report::Tally::from_kept(&bytes) {
        Ok(tally) => Ok(Some(tally)),
        Err(e @ report::KeptError::Release { .. }) => {
            let _ = writeln!(
                std::io::stderr().lock(),
                "rightsgate: --state `{}` is not used ({e}); counting every leaf",
                path.display()
            );
            Ok(None)
        }
        Err(e) => Err(format!(
            "--state `{}`: expected a tally kept by `report verify`: {e}",
            path.display()
        )),
    }
}

/// Replaces the state file with `tally`, whole or not at all: written beside it, synced, then renamed.
fn write_state(path: &Path, tally: &report::Tally) -> anyhow::Result<()> {
    let mut name = path.file_name().map(std::ffi::OsString::from).unwrap_or_default();
    name.push(".new");
    let new = path.with_file_name(name);
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(&new)?;
        file.write_all(&tally.to_kept())?;
        file.sync_all()?;
        std::fs::rename(&new, path)
    };
    write().with_context(|| format!("writing --state `{}`", path.display()))
}

fn verify_failed(path: &Path, e: VerifyError, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match e {
        VerifyError::Store(e) => Err(anyhow::Error::new(e).context("reading the ledger")),
        e if e.is_invalid_input() => invalid(&format!("report `{}`: {e}", path.display())),
        e => mismatch(out, &e.to_string()),
    }
}

fn mismatch(out: &mut dyn Write, msg: &str) -> anyhow::Result<ExitCode> {
    serde_json::to_writer(&mut *out, &json!({"ok": false, "error": msg}))?;
    out.write_all(b"\n")?;
    // The process is about to exit non-zero; stderr carries the same reason.
    let _ = writeln!(std::io::stderr().lock(), "rightsgate: report verify failed: {msg}");
    Ok(ExitCode::from(MISMATCH))
}

/// Reports invalid input on stderr and returns exit code 2.
fn invalid(msg: &str) -> anyhow::Result<ExitCode> {
    // The process is about to exit 2; stderr is the only place to say why.
    let _ = writeln!(std::io::stderr().lock(), "rightsgate: {msg}");
    Ok(ExitCode::from(INVALID))
}

async fn connect(url: &str) -> anyhow::Result<Store> {
    Store::connect(url).await.context("opening the ledger database")
}
