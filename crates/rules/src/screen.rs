//! `screen`: one request in, one decision out, with the combining rule of rules.md.

use domain::decision::{Finding, Grant, Inputs, SCHEMA};
use domain::vocab::{Effect, Measure, Outcome};
use domain::{Decision, Request};

use crate::analysis::Analysis;
use crate::catalogue::CATALOGUE;
use crate::context::Context;

/// A request that cannot be screened with this context: an input error, not a decision.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ScreenError {
    /// The JSON path of the offending field.
    pub path: &'static str,
    /// What is wrong and what was expected.
    pub message: String,
}

/// Screens one request. `request_sha256` is the digest of the exact bytes the request was read from.
///
/// Total and deterministic: the only errors are requests whose states have no law pack, or that ask a state
/// other than the one the policy serves.
pub fn screen(
    request: &Request,
    request_sha256: &str,
    ctx: &Context,
) -> Result<Decision, ScreenError> {
    if request.requested_state != ctx.policy.state {
        return Err(ScreenError {
            path: "$.requested_state",
            message: format!(
                "requested state \"{}\" differs from the policy's state \"{}\", expected \"{}\"",
                request.requested_state, ctx.policy.state, ctx.policy.state
            ),
        });
    }
    let r = ctx.packs.get(&request.requesting.state).ok_or_else(|| ScreenError {
        path: "$.requesting.state",
        message: format!(
            "no law pack for \"{}\", expected one of {}",
            request.requesting.state,
            ctx.packs.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
    })?;
    let q = ctx.packs.get(&ctx.policy.state).ok_or_else(|| ScreenError {
        path: "$.requested_state",
        message: format!("no law pack for \"{}\"", ctx.policy.state),
    })?;
    let analysis = Analysis::new(request, ctx, r, q);

    let mut findings = Vec::new();
    for rule in CATALOGUE {
        if let Some(fired) = (rule.check)(&analysis) {
            findings.push(Finding {
                rule: rule.id.into(),
                effect: fired.effect,
                citations: rule.citations.iter().map(|c| (*c).into()).collect(),
                message: fired.message,
                facts: fired.facts,
            });
        }
    }
    let outcome = combine(findings.iter().map(|f| f.effect));

    let granted = if outcome == Outcome::Refuse || request.measure == Measure::Information {
        Vec::new()
    } else {
        analysis
            .windows
            .iter()
            .map(|w| Grant {
                category: w.category,
                from: w.period.map(|p| p.from),
                to: w.period.map(|p| p.to),
            })
            .collect()
    };

    let mut conditions = Vec::new();
    if outcome != Outcome::Refuse && request.measure != Measure::Preservation {
        conditions.push("use_limitation".to_owned());
        conditions.push("no_onward_transfer".to_owned());
        let max = ctx.policy.max_retention_days;
        if max > 0 {
            let days = request.assurances.retention_days.map_or(max, |d| d.min(max));
            conditions.push(format!("retention_max_days={days}"));
        }
        if findings.iter().any(|f| f.rule == "death-penalty" && f.effect == Effect::Condition) {
            conditions.push("no_death_penalty".to_owned());
        }
        conditions.sort();
    }

    Ok(Decision {
        schema: SCHEMA.to_owned(),
        reference: request.reference.clone(),
        outcome,
        findings,
        granted,
        conditions,
        inputs: Inputs {
            request_sha256: request_sha256.to_owned(),
            policy_sha256: ctx.policy_sha256.clone(),
            lawpacks_sha256: ctx.lawpacks_sha256.clone(),
        },
        engine: crate::ENGINE.to_owned(),
    })
}

/// Combining §1: the strongest effect decides.
pub fn combine(effects: impl IntoIterator<Item = Effect>) -> Outcome {
    let strongest = effects.into_iter().min();
    match strongest {
        Some(Effect::Refuse) => Outcome::Refuse,
        Some(Effect::RequestInformation) => Outcome::RequestInformation,
        Some(Effect::HumanReview) => Outcome::HumanReview,
        Some(Effect::Narrow) => Outcome::ApproveInPart,
        Some(Effect::Condition) | None => Outcome::Approve,
    }
}
