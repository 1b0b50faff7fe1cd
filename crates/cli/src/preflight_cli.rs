//! `rightsgate preflight`: an outgoing request screened as the requested state would, with what the requester
//! can change about each finding.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use app::assess::{PolicySource, Preflight};
use domain::vocab::Effect;
use serde_json::json;

use crate::{evaluate, INVALID};

/// The arguments of `rightsgate preflight`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct PreflightArgs {
    /// The outgoing request (rightsgate/request/v1).
    #[arg(value_name = "REQUEST.json")]
    request: PathBuf,
    /// The requested state.
    #[arg(long, value_name = "XX")]
    to: String,
    /// Directory of law packs (every *.toml file is loaded).
    #[arg(long, value_name = "DIR", default_value = app::inputs::DEFAULT_LAWPACKS)]
    lawpacks: PathBuf,
    /// The requested state's published policy; without it, the rights-respecting default with its state set
    /// to --to (said so in the output).
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `rightsgate preflight`.
pub(crate) fn run(args: &PreflightArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let mut err = std::io::stderr().lock();
    let name = args.request.display().to_string();
    let bytes = match std::fs::read(&args.request) {
        Ok(bytes) => bytes,
        Err(e) => {
            writeln!(err, "{name}: cannot read: {e}")?;
            return Ok(ExitCode::from(INVALID));
        }
    };
    let result = app::assess::preflight(
        &name,
        &bytes,
        &args.to,
        &args.lawpacks,
        args.policy.as_deref(),
        std::path::Path::new(app::inputs::DEFAULT_POLICY),
    );
    let preflight = match result {
        Ok(p) => p,
        Err(problems) => {
            evaluate::report(&mut err, &problems)?;
            return Ok(ExitCode::from(INVALID));
        }
    };
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &as_json(&preflight)).context("writing JSON")?;
        writeln!(out)?;
    } else {
        write_text(&name, &preflight, out)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn policy_line(p: &Preflight) -> String {
    match &p.policy {
        PolicySource::Published { path } => format!("{}'s published policy ({path})", p.to),
        PolicySource::Default { path, replaced } if *replaced == p.to => format!(
            "no published policy of {} was given: screened with the rights-respecting default ({path})",
            p.to
        ),
        PolicySource::Default { path, replaced } => format!(
            "no published policy of {} was given: screened with the rights-respecting default ({path}, its state {replaced} set to {})",
            p.to, p.to
        ),
    }
}

fn as_json(p: &Preflight) -> serde_json::Value {
    let (source, path) = match &p.policy {
        PolicySource::Published { path } => ("published", path),
        PolicySource::Default { path, .. } => ("default", path),
    };
    let changes: Vec<_> = p
        .changes
        .iter()
        .map(|c| {
            json!({ "rule": c.rule, "title": c.title, "effect": c.effect, "message": c.message,
                    "explanation": c.explanation, "change": c.change })
        })
        .collect();
    json!({
        "to": p.to,
        "policy": { "source": source, "path": path, "note": policy_line(p) },
        "outcome": p.decision.outcome,
        "changes": changes,
        "decision": p.decision,
    })
}

fn write_text(name: &str, p: &Preflight, out: &mut dyn Write) -> anyhow::Result<()> {
    let d = &p.decision;
    writeln!(out, "Preflight of {name} as {} would screen it", p.to)?;
    writeln!(out, "Policy: {}", policy_line(p))?;
    writeln!(out, "Outcome: {}", d.outcome)?;
    if !d.granted.is_empty() {
        let granted: Vec<String> = d
            .granted
            .iter()
            .map(|g| match (g.from, g.to) {
                (Some(from), Some(to)) => format!("{} {from}..{to}", g.category),
                _ => g.category.to_string(),
            })
            .collect();
        writeln!(out, "Granted: {}", granted.join(", "))?;
    }
    if !d.conditions.is_empty() {
        writeln!(out, "Conditions: {}", d.conditions.join(", "))?;
    }
    for (effect, words) in [
        (Effect::Refuse, "Refused by"),
        (Effect::RequestInformation, "Sent back for information by"),
        (Effect::HumanReview, "Sent to a person for review by"),
        (Effect::Narrow, "Narrowed by"),
        (Effect::Condition, "Conditions from"),
    ] {
        let rules: Vec<&str> =
            p.changes.iter().filter(|c| c.effect == effect).map(|c| c.rule.as_str()).collect();
        if !rules.is_empty() {
            writeln!(out, "{words}: {}", rules.join(", "))?;
        }
    }
    if p.changes.is_empty() {
        writeln!(
            out,
            "No findings: the request would pass screening as it is (a person still decides)."
        )?;
    }
    for c in &p.changes {
        writeln!(out, "\n- {} ({}): {}", c.rule, c.effect, c.title)?;
        writeln!(out, "  Finding: {}", c.message)?;
        writeln!(out, "  What you can change: {}", c.change)?;
    }
    Ok(())
}
