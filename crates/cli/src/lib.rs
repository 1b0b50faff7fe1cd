//! The `rightsgate` command line as a library: every command is a function over `&mut dyn Write`, so tests
//! run commands in process; `main.rs` only parses the arguments, calls [`run`] and maps the result to an exit
//! code.
//!
//! Exit codes: 0 success (whatever a decision's outcome), 1 an operational failure (IO, database),
//! 2 invalid input (each problem on its own stderr line naming file, location and what was expected),
//! 3 a ledger or a report that does not verify (`ledger verify`, `report verify`).

mod backup_cli;
mod bench;
mod case_act;
mod case_cli;
mod clock;
mod data_dir;
mod evaluate;

mod ingest;
mod key_cli;

mod rules_cmd;
// HELPER-MODS (helpers add their `mod` lines here)
mod assess_cli;
mod lawpack_cli;
mod ledger_cli;
mod monitor_cli;
mod preflight_cli;
mod report_cli;
mod serve_cli;
mod user_cli;
mod witness_cli;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "rightsgate",
    version,
    about = "Human-rights screening for cross-border e-evidence requests"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Screen requests and print decisions (rightsgate/decision/v1).
    Evaluate {
        #[command(flatten)]
        inputs: ScreeningArgs,
        /// Read one request per line from FILE (`-` for stdin) and print one decision per line.
        #[arg(long, value_name = "FILE|-", conflicts_with = "request")]
        jsonl: Option<String>,
        /// A request file (rightsgate/request/v1).
        #[arg(value_name = "REQUEST.json", required_unless_present = "jsonl")]
        request: Option<PathBuf>,
    },
    /// Generate synthetic requests (JSON Lines) to the policy's state from the law packs, seeded.
    Gen {
        /// How many requests.
        #[arg(long, default_value_t = 1000)]
        n: usize,
        /// Seed of the generator; the same seed gives the same requests.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[command(flatten)]
        inputs: ScreeningArgs,
    },
    /// Benchmark screening: screen() alone, the evaluate --jsonl pipeline, and the parse/re-serialize baseline.
    Bench {
        /// How many generated requests.
        #[arg(long, default_value_t = 100_000)]
        n: usize,
        /// Seed of the generator.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Timed rounds; the best is reported.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        #[command(flatten)]
        inputs: ScreeningArgs,
    },
    /// Create the data directory, the sealing key, the ledger signing key and the database.
    Init {
        /// The deployment's name, used as the origin line of ledger checkpoints.
        #[arg(long, default_value = "rightsgate/ledger")]
        origin: String,
    },
    /// Take in a JSON Lines file of requests: screen each and store it as a case, in batched transactions.
    Ingest {
        /// One request per line (`-` for stdin).
        #[arg(value_name = "FILE.jsonl")]
        file: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        inputs: ScreeningArgs,
        /// Requests per transaction.
        #[arg(long, default_value_t = 5000)]
        batch: usize,
        /// Append the references of each committed batch to FILE.
        #[arg(long, value_name = "FILE")]
        ack: Option<PathBuf>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Delete the personal data of cases closed before DATE; the ledger and statistics stay intact.
    Purge {
        /// Cases closed before this day (YYYY-MM-DD, UTC) are purged.
        #[arg(long, value_name = "DATE")]
        before: String,
        /// Database URL; the data directory's store by default.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
    },
    /// Benchmark ingest: N generated requests into a fresh store, beside a bare insert of the same bytes.
    BenchIngest {
        /// How many generated requests.
        #[arg(long, default_value_t = 100_000)]
        n: usize,
        /// Requests per transaction.
        #[arg(long, default_value_t = 5000)]
        batch: usize,
        /// Also run on this PostgreSQL database (fresh schemas are created in it).
        #[arg(long, value_name = "URL")]
        postgres: Option<String>,
        #[command(flatten)]
        inputs: ScreeningArgs,
    },
    /// List every screening rule with its effects and citations.
    Rules {
        /// Print JSON instead of Markdown.
        #[arg(long)]
        json: bool,
    },
    /// Write a consistent copy of the (SQLite) case store while it is in use; the sealing key is not in it.
    Backup {
        #[command(flatten)]
        store: StoreArgs,
        /// The backup file to create (never overwritten).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Put a backup in place as the (SQLite) case store, after checking that its ledger verifies.
    Restore {
        /// The backup file written by `rightsgate backup`.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Database URL to restore to; the data directory's store by default.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
        /// Replace an existing store (stop every server first); it is kept beside as `.before-restore`.
        #[arg(long)]
        force: bool,
    },
    /// Check a published ledger (tiles and checkpoint) against what this monitor saw before: signatures,
    /// cosignatures, every tile against the root, no rollback, no split view.
    Monitor(monitor_cli::MonitorArgs),
    /// The sealing key: `key rotate` reseals every case under a new key and destroys the old one.
    Key {
        #[command(subcommand)]
        cmd: key_cli::KeyCommand,
    },
    // HELPER-COMMANDS (helpers add their subcommand variants here)
    /// Assess a state's framework, item by item, against the conditions for rights-respecting implementation.
    Assess(assess_cli::AssessArgs),
    /// Screen an outgoing request as the requested state would, and say what the requester can change.
    Preflight(preflight_cli::PreflightArgs),
    /// Run the web server and case-review desk (`--demo` seeds a throwaway database and demo accounts).
    Serve(serve_cli::ServeArgs),
    /// The case workflow: list and show cases, and act on them as an account.
    Case {
        #[command(subcommand)]
        cmd: case_cli::CaseCommand,
    },
    /// Manage local accounts.
    User {
        #[command(subcommand)]
        cmd: user_cli::UserCommand,
    },
    /// Transparency reports from the ledger (HTML, CSV, JSON) and their verification.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Report {
        #[command(flatten)]
        args: report_cli::ReportArgs,
        #[command(subcommand)]
        cmd: Option<report_cli::ReportCommand>,
    },
    /// The transparency ledger: keys, appends, signed checkpoints, proofs and verification.
    Ledger {
        #[command(subcommand)]
        cmd: ledger_cli::LedgerCommand,
    },
    /// An oversight body's witness: cosign a log's checkpoints after checking they are consistent.
    Witness {
        #[command(subcommand)]
        cmd: witness_cli::WitnessCommand,
    },
    /// Check, show and compare law packs.
    Lawpack {
        #[command(subcommand)]
        cmd: lawpack_cli::LawpackCommand,
    },
}

/// The screening inputs, shared by every command that screens: the law packs and the policy.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ScreeningArgs {
    /// Directory of law packs (every *.toml file is loaded).
    #[arg(long, value_name = "DIR", default_value = app::inputs::DEFAULT_LAWPACKS)]
    pub(crate) lawpacks: PathBuf,
    /// The policy file (rightsgate/policy/v1); its `state` is the requested state.
    #[arg(long, value_name = "FILE", default_value = app::inputs::DEFAULT_POLICY)]
    pub(crate) policy: PathBuf,
}

impl ScreeningArgs {
    /// Loads and compiles them, reporting every problem of every file.
    pub(crate) fn load(&self) -> Result<rules::Context, Vec<domain::InputError>> {
        app::inputs::load_context(&self.lawpacks, &self.policy)
    }
}

/// Where cases are stored, shared by every command that opens the case store.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct StoreArgs {
    /// Database URL (`sqlite://PATH?mode=rwc` or `postgres://...`); the data directory's store by default.
    #[arg(long, value_name = "URL")]
    pub(crate) db: Option<String>,
    /// The sealing key file; the data directory's by default.
    #[arg(long, value_name = "FILE")]
    pub(crate) key: Option<PathBuf>,
}

impl StoreArgs {
    /// Opens the case store they name (the data directory's by default).
    pub(crate) async fn connect(&self) -> anyhow::Result<store::Store> {
        use anyhow::Context as _;
        let url = data_dir::db_or_default(self.db.as_deref())?;
        store::Store::connect(&url).await.context("opening the case store")
    }

    /// The sealing key they name (the data directory's by default).
    pub(crate) fn sealer(&self) -> anyhow::Result<store::Sealer> {
        data_dir::read_sealer(self.key.as_deref())
    }
}

/// Exit code for invalid input.
pub(crate) const INVALID: u8 = 2;

/// Reports invalid input (or an action the workflow refuses) as one stderr line, and returns exit code 2.
pub(crate) fn invalid(msg: &str) -> anyhow::Result<ExitCode> {
    // The process is about to exit 2; stderr is the only place to say why.
    let _ = writeln!(std::io::stderr().lock(), "rightsgate: {msg}");
    Ok(ExitCode::from(INVALID))
}

/// Runs one command, writing its output to `out`; problems with the input go to stderr as one line each.
///
/// # Errors
/// An operational failure (IO, database): exit code 1.
pub fn run(cli: Cli, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Evaluate { inputs, jsonl, request } => {
            run_evaluate(&inputs, jsonl.as_deref(), request.as_deref(), out)
        }
        Command::Gen { n, seed, inputs } => with_context(&inputs, |ctx| {
            let packs: Vec<_> = ctx.lawpacks().collect();
            for request in app::gen::requests(&packs, ctx.policy(), n, seed) {
                serde_json::to_writer(&mut *out, &request)?;
                out.write_all(b"\n")?;
            }
            Ok(())
        }),
        Command::Bench { n, seed, rounds, inputs } => {
            with_context(&inputs, |ctx| bench::run(ctx, n, seed, rounds, out))
        }
        Command::Init { origin } => data_dir::init(&origin, out).map(|()| ExitCode::SUCCESS),
        Command::Ingest { file, store, inputs, batch, ack, quiet } => {
            let opts = ingest::Options { file, store, inputs, batch, ack, quiet };
            let mut err = std::io::stderr().lock();
            ingest::run(&opts, out, &mut err).map(|tally| match tally {
                Some(t) if t.invalid == 0 => ExitCode::SUCCESS,
                _ => ExitCode::from(INVALID),
            })
        }
        Command::Purge { before, db } => run_purge(&before, db.as_deref(), out),
        Command::BenchIngest { n, batch, postgres, inputs } => {
            bench::ingest(&inputs, n, batch, postgres.as_deref(), out).map(|()| ExitCode::SUCCESS)
        }
        Command::Rules { json } => rules_cmd::run(json, out).map(|()| ExitCode::SUCCESS),
        // HELPER-DISPATCH (helpers add their match arms here)
        Command::Assess(args) => assess_cli::run(&args, out),
        Command::Preflight(args) => preflight_cli::run(&args, out),
        Command::Serve(args) => serve_cli::run(&args, out),
        Command::Case { cmd } => case_cli::run(cmd, out),
        Command::User { cmd } => user_cli::run(cmd, out),
        Command::Report { args, cmd } => report_cli::run(args, cmd, out),
        Command::Ledger { cmd } => ledger_cli::run(cmd, out),
        Command::Witness { cmd } => witness_cli::run(cmd, out),
        Command::Lawpack { cmd } => lawpack_cli::run(cmd, out, &mut std::io::stderr().lock()),
        Command::Key { cmd } => key_cli::run(cmd, out),
        Command::Monitor(args) => monitor_cli::run(&args, out),
        Command::Backup { store, out: file } => backup_cli::backup(&store, &file, out),
        Command::Restore { file, db, force } => {
            backup_cli::restore(&file, db.as_deref(), force, out)
        }
    }
}

fn run_purge(before: &str, db: Option<&str>, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let day = match domain::Day::parse(before) {
        Ok(day) => day,
        Err(e) => {
            writeln!(std::io::stderr().lock(), "--before: {e}")?;
            return Ok(ExitCode::from(INVALID));
        }
    };
    let url = data_dir::db_or_default(db)?;
    let before = day.date().midnight().assume_utc();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let purged = runtime.block_on(async {
        let store = store::Store::connect(&url).await?;
        let n = store.purge(before, clock::now()).await?;
        store.close().await;
        anyhow::Ok(n)
    })?;
    serde_json::to_writer(
        &mut *out,
        &serde_json::json!({ "purged": purged, "closed_before": day.to_string() }),
    )?;
    writeln!(out)?;
    Ok(ExitCode::SUCCESS)
}

/// Loads the policy and law packs and runs `f`; invalid inputs exit 2 with one line per problem.
fn with_context(
    inputs: &ScreeningArgs,
    f: impl FnOnce(&rules::Context) -> anyhow::Result<()>,
) -> anyhow::Result<ExitCode> {
    match inputs.load() {
        Ok(ctx) => f(&ctx).map(|()| ExitCode::SUCCESS),
        Err(problems) => {
            evaluate::report(&mut std::io::stderr().lock(), &problems)?;
            Ok(ExitCode::from(INVALID))
        }
    }
}

fn run_evaluate(
    inputs: &ScreeningArgs,
    jsonl: Option<&str>,
    request: Option<&std::path::Path>,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let mut err = std::io::stderr().lock();
    let ctx = match inputs.load() {
        Ok(ctx) => ctx,
        Err(problems) => {
            evaluate::report(&mut err, &problems)?;
            return Ok(ExitCode::from(INVALID));
        }
    };
    let tally = match (jsonl, request) {
        (Some("-"), _) => {
            let stdin = std::io::stdin();
            let mut input = stdin.lock();
            evaluate::evaluate_jsonl("stdin", &mut input, &ctx, out, &mut err)?
        }
        (Some(file), _) => match std::fs::File::open(file) {
            Ok(f) => {
                let mut input = std::io::BufReader::with_capacity(1 << 16, f);
                evaluate::evaluate_jsonl(file, &mut input, &ctx, out, &mut err)?
            }
            Err(e) => {
                writeln!(err, "{file}: cannot read: {e}")?;
                return Ok(ExitCode::from(INVALID));
            }
        },
        (None, Some(path)) => {
            let name = path.display().to_string();
            match std::fs::read(path) {
                Ok(bytes) => evaluate::evaluate_file(&name, &bytes, &ctx, out, &mut err)?,
                Err(e) => {
                    writeln!(err, "{name}: cannot read: {e}")?;
                    return Ok(ExitCode::from(INVALID));
                }
            }
        }
        (None, None) => anyhow::bail!("give a REQUEST.json or --jsonl FILE"),
    };
    Ok(if tally.invalid > 0 { ExitCode::from(INVALID) } else { ExitCode::SUCCESS })
}
