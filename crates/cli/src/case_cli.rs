//! `rightsgate case list|show|act`: the case workflow from the command line, through the same core as the desk.
//!
//! `list` prints non-personal columns; `show` opens a case's personal data with the sealing key; `act` acts as an
//! account (its password from `RIGHTSGATE_PASSWORD` or the first line of stdin), and a four-eyes decision names
//! the second approver, whose own password comes from `RIGHTSGATE_SECOND_PASSWORD` or the next line of stdin.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use domain::case::CaseState;
use store::Filter;

use crate::{clock, StoreArgs};

/// `rightsgate case …`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum CaseCommand {
    /// List cases, earliest due first (or earliest expiry with `--preservations`): non-personal columns only.
    List {
        /// Only cases in this state (received, screened, in_review, information_requested, consultation,
        /// approved, approved_in_part, refused, withdrawn, executed, closed).
        #[arg(long)]
        state: Option<String>,
        /// Only open cases.
        #[arg(long)]
        open: bool,
        /// Only from this requesting state (ISO 3166 code).
        #[arg(long, value_name = "XX")]
        requesting_state: Option<String>,
        /// Only approved preservations not yet closed, expired ones included.
        #[arg(long, conflicts_with_all = ["state", "open"])]
        preservations: bool,
        /// At most this many (1 to 10,000).
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        limit: u32,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Show one case: its request, screening's decision and its timeline (opens personal data).
    Show {
        /// The case id.
        id: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    #[command(flatten)]
    Act(crate::case_act::ActCommand),
}

/// Runs a `case` command.
pub(crate) fn run(cmd: CaseCommand, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        match cmd {
            CaseCommand::List {
                state,
                open,
                requesting_state,
                preservations,
                limit,
                json,
                store,
            } => {
                let state = match state.as_deref().map(|s| (s, CaseState::parse(s))) {
                    None => None,
                    Some((_, Some(state))) => Some(state),
                    Some((name, None)) => {
                        let names: Vec<&str> =
                            domain::case::ALL_STATES.iter().map(|s| s.as_str()).collect();
                        return crate::invalid(&format!(
                            "--state: unknown state `{name}`, expected one of {}",
                            names.join(", ")
                        ));
                    }
                };
                let filter = Filter {
                    state,
                    open_only: open,
                    requesting_state,
                    preservations,
                    limit: Some(limit),
                };
                let store = store.connect().await?;
                let cases = store.cases(&filter).await.context("listing cases")?;
                store.close().await;
                list(&cases, json, clock::now(), out)?;
                Ok(ExitCode::SUCCESS)
            }
            CaseCommand::Show { id, store: args } => {
                let sealer = args.sealer()?;
                let store = args.connect().await?;
                let view = match store.case(&sealer, &id).await {
                    Ok(view) => view,
                    Err(store::StoreError::NotFound) => {
                        return crate::invalid(&format!("no case `{id}`"))
                    }
                    Err(e) => return Err(e).context("reading the case"),
                };
                store.close().await;
                serde_json::to_writer_pretty(&mut *out, &show(&view, clock::now()))?;
                writeln!(out)?;
                Ok(ExitCode::SUCCESS)
            }
            CaseCommand::Act(cmd) => crate::case_act::run(cmd, out).await,
        }
    })
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

fn summary_json(s: &store::Summary, now: time::OffsetDateTime) -> serde_json::Value {
    serde_json::json!({
        "id": s.id,
        "requesting_state": s.requesting_state,
        "authority": s.authority,
        "reference": s.reference,
        "measure": s.measure,
        "urgency": s.urgency,
        "recommended": s.recommended,
        "state": s.state.as_str(),
        "received_at": rfc3339(s.received_at),
        "due_at": rfc3339(s.due_at),
        "overdue": s.state.is_open() && s.due_at < now,
        "duplicate_of": s.duplicate_of,
        "purged": s.purged,
        "preservation_expires_at": s.preservation_expires_at.map(rfc3339),
        "preservation_expired": s.preservation_expires_at.is_some_and(|t| t <= now),
    })
}

fn list(
    cases: &[store::Summary],
    json: bool,
    now: time::OffsetDateTime,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if json {
        for c in cases {
            serde_json::to_writer(&mut *out, &summary_json(c, now))?;
            writeln!(out)?;
        }
        return Ok(());
    }
    writeln!(
        out,
        "{:<30} {:<22} {:<5} {:<14} {:<22} {:<17} due",
        "id", "reference", "from", "measure", "state", "recommended"
    )?;
    for c in cases {
        let flag = if c.state.is_open() && c.due_at < now { " OVERDUE" } else { "" };
        let expiry = match c.preservation_expires_at {
            Some(t) if t <= now => format!("  preservation expired {}", t.date()),
            Some(t) => format!("  preserved until {}", t.date()),
            None => String::new(),
        };
        writeln!(
            out,
            "{:<30} {:<22} {:<5} {:<14} {:<22} {:<17} {}{flag}{expiry}",
            c.id,
            c.reference,
            c.requesting_state,
            c.measure,
            c.state.as_str(),
            c.recommended,
            c.due_at.date(),
        )?;
    }
    writeln!(out, "{} case(s)", cases.len())?;
    Ok(())
}

fn show(view: &store::CaseView, now: time::OffsetDateTime) -> serde_json::Value {
    let timeline: Vec<serde_json::Value> = view
        .timeline
        .iter()
        .map(|t| {
            serde_json::json!({
                "seq": t.seq, "at": rfc3339(t.at), "event": t.event, "state": t.state,
                "actor": t.actor, "role": t.role, "leaf_index": t.leaf_index, "detail": t.detail,
            })
        })
        .collect();
    serde_json::json!({
        "summary": summary_json(&view.summary, now),
        "request": view.request.as_deref().and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok()),
        "decision": view.decision,
        "timeline": timeline,
    })
}
