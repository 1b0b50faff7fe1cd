//! The framework format (`rightsgate/framework/v1`, TOML): what a state has declared or committed to that law
//! packs and policies do not hold.
//!
//! Reservations and declarations under the UN Convention against Cybercrime, the notifications it makes
//! (central authority, 24/7 point of contact), its domestic safeguards, its oversight arrangements, its
//! publication commitments and the role it gives stakeholders. `rightsgate assess` reads it beside the law pack
//! and the policy. Every entry that is a commitment rather than a fact carries a status, so a planned set is
//! never presented as a deposited one.

use serde::{Deserialize, Serialize};

use crate::error::{locate, read_toml, InputError};
use crate::vocab::{
    FrameworkStatus, InstrumentKind, InstrumentStatus, NoticeTiming, RefusalGround, ReportInterval,
    ReservationTopic,
};
use crate::Day;

/// The schema string of version 1 frameworks.
pub const SCHEMA: &str = "rightsgate/framework/v1";

/// One state's declared framework. Only `schema`, `state` and `as_of` are required; an absent table means the
/// file says nothing about it (the assessment then reads "unknown", never "met").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Framework {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// ISO 3166-1 alpha-2 code of the state.
    pub state: String,
    /// When the entries were last checked.
    pub as_of: Day,
    /// What the file is (for example, that it is an example or a plan); carried into the assessment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Reservations and declarations under the UNCC, one table each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reservations: Vec<Reservation>,
    /// Notifications to the depositary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notifications: Option<Notifications>,
    /// Safeguards of domestic law.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domestic_law: Option<DomesticLaw>,
    /// Independent oversight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oversight: Option<Oversight>,
    /// Publication commitments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publication: Option<Publication>,
    /// The role of stakeholders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stakeholders: Option<Stakeholders>,
}

/// One reservation or declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reservation {
    /// Reservation or declaration.
    pub instrument: InstrumentKind,
    /// The UNCC article it is made under, as digits (`"42"`).
    pub article: String,
    /// The paragraph, when known (`"4"`); absent when the paragraph is not settled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paragraph: Option<String>,
    /// What it is about.
    pub topic: ReservationTopic,
    /// Planned or deposited.
    pub status: InstrumentStatus,
    /// Its effect in a sentence.
    pub summary: String,
}

/// Notifications the Convention asks a state to make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notifications {
    /// The central authority for mutual legal assistance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub central_authority: Option<Notification>,
    /// The point of contact of the 24/7 network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point_24_7: Option<Notification>,
}

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notification {
    /// Planned or deposited.
    pub status: InstrumentStatus,
    /// The body named.
    pub body: String,
}

/// Safeguards of domestic law.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomesticLaw {
    /// Planned or in force.
    pub status: FrameworkStatus,
    /// Grounds on which domestic law lets (or makes) the state refuse assistance.
    #[serde(default)]
    pub refusal_grounds: Vec<RefusalGround>,
    /// A person affected by a measure has an effective remedy before a court.
    pub effective_remedy: bool,
    /// When the person affected by a covert measure is told.
    pub user_notification: NoticeTiming,
    /// Domestic law does not compel providers to weaken security or build in access.
    pub no_backdoor_mandate: bool,
    /// Domestic law does not require general and indiscriminate retention of traffic data.
    pub no_general_retention: bool,
}

/// Independent oversight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Oversight {
    /// Planned or in force.
    pub status: FrameworkStatus,
    /// The body that oversees the handling of requests.
    pub body: String,
    /// The body is independent of the authorities that handle requests.
    pub independent: bool,
    /// It may report publicly on what it finds.
    pub reports_publicly: bool,
    /// It runs a witness that co-signs the gate's ledger checkpoints.
    pub witness: bool,
}

/// Publication commitments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Publication {
    /// Planned or in force.
    pub status: FrameworkStatus,
    /// How often statistics of requests received, approved, approved in part and refused are published.
    pub statistics: ReportInterval,
    /// Refusals are published by ground.
    pub refusals_by_ground: bool,
    /// This assessment is published.
    pub assessment: bool,
}

/// The role of stakeholders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stakeholders {
    /// Planned or in force.
    pub status: FrameworkStatus,
    /// Civil society, the data-protection authority and parliament are consulted on implementation.
    pub consultation: bool,
    /// Who is consulted, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub who: Option<String>,
}

impl Framework {
    /// Reads and validates a framework. Every problem is reported, each with file, line and field.
    pub fn parse(file: &str, text: &str) -> Result<Framework, Vec<InputError>> {
        let framework: Framework = read_toml(file, text).map_err(|e| vec![e])?;
        let problems = framework.check(file, text);
        if problems.is_empty() {
            Ok(framework)
        } else {
            Err(problems)
        }
    }

    /// The checks serde cannot express.
    pub fn check(&self, file: &str, text: &str) -> Vec<InputError> {
        let mut problems = Vec::new();
        let mut problem = |key: &str, field: &str, message: String| {
            let at = locate(text, key);
            let location = if at.is_empty() { field.to_owned() } else { format!("{at}: {field}") };
            problems.push(InputError::new(file, location, message));
        };
        if self.schema != SCHEMA {
            problem(
                "schema",
                "schema",
                format!("unknown schema \"{}\", expected \"{SCHEMA}\"", self.schema),
            );
        }
        if !crate::request::is_country(&self.state) {
            problem(
                "state",
                "state",
                format!(
                    "invalid country code \"{}\", expected ISO 3166-1 alpha-2 in upper case",
                    self.state
                ),
            );
        }
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        for (i, r) in self.reservations.iter().enumerate() {
            if !digits(&r.article) {
                problem(
                    "reservations",
                    &format!("reservations[{i}].article"),
                    format!(
                        "invalid article \"{}\", expected an article number such as \"42\"",
                        r.article
                    ),
                );
            }
            if let Some(p) = r.paragraph.as_deref().filter(|p| !digits(p)) {
                problem(
                    "reservations",
                    &format!("reservations[{i}].paragraph"),
                    format!("invalid paragraph \"{p}\", expected a paragraph number such as \"4\""),
                );
            }
            if r.summary.trim().is_empty() {
                problem(
                    "reservations",
                    &format!("reservations[{i}].summary"),
                    "empty, expected the effect in a sentence".to_owned(),
                );
            }
        }
        problems
    }

    /// The reservations and declarations on a topic, deposited ones first.
    pub fn on(&self, topic: ReservationTopic) -> Vec<&Reservation> {
        let mut found: Vec<&Reservation> =
            self.reservations.iter().filter(|r| r.topic == topic).collect();
        found.sort_by_key(|r| r.status != InstrumentStatus::Deposited);
        found
    }
}

#[cfg(test)]
mod tests;
