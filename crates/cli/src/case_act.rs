//! `rightsgate case act ID ACTION --as NAME`: one workflow action through `app::cases::act`, as an account that
//! proves itself with its password, with a second approver's own password where four eyes are needed.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use app::cases::{ActError, ActionName, ActionRequest, Credentials};
use domain::case::Resolution;
use domain::decision::Grant;
use store::{Actor, Authenticated, Desk};

use crate::{clock, ScreeningArgs, StoreArgs};

/// The arguments of `case act`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum ActCommand {
    /// Act on a case as an account: start_review, request_information, information_received, open_consultation,
    /// decide, execute, renew_preservation or close.
    Act {
        /// The case id.
        id: String,
        /// The action.
        #[arg(value_parser = parse_action)]
        action: ActionName,
        /// The account acting; its password is read from `RIGHTSGATE_PASSWORD` or the first line of stdin.
        #[arg(long = "as", value_name = "NAME")]
        name: String,
        /// For `decide`: approved, approved_in_part, refused or withdrawn.
        #[arg(long, value_parser = parse_resolution)]
        resolution: Option<Resolution>,
        /// For `decide`: why the decision departs from the recommendation.
        #[arg(long)]
        reason: Option<String>,
        /// For `decide`, where four eyes are needed: the second approver, whose password is read from
        /// `RIGHTSGATE_SECOND_PASSWORD` or the next line of stdin.
        #[arg(long, value_name = "NAME")]
        second: Option<String>,
        /// For `execute`: what was disclosed, as a JSON array of `{"category", "from", "to"}` (default: nothing).
        #[arg(long, value_name = "JSON")]
        disclosed: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        inputs: ScreeningArgs,
    },
}

fn parse_action(name: &str) -> Result<ActionName, String> {
    ActionName::parse(name).ok_or_else(|| {
        let names: Vec<&str> = ActionName::ALL.iter().map(|(_, n)| *n).collect();
        format!("unknown action `{name}`, expected one of {}", names.join(", "))
    })
}

fn parse_resolution(name: &str) -> Result<Resolution, String> {
    Resolution::parse(name).ok_or_else(|| {
        format!("unknown resolution `{name}`, expected approved, approved_in_part, refused or withdrawn")
    })
}

/// A password from the environment, or else the next line of stdin.
fn password(var: &str, stdin: &mut dyn BufRead) -> anyhow::Result<String> {
    if let Ok(p) = std::env::var(var) {
        return Ok(p);
    }
    let mut line = String::new();
    stdin.read_line(&mut line).context("reading a password from stdin")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

/// Runs `case act`.
pub(crate) async fn run(cmd: ActCommand, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let ActCommand::Act { id, action, name, resolution, reason, second, disclosed, store, inputs } =
        cmd;
    let disclosed: Vec<Grant> = match disclosed.as_deref().map(serde_json::from_str) {
        None => Vec::new(),
        Some(Ok(d)) => d,
        Some(Err(e)) => {
            return crate::invalid(&format!(
                "--disclosed: {e}, expected a JSON array of {{\"category\", \"from\", \"to\"}}"
            ))
        }
    };
    let ctx = match inputs.load() {
        Ok(ctx) => ctx,
        Err(problems) => {
            crate::evaluate::report(&mut std::io::stderr().lock(), &problems)?;
            return Ok(ExitCode::from(crate::INVALID));
        }
    };
    let sealer = store.sealer()?;
    let store = store.connect().await?;
    let stdin = std::io::stdin();
    let mut stdin = stdin.lock();
    let now = clock::now();
    // Failed checks from the command line are throttled as one client, per account.
    let client = "cli";
    let user = match store
        .authenticate(&name, &password("RIGHTSGATE_PASSWORD", &mut stdin)?, client, now)
        .await?
    {
        Authenticated::User(user) => user,
        Authenticated::Wrong => {
            return crate::invalid(&format!("--as: the name `{name}` or its password is wrong"))
        }
        Authenticated::Disabled => {
            return crate::invalid(&format!("--as: the account `{name}` is disabled"))
        }
        Authenticated::Throttled { retry_after } => {
            return crate::invalid(&format!(
                "--as: too many failed sign-ins for `{name}`: try again after {retry_after}"
            ))
        }
    };
    let second = match second {
        Some(second) => Some(Credentials {
            password: password("RIGHTSGATE_SECOND_PASSWORD", &mut stdin)?,
            name: second,
        }),
        None => None,
    };
    let request = ActionRequest { action, resolution, reason, second, disclosed };
    let desk = Desk { sealer: &sealer, deadlines: &ctx.policy().deadlines };
    let actor = Actor { name: &user.name, role: user.role };
    let result = app::cases::act(&store, &desk, &id, &actor, request, now).await;
    store.close().await;
    match result {
        Ok(state) => {
            serde_json::to_writer(
                &mut *out,
                &serde_json::json!({ "case": id, "state": state.as_str() }),
            )?;
            writeln!(out)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(ActError::Store(store::StoreError::Backend(e))) => Err(e).context("acting on the case"),
        Err(ActError::Confirm(e)) => crate::invalid(&format!("--second: {e}")),
        Err(e) => crate::invalid(&e.to_string()),
    }
}
