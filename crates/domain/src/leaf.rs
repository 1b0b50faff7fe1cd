//! The ledger leaf of a case event: a versioned, canonical encoding of non-personal metadata plus a salted
//! commitment to the case's personal fields.
//!
//! Encoding (version 1): a JSON object with keys sorted by byte order, no whitespace, strings escaped as
//! serde_json escapes them, integers only (no floats), UTF-8. The keys are `v` (1), `case` (the case id),
//! `seq` (0-based event number within the case), `at` (RFC 3339 UTC, whole seconds), `event`, `state` (after the
//! event), `commitment` (hex SHA-256 of a per-case random salt and the personal fields; see the store) and
//! `meta` (an object of non-personal facts, also with sorted keys). Leaves are built from a `BTreeMap`, never by
//! serializing a domain struct, so adding a field to a struct cannot change the bytes of past leaves.
//!
//! Nothing personal goes in: no identifiers, facts, names, references or free text. Oversight bodies recompute
//! published statistics from these leaves alone.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::case::{CaseState, Departure, Resolution};
use crate::decision::Grant;
use crate::vocab::Effect;
use crate::{Decision, Request};

mod view;

pub use view::{LeafView, MetaValue};

/// The current leaf encoding version.
pub const VERSION: u64 = 1;

/// One case event, ready to encode.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    /// The case id (opaque, not personal).
    pub case: String,
    /// Event number within the case, from 0.
    pub seq: u64,
    /// When the event happened.
    pub at: OffsetDateTime,
    /// The event's name (`received`, `screened`, or a workflow event name).
    pub event: String,
    /// The state after the event.
    pub state: CaseState,
    /// Hex SHA-256 commitment to the personal fields.
    pub commitment: String,
    /// Non-personal facts.
    pub meta: BTreeMap<String, Value>,
}

/// Why leaf bytes cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeafError {
    /// Not JSON, or not an object.
    #[error("leaf is not a JSON object: {0}")]
    NotObject(String),
    /// A version this reader does not know.
    #[error("leaf version `{0}` is not supported, expected 1")]
    Version(String),
    /// A field is missing or of the wrong type.
    #[error("leaf field `{0}` is missing or invalid")]
    Field(&'static str),
    /// The bytes are not in canonical form (re-encoding gives other bytes).
    #[error("leaf bytes are not canonical")]
    NotCanonical,
}

impl Leaf {
    /// The canonical bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(512);
        encode_into(
            &mut out,
            &Parts {
                at: self.at,
                case: &self.case,
                commitment: &self.commitment,
                event: &self.event,
                meta: &self.meta,
                seq: self.seq,
                state: self.state,
            },
        );
        out
    }

    /// The leaf as a view borrowing from it, as [`LeafView::decode`] would read its bytes.
    #[must_use]
    pub fn view(&self) -> LeafView<'_> {
        LeafView {
            case: self.case.as_str().into(),
            seq: self.seq,
            at: self.at,
            event: self.event.as_str().into(),
            state: self.state,
            commitment: self.commitment.as_str().into(),
            meta: self
                .meta
                .iter()
                .map(|(k, v)| (k.as_str().into(), MetaValue::from_json(v)))
                .collect(),
        }
    }

    /// Reads canonical leaf bytes; re-encoding must give the same bytes.
    ///
    /// # Errors
    /// As [`LeafView::decode`], which this copies.
    pub fn decode(bytes: &[u8]) -> Result<Leaf, LeafError> {
        LeafView::decode(bytes).map(LeafView::into_owned)
    }
}

/// What the encoding writes, whoever holds the leaf.
struct Parts<'a, M> {
    at: OffsetDateTime,
    case: &'a str,
    commitment: &'a str,
    event: &'a str,
    meta: &'a M,
    seq: u64,
    state: CaseState,
}

/// Appends the canonical bytes of `parts` to `out`: the one encoder of version 1.
fn encode_into<M: serde::Serialize>(out: &mut Vec<u8>, parts: &Parts<'_, M>) {
    // Field order is key order; a golden test pins the bytes.
    #[derive(serde::Serialize)]
    struct Canonical<'a, M> {
        at: &'a str,
        case: &'a str,
        commitment: &'a str,
        event: &'a str,
        meta: &'a M,
        seq: u64,
        state: &'a str,
        v: u64,
    }
    let at = parts.at.to_offset(time::UtcOffset::UTC);
    let at = at.replace_nanosecond(0).unwrap_or(at);
    let at = at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    // Serializing these types into a Vec cannot fail: strings, integers and JSON values only.
    let _ = serde_json::to_writer(
        out,
        &Canonical {
            at: &at,
            case: parts.case,
            commitment: parts.commitment,
            event: parts.event,
            meta: parts.meta,
            seq: parts.seq,
            state: parts.state.as_str(),
            v: VERSION,
        },
    );
}

/// The non-personal facts of a request at intake: who asks (states, not people), under what, for what.
///
/// `offence_sections` are the ICCS sections (two digits) of the resolved offences, sorted and without repeats.
pub fn received_meta(request: &Request, offence_sections: &[String]) -> BTreeMap<String, Value> {
    let categories: Vec<&str> = crate::vocab::Category::ALL
        .iter()
        .filter(|c| request.data.categories.contains(c))
        .map(|c| c.as_str())
        .collect();
    let received = request.received.to_offset(time::UtcOffset::UTC).date();
    meta([
        ("requesting_state", json!(request.requesting.state)),
        ("requested_state", json!(request.requested_state)),
        ("authority_type", json!(request.requesting.authority_type.as_str())),
        ("channel", json!(request.channel.as_str())),
        ("instrument", json!(request.legal_basis.instrument.as_str())),
        ("measure", json!(request.measure.as_str())),
        ("uncc_article", json!(request.measure.uncc_article())),
        ("categories", json!(categories)),
        ("identifiers", json!(request.data.identifiers.len())),
        ("offence_sections", json!(offence_sections)),
        ("urgency", json!(request.urgency.as_str())),
        ("received_day", json!(crate::Day::from(received).to_string())),
    ])
}

/// The non-personal facts of screening: the recommendation, the rules that fired and the input digests that
/// are not personal (the policy and law packs; the request digest stays with the case).
pub fn screened_meta(decision: &Decision) -> BTreeMap<String, Value> {
    let rules: Vec<&str> = decision.findings.iter().map(|f| &*f.rule).collect();
    let grounds: Vec<&str> =
        decision.findings.iter().filter(|f| f.effect == Effect::Refuse).map(|f| &*f.rule).collect();
    meta([
        ("outcome", json!(decision.outcome.as_str())),
        ("rules", json!(rules)),
        ("refusal_grounds", json!(grounds)),
        ("granted", grants(&decision.granted)),
        ("policy_sha256", json!(decision.inputs.policy_sha256)),
        ("lawpacks_sha256", json!(decision.inputs.lawpacks_sha256)),
        ("engine", json!(decision.engine)),
    ])
}

/// The non-personal facts of a decision by people.
pub fn decided_meta(
    resolution: Resolution,
    departure: Departure,
    four_eyes: bool,
) -> BTreeMap<String, Value> {
    meta([
        ("resolution", json!(resolution.as_str())),
        ("departure", json!(departure.as_str())),
        ("four_eyes", json!(four_eyes)),
    ])
}

/// The non-personal facts of execution: what was disclosed, per category and window.
pub fn executed_meta(disclosed: &[Grant]) -> BTreeMap<String, Value> {
    meta([("disclosed", grants(disclosed))])
}

/// The non-personal facts of a preservation renewal: for how many more days the data is kept.
pub fn renewed_meta(days: u32) -> BTreeMap<String, Value> {
    meta([("preservation_days", json!(days))])
}

fn grants(grants: &[Grant]) -> Value {
    Value::Array(
        grants
            .iter()
            .map(|g| {
                let mut m = serde_json::Map::new();
                m.insert("category".into(), json!(g.category.as_str()));
                if let (Some(from), Some(to)) = (g.from, g.to) {
                    m.insert("from".into(), json!(from.to_string()));
                    m.insert("to".into(), json!(to.to_string()));
                }
                Value::Object(m)
            })
            .collect(),
    )
}

fn meta<const N: usize>(pairs: [(&str, Value); N]) -> BTreeMap<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf() -> Leaf {
        Leaf {
            case: "c-0001".into(),
            seq: 2,
            at: time::macros::datetime!(2026-11-02 10:00:00.5 +01:00),
            event: "decided_approved".into(),
            state: CaseState::Decided(Resolution::Approved),
            commitment: "ab".repeat(32),
            meta: decided_meta(Resolution::Approved, Departure::None, false),
        }
    }

    #[test]
    fn encoding_is_canonical_and_round_trips() {
        let bytes = leaf().encode();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert_eq!(
            text,
            format!(
                r#"{{"at":"2026-11-02T09:00:00Z","case":"c-0001","commitment":"{}","event":"decided_approved","meta":{{"departure":"none","four_eyes":false,"resolution":"approved"}},"seq":2,"state":"approved","v":1}}"#,
                "ab".repeat(32)
            )
        );
        let back = Leaf::decode(&bytes).unwrap();
        assert_eq!(back.encode(), bytes);
    }

    #[test]
    fn non_canonical_or_unknown_versions_are_rejected() {
        let text = String::from_utf8(leaf().encode()).unwrap();
        assert_eq!(
            Leaf::decode(text.replace(",\"seq\"", ", \"seq\"").as_bytes()),
            Err(LeafError::NotCanonical)
        );
        assert!(matches!(
            Leaf::decode(text.replace("\"v\":1", "\"v\":2").as_bytes()),
            Err(LeafError::Version(_))
        ));
        assert!(matches!(Leaf::decode(b"[]"), Err(LeafError::NotObject(_))));
    }
}
