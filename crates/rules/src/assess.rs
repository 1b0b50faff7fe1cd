//! `assess`: a state's framework checked, item by item, against the conditions for rights-respecting
//! implementation of the UN Convention against Cybercrime (`rightsgate/assessment/v1`).
//!
//! The inputs are the state's law pack (facts), the policy its gate applies (the safeguards enforced), its
//! declared framework (reservations, notifications, commitments; optional) and what its ledger shows in
//! practice (optional). [`ITEMS`] holds every item as one entry (id, group, title, citations, check), as the
//! rule catalogue does for rules; [`assess`] runs every check. It lives in `rules` because it is pure (no IO,
//! clock or randomness: the tidy test enforces it here) and because several items read what the rule catalogue
//! enforces whatever the policy says.
//!
//! A check never guesses: where an input says nothing, the status is `unknown`; where a paragraph number is not
//! verified, its citation says so.

use std::collections::BTreeMap;

use domain::framework::{Framework, Reservation};
use domain::vocab::{FrameworkStatus, InstrumentStatus, Measure, RefusalGround, ReservationTopic};
use domain::{LawPack, Policy};
use serde::Serialize;

mod items;

pub use items::ITEMS;

/// The schema string of version 1 assessments.
pub const SCHEMA: &str = "rightsgate/assessment/v1";

/// How far a state meets one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The inputs show it is met.
    Met,
    /// Some of it is met, or it is only planned, or only the gate enforces it.
    PartlyMet,
    /// The inputs show it is not met.
    NotMet,
    /// The inputs say nothing about it.
    Unknown,
}

impl Status {
    /// The name as written in the format.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::PartlyMet => "partly_met",
            Status::NotMet => "not_met",
            Status::Unknown => "unknown",
        }
    }
}

/// How sure the project is of a citation's article, paragraph and paraphrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Certainty {
    /// Read in the text of the provision or a faithful reproduction.
    Verified,
    /// Named by a secondary source; the exact wording was not seen.
    Secondary,
    /// Not verified: the article or paragraph may be wrong.
    Unverified,
}

/// One legal text an item rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Citation {
    /// The text cited, e.g. `UNCC Art. 42(4)`.
    pub text: &'static str,
    /// How sure the citation is.
    pub certainty: Certainty,
    /// What is uncertain, when something is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
}

/// Where a piece of evidence comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The state's law pack.
    Lawpack,
    /// The policy the gate applies.
    Policy,
    /// The state's declared framework.
    Framework,
    /// The ledger of the deployed gate.
    Practice,
    /// What the gate's rule catalogue does whatever the policy says.
    Gate,
}

/// One fact an item's status rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// Where it comes from.
    pub source: Origin,
    /// The field or rule (`policy.judicial_measures`, `rule dual-criminality`).
    pub field: String,
    /// What it says.
    pub value: String,
}

/// What kind of change would meet an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Nothing: the item is met.
    None,
    /// A change of the policy file.
    Policy,
    /// A reservation to deposit.
    Reservation,
    /// A declaration to deposit.
    Declaration,
    /// A notification to make.
    Notification,
    /// A change of domestic law.
    LegalReform,
    /// A change of how the gate is run, or a fact to record.
    Practice,
}

/// The concrete change that would meet an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Action {
    /// What kind of change.
    pub kind: ActionKind,
    /// The change, in words.
    pub text: String,
}

/// One assessed item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    /// Stable kebab-case id.
    pub id: &'static str,
    /// The group it belongs to.
    pub group: Group,
    /// A short title.
    pub title: &'static str,
    /// How far it is met.
    pub status: Status,
    /// The facts the status rests on.
    pub evidence: Vec<Evidence>,
    /// The legal texts, each with its certainty.
    pub citations: &'static [Citation],
    /// What would meet it.
    pub action: Action,
}

/// The groups of items, in the order the document lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// The 13 International Principles on the Application of Human Rights to Communications Surveillance.
    NecessaryProportionate,
    /// Convention 108+ (CETS 108 as amended by CETS 223).
    Convention108,
    /// The conditions of the civil-society statement this project answers.
    Statement,
    /// The Convention's own provisions that let a state protect rights.
    Uncc,
}

/// What a store's ledger shows about the gate in practice (gathered by `app::assess::practice`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PracticeEvidence {
    /// Ledger size (leaves).
    pub tree_size: u64,
    /// Requests received.
    pub received: u64,
    /// Requests decided (approved, approved in part or refused).
    pub decided: u64,
    /// Requests refused.
    pub refused: u64,
    /// Refusals by ground (rule id); a refusal can cite several.
    pub refusals_by_ground: BTreeMap<String, u64>,
    /// Refusals that cite no ground.
    pub refused_without_ground: u64,
    /// Decisions that departed from the screening recommendation.
    pub departures: u64,
    /// The latest checkpoint witnesses co-signed, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cosigned: Option<Cosigned>,
}

/// A co-signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cosigned {
    /// Its tree size.
    pub size: u64,
    /// The witnesses that co-signed it.
    pub witnesses: Vec<String>,
}

/// Digests of the exact inputs, so anyone can reproduce an assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inputs {
    /// SHA-256 of the state's law-pack file.
    pub lawpack_sha256: String,
    /// SHA-256 of the policy file.
    pub policy_sha256: String,
    /// SHA-256 of the framework file, when one was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub framework_sha256: Option<String>,
}

/// How many items have each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Met.
    pub met: usize,
    /// Partly met.
    pub partly_met: usize,
    /// Not met.
    pub not_met: usize,
    /// Unknown.
    pub unknown: usize,
}

/// The treaty status recorded in the law pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TreatyView {
    /// UNCC status.
    pub uncc: &'static str,
    /// Budapest status.
    pub budapest: &'static str,
}

/// An assessment of one state's framework (`rightsgate/assessment/v1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The state's code.
    pub state: String,
    /// The state's name.
    pub name: String,
    /// The law pack's `as_of`.
    pub lawpack_as_of: String,
    /// The framework's `as_of`, when one was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub framework_as_of: Option<String>,
    /// The framework's note (for example, that it is a planned set), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub framework_note: Option<String>,
    /// The policy's name.
    pub policy: String,
    /// Treaty status.
    pub treaties: TreatyView,
    /// Counts by status.
    pub summary: Summary,
    /// Every item, in catalogue order.
    pub items: Vec<Item>,
    /// What the ledger showed, when a store was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub practice: Option<PracticeEvidence>,
    /// Digests of the inputs.
    pub inputs: Inputs,
    /// The engine, with its version.
    pub engine: &'static str,
}

/// What every check reads.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// The state's law pack.
    pub pack: &'a LawPack,
    /// The policy its gate applies.
    pub policy: &'a Policy,
    /// Its declared framework.
    pub framework: Option<&'a Framework>,
    /// What its ledger shows.
    pub practice: Option<&'a PracticeEvidence>,
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// How far the item is met.
    pub status: Status,
    /// The facts it rests on.
    pub evidence: Vec<Evidence>,
    /// What would meet it (ignored when met).
    pub action: Action,
}

/// One entry of the item catalogue.
#[derive(Debug)]
pub struct ItemDef {
    /// Stable kebab-case id; never renumbered.
    pub id: &'static str,
    /// Its group.
    pub group: Group,
    /// A short title.
    pub title: &'static str,
    /// What it checks, in words (for docs/assess.md).
    pub method: &'static str,
    /// The legal texts.
    pub citations: &'static [Citation],
    pub(crate) check: fn(&Facts<'_>) -> Verdict,
}

/// Assesses a state: every item of [`ITEMS`], in order. Total and deterministic.
pub fn assess(facts: &Facts<'_>, inputs: Inputs) -> Assessment {
    let items: Vec<Item> = ITEMS
        .iter()
        .map(|def| {
            let verdict = (def.check)(facts);
            let action = if verdict.status == Status::Met {
                Action { kind: ActionKind::None, text: "none needed: keep it as it is".to_owned() }
            } else {
                verdict.action
            };
            Item {
                id: def.id,
                group: def.group,
                title: def.title,
                status: verdict.status,
                evidence: verdict.evidence,
                citations: def.citations,
                action,
            }
        })
        .collect();
    let mut summary = Summary::default();
    for item in &items {
        match item.status {
            Status::Met => summary.met += 1,
            Status::PartlyMet => summary.partly_met += 1,
            Status::NotMet => summary.not_met += 1,
            Status::Unknown => summary.unknown += 1,
        }
    }
    Assessment {
        schema: SCHEMA,
        state: facts.pack.code.clone(),
        name: facts.pack.name.clone(),
        lawpack_as_of: facts.pack.as_of.to_string(),
        framework_as_of: facts.framework.map(|f| f.as_of.to_string()),
        framework_note: facts.framework.and_then(|f| f.note.clone()),
        policy: facts.policy.name.clone(),
        treaties: TreatyView {
            uncc: facts.pack.treaties.uncc_status().as_str(),
            budapest: facts.pack.treaties.budapest_status().as_str(),
        },
        summary,
        items,
        practice: facts.practice.cloned(),
        inputs,
        engine: crate::ENGINE,
    }
}

// Helpers shared by the checks.

fn ev(source: Origin, field: impl Into<String>, value: impl Into<String>) -> Evidence {
    Evidence { source, field: field.into(), value: value.into() }
}

fn action(kind: ActionKind, text: impl Into<String>) -> Action {
    Action { kind, text: text.into() }
}

fn list<T: std::fmt::Display>(values: &[T]) -> String {
    if values.is_empty() {
        "none".to_owned()
    } else {
        values.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    }
}

fn reservation_evidence(found: &[&Reservation]) -> Vec<Evidence> {
    found
        .iter()
        .map(|r| {
            let at = match &r.paragraph {
                Some(p) => format!("Art. {}({p})", r.article),
                None => format!("Art. {}", r.article),
            };
            ev(
                Origin::Framework,
                format!("reservations: {} {}", r.instrument, r.topic),
                format!("{} under {at}: {}", r.status, r.summary),
            )
        })
        .collect()
}

/// The status of a reservation or declaration on `topic`: deposited → met, planned → partly met, none → not
/// met; unknown without a framework.
fn instrument(facts: &Facts<'_>, topic: ReservationTopic) -> (Status, Vec<Evidence>) {
    let Some(framework) = facts.framework else {
        return (
            Status::Unknown,
            vec![ev(Origin::Framework, "reservations", "no framework file was given")],
        );
    };
    let found = framework.on(topic);
    let status = match found.first().map(|r| r.status) {
        Some(InstrumentStatus::Deposited) => Status::Met,
        Some(InstrumentStatus::Planned) => Status::PartlyMet,
        None => Status::NotMet,
    };
    let mut evidence = reservation_evidence(&found);
    if evidence.is_empty() {
        evidence.push(ev(Origin::Framework, "reservations", format!("none on {topic}")));
    }
    (status, evidence)
}

/// In force → met, planned → partly met.
fn standing(status: FrameworkStatus) -> Status {
    match status {
        FrameworkStatus::InForce => Status::Met,
        FrameworkStatus::Planned => Status::PartlyMet,
    }
}

/// How much of a safeguard the gate enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gate {
    Full,
    Part,
    Off,
    /// No rule of the catalogue covers it.
    Absent,
}

/// A refusal ground: enforced by the gate (policy) and provided by domestic law (framework).
/// Met only when both hold and the domestic ground is in force.
fn ground(
    facts: &Facts<'_>,
    gate: Gate,
    gate_evidence: Vec<Evidence>,
    ground: RefusalGround,
    policy_fix: &str,
) -> Verdict {
    let mut evidence = gate_evidence;
    let domestic = facts.framework.and_then(|f| f.domestic_law.as_ref());
    let declared = domestic.map(|d| (d.status, d.refusal_grounds.contains(&ground)));
    evidence.push(ev(
        Origin::Framework,
        "domestic_law.refusal_grounds",
        match declared {
            None => "not stated (no framework or no [domestic_law])".to_owned(),
            Some((status, true)) => format!("{ground} listed ({status})"),
            Some((status, false)) => format!("{ground} not listed ({status})"),
        },
    ));
    let law_fix = format!("provide the {ground} ground in domestic law and list it in the framework's domestic_law.refusal_grounds");
    let (status, act) = match (gate, declared) {
        (Gate::Off, _) => (Status::NotMet, action(ActionKind::Policy, policy_fix)),
        (Gate::Part, _) => (Status::PartlyMet, action(ActionKind::Policy, policy_fix)),
        (Gate::Absent, None) => (Status::Unknown, action(ActionKind::LegalReform, law_fix)),
        (Gate::Absent, Some((_, false))) => {
            (Status::NotMet, action(ActionKind::LegalReform, law_fix))
        }
        (Gate::Full, None | Some((_, false))) => {
            (Status::PartlyMet, action(ActionKind::LegalReform, law_fix))
        }
        (Gate::Full | Gate::Absent, Some((status, true))) => (
            standing(status),
            action(
                ActionKind::LegalReform,
                format!("bring the planned {ground} ground into force"),
            ),
        ),
    };
    Verdict { status, evidence, action: act }
}

/// `Full` when every wanted value is present, `Part` when some are, `Off` when none are.
fn coverage<T: PartialEq>(have: &[T], want: &[T]) -> Gate {
    let n = want.iter().filter(|w| have.contains(w)).count();
    if n == want.len() {
        Gate::Full
    } else if n > 0 {
        Gate::Part
    } else {
        Gate::Off
    }
}

/// The measures other than preservation: the ones a rights-respecting state conditions on dual criminality.
const DUAL_MEASURES: &[Measure] = &[
    Measure::TrafficDisclosure,
    Measure::StoredData,
    Measure::RealtimeTraffic,
    Measure::Interception,
    Measure::Information,
];

#[cfg(test)]
mod tests;
