//! `rightsgate assess`: a state's framework checked item by item (`rightsgate/assessment/v1`), printed in one
//! format or written to a directory in several.
//!
//! Without `--db` the document depends only on the files read, so the same files give the same bytes; with
//! `--db` it adds what the store's ledger shows in practice.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::{clock, evaluate, ScreeningArgs, INVALID};

/// The formats `--format` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub(crate) enum Format {
    /// `assessment.html`: a standalone page.
    Html,
    /// `assessment.json`: the `rightsgate/assessment/v1` document.
    Json,
    /// `assessment.md`: Markdown.
    Md,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Json => "json",
            Format::Md => "md",
        }
    }
}

/// The arguments of `rightsgate assess`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct AssessArgs {
    /// The state assessed (ISO 3166-1 alpha-2); the policy must serve it.
    #[arg(long, value_name = "XX")]
    state: String,
    #[command(flatten)]
    inputs: ScreeningArgs,
    /// The state's framework (rightsgate/framework/v1); `frameworks/XX.toml` when it exists.
    #[arg(long, value_name = "FILE")]
    framework: Option<PathBuf>,
    /// A case store (`sqlite://…` or `postgres://…`): adds what its ledger shows in practice.
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// Comma-separated formats: html, json, md (one only without --out).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "json")]
    format: Vec<Format>,
    /// Write `assessment.{json,md,html}` into this directory instead of printing.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// Runs `rightsgate assess`.
pub(crate) fn run(args: &AssessArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let mut err = std::io::stderr().lock();
    let mut formats = args.format.clone();
    formats.sort();
    formats.dedup();
    if args.out.is_none() && formats.len() != 1 {
        writeln!(err, "--format: {} formats given, expected one without --out", formats.len())?;
        return Ok(ExitCode::from(INVALID));
    }
    let framework = args.framework.clone().or_else(|| app::assess::default_framework(&args.state));
    let loaded = match app::assess::load(
        &args.state,
        &args.inputs.lawpacks,
        &args.inputs.policy,
        framework.as_deref(),
    ) {
        Ok(loaded) => loaded,
        Err(problems) => {
            evaluate::report(&mut err, &problems)?;
            return Ok(ExitCode::from(INVALID));
        }
    };
    let practice = match &args.db {
        None => None,
        Some(url) => {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let today = domain::Day::from(clock::now().date());
            Some(runtime.block_on(async {
                let store = store::Store::connect(url).await.context("opening the case store")?;
                let practice = app::assess::practice(&store, today).await;
                store.close().await;
                practice.context("reading the ledger")
            })?)
        }
    };
    let assessment = loaded.assess(practice.as_ref());
    let render = |format: Format| match format {
        Format::Html => app::assess::html(&assessment),
        Format::Json => app::assess::json(&assessment),
        Format::Md => app::assess::markdown(&assessment),
    };
    match &args.out {
        None => {
            for format in formats {
                out.write_all(render(format).as_bytes()).context("writing the assessment")?;
            }
        }
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            for format in formats {
                let path = dir.join(format!("assessment.{}", format.extension()));
                std::fs::write(&path, render(format))
                    .with_context(|| format!("writing {}", path.display()))?;
                writeln!(out, "{}", path.display())?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
