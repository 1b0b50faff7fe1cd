//! The request format (`rightsgate/request/v1`, JSON): what the requesting side asked for, plus the receiving
//! side's intake and review annotations.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{read_json, InputError};
use crate::vocab::{
    AuthorityType, AuthorizationKind, Category, Channel, IdentifierType, Instrument, Measure,
    Profile, Threat, Urgency,
};
use crate::Day;

/// The schema string of version 1 requests.
pub const SCHEMA: &str = "rightsgate/request/v1";

/// A request for cross-border cooperation as received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The requesting side's reference, 1 to 128 characters.
    pub reference: String,
    /// When the request reached the requested side.
    #[serde(with = "time::serde::rfc3339")]
    pub received: OffsetDateTime,
    /// How it arrived.
    pub channel: Channel,
    /// Who asks.
    pub requesting: Requesting,
    /// The state asked to assist (ISO 3166-1 alpha-2).
    pub requested_state: String,
    /// The treaty invoked.
    pub legal_basis: LegalBasis,
    /// The measure asked for.
    pub measure: Measure,
    /// The data sought.
    pub data: Data,
    /// The offences, as cited by the requester.
    pub offences: Vec<OffenceRef>,
    /// Summary of the facts of the case.
    pub facts: String,
    /// How urgent the requester says it is.
    pub urgency: Urgency,
    /// For emergencies: the harm and why it is imminent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emergency: Option<Emergency>,
    /// Who authorized the request in the requesting state.
    pub authorization: Authorization,
    /// What the requester promises about the data.
    pub assurances: Assurances,
    /// Set by the receiving side at intake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intake: Option<Intake>,
    /// Set by the receiving side at review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<Review>,
}

/// The requesting state and authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requesting {
    /// Requesting state (ISO 3166-1 alpha-2).
    pub state: String,
    /// Issuing authority's name.
    pub authority: String,
    /// Kind of issuing authority.
    pub authority_type: AuthorityType,
}

/// The treaty invoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalBasis {
    /// Which instrument.
    pub instrument: Instrument,
}

/// The data sought.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Data {
    /// Categories of data, as requested (may repeat or be empty; the rules cope).
    pub categories: Vec<Category>,
    /// The targets.
    pub identifiers: Vec<Identifier>,
    /// The time window of the data, or the collection window for real-time measures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
}

/// One target identifier. Personal data: never logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identifier {
    /// What kind of identifier.
    #[serde(rename = "type")]
    pub kind: IdentifierType,
    /// The identifier itself.
    pub value: String,
}

/// An inclusive period of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// First day.
    pub from: Day,
    /// Last day.
    pub to: Day,
}

impl Period {
    /// Length in days, counting both ends; zero or negative when `from` is after `to`.
    pub fn days(&self) -> i64 {
        self.from.inclusive_days_to(self.to)
    }
}

/// An offence as cited by the requester.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OffenceRef {
    /// The offence `id` in the requesting state's law pack.
    #[serde(rename = "ref")]
    pub reference: String,
    /// The requester's wording.
    pub description: String,
}

/// What an emergency request says about the threat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Emergency {
    /// The kind of harm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threat: Option<Threat>,
    /// Why the harm is imminent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
}

/// Who authorized the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authorization {
    /// Kind of authorizing body.
    pub kind: AuthorizationKind,
    /// Whether it is independent of the investigation.
    pub independent: bool,
    /// Who authorized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
}

/// The requester's assurances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assurances {
    /// Specialty: data used only for the stated proceedings.
    pub use_limited_to_proceedings: bool,
    /// The death penalty will not be sought or carried out.
    #[serde(default)]
    pub no_death_penalty: bool,
    /// How long the requester will keep the data.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "whole_days")]
    pub retention_days: Option<u64>,
}

/// Reads a count of days written `30` or `30.0`: JSON has one number type, and the published schema (JSON
/// Schema, where `30.0` is the integer 30) admits both.
fn whole_days<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else { return Ok(None) };
    // Whole floats up to 2^53 are exact.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    match (n.as_u64(), n.as_f64()) {
        (Some(days), _) => Ok(Some(days)),
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "whole, 0 to 2^53"
        )]
        (None, Some(f)) if f.fract() == 0.0 && (0.0..=EXACT).contains(&f) => Ok(Some(f as u64)),
        _ => Err(serde::de::Error::invalid_value(
            serde::de::Unexpected::Other(&n.to_string()),
            &"a whole number of at least 0",
        )),
    }
}

/// The receiving side's intake annotations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Intake {
    /// The requesting authority's identity was verified.
    #[serde(default)]
    pub authenticated: bool,
}

/// The receiving side's review annotations about the targeted person(s).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// Profiles of the targeted person(s).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<Profile>,
    /// Finally acquitted or convicted for the same conduct in the requested state.
    #[serde(default)]
    pub final_judgment_in_requested_state: bool,
    /// Consensual conduct between children of similar age.
    #[serde(default)]
    pub consensual_peer_conduct: bool,
}

impl Request {
    /// Reads and checks a request. `file` names the source in errors.
    ///
    /// Serde reports the first structural problem; the checks after it report every remaining one.
    pub fn parse(file: &str, bytes: &[u8]) -> Result<Request, Vec<InputError>> {
        let request: Request = read_json(file, bytes).map_err(|e| vec![e])?;
        let arrays = arrays_for_objects(file, bytes);
        if !arrays.is_empty() {
            return Err(arrays);
        }
        let problems = request.check(file);
        if problems.is_empty() {
            Ok(request)
        } else {
            Err(problems)
        }
    }

    /// The checks serde cannot express, one error per problem.
    pub fn check(&self, file: &str) -> Vec<InputError> {
        let mut problems = Vec::new();
        let mut problem =
            |path: &str, message: String| problems.push(InputError::new(file, path, message));
        if self.schema != SCHEMA {
            problem(
                "$.schema",
                format!("unknown schema \"{}\", expected \"{SCHEMA}\"", self.schema),
            );
        }
        let len = self.reference.chars().count();
        if !(1..=128).contains(&len) {
            problem("$.reference", format!("reference has {len} characters, expected 1 to 128"));
        }
        if !is_country(&self.requesting.state) {
            problem(
                "$.requesting.state",
                format!(
                    "invalid country code \"{}\", expected ISO 3166-1 alpha-2 in upper case",
                    self.requesting.state
                ),
            );
        }
        if !is_country(&self.requested_state) {
            problem(
                "$.requested_state",
                format!(
                    "invalid country code \"{}\", expected ISO 3166-1 alpha-2 in upper case",
                    self.requested_state
                ),
            );
        }
        if self.offences.is_empty() {
            problem("$.offences", "no offences, expected at least one".to_owned());
        }
        problems
    }

    /// Whether the requesting authority's identity was verified at intake.
    pub fn authenticated(&self) -> bool {
        self.intake.is_some_and(|i| i.authenticated)
    }
}

/// Where the format has objects, as (JSON pointer, JSON path); `*` stands for every item of an array.
const OBJECTS: &[(&str, &str)] = &[
    ("", "$"),
    ("/requesting", "$.requesting"),
    ("/legal_basis", "$.legal_basis"),
    ("/data", "$.data"),
    ("/data/period", "$.data.period"),
    ("/data/identifiers/*", "$.data.identifiers"),
    ("/offences/*", "$.offences"),
    ("/emergency", "$.emergency"),
    ("/authorization", "$.authorization"),
    ("/assurances", "$.assurances"),
    ("/intake", "$.intake"),
    ("/review", "$.review"),
];

/// Serde also reads a struct from an array of its fields in order (`"emergency": [null, null]`), which the
/// format does not allow: one error for each array where the format has an object.
fn arrays_for_objects(file: &str, bytes: &[u8]) -> Vec<InputError> {
    if !may_hold_arrays_for_objects(bytes) {
        return Vec::new();
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else { return Vec::new() };
    let mut problems = Vec::new();
    for (pointer, path) in OBJECTS {
        let found: Vec<(String, &serde_json::Value)> = match pointer.strip_suffix("/*") {
            Some(list) => value
                .pointer(list)
                .and_then(serde_json::Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
                .map(|(i, item)| (format!("{path}[{i}]"), item))
                .collect(),
            None => value.pointer(pointer).map(|v| ((*path).to_owned(), v)).into_iter().collect(),
        };
        for (at, _) in found.into_iter().filter(|(_, v)| v.is_array()) {
            problems.push(InputError::new(file, at, "expected an object, not an array".to_owned()));
        }
    }
    problems
}

/// A cheap pre-check for [`arrays_for_objects`], so a well-formed request is not parsed twice: an array can only
/// stand where the format has an object if some `[` opens the document, follows another `[` or a `,` (an array
/// inside the `identifiers` or `offences` lists; the format has no arrays of arrays), or follows the key of an
/// object member. A `[` inside a string may say yes wrongly; then the exact check runs. It never says no wrongly.
fn may_hold_arrays_for_objects(bytes: &[u8]) -> bool {
    const OBJECT_KEYS: &[&[u8]] = &[
        b"requesting",
        b"legal_basis",
        b"data",
        b"period",
        b"emergency",
        b"authorization",
        b"assurances",
        b"intake",
        b"review",
    ];
    let before =
        |end: usize| bytes.get(..end).unwrap_or(&[]).iter().rposition(|b| !b.is_ascii_whitespace());
    for (at, _) in bytes.iter().enumerate().filter(|(_, b)| **b == b'[') {
        let Some(prev) = before(at) else { return true };
        match bytes.get(prev) {
            Some(b'[' | b',') => return true,
            Some(b':') => {
                let Some(close) = before(prev) else { return true };
                if bytes.get(close) != Some(&b'"') {
                    return true;
                }
                let key = bytes.get(..close).unwrap_or(&[]);
                let quoted = |k: &&[u8]| {
                    key.ends_with(k)
                        && key.len().checked_sub(k.len() + 1).and_then(|i| key.get(i))
                            == Some(&b'"')
                };
                if OBJECT_KEYS.iter().any(quoted) {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// Whether `code` has the shape of an ISO 3166-1 alpha-2 code (two ASCII upper-case letters).
pub fn is_country(code: &str) -> bool {
    code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase())
}

#[cfg(test)]
mod array_check {
    use super::may_hold_arrays_for_objects as may;

    /// The pre-check says yes wherever the exact check can find an array for an object, and no for a
    /// well-formed request, so well-formed requests are parsed once.
    #[test]
    fn the_pre_check_never_misses_an_array_where_an_object_belongs() {
        let good = br#"{"requesting":{"state":"BR"},"data":{"categories":["subscriber", "traffic"],"identifiers":[{"type":"ip","value":"1"}],"period":{"from":"2026-01-01"}},"offences":[{"ref":"A"}, {"ref":"B"}],"facts":"no brackets"}"#;
        assert!(!may(good));
        for bad in [
            &br#"[1, 2]"#[..],
            br#" [ {"a":1} ]"#,
            br#"{"emergency": [null, null]}"#,
            br#"{"data":{"period" :[ "2026-01-01", "2026-02-01"]}}"#,
            br#"{"offences":[[ "A", "x" ]]}"#,
            br#"{"data":{"identifiers":[{"type":"ip","value":"1"}, ["ip", "2"]]}}"#,
            br#"{"requesting": ["BR", "x", "court"]}"#,
        ] {
            assert!(may(bad), "{}", String::from_utf8_lossy(bad));
        }
        // A bracket in free text may say yes (the exact check then finds nothing), never no.
        assert!(may(br#"{"facts":"see, [annex 2]","categories":["content"]}"#));
    }
}

#[cfg(test)]
mod whole_days {
    use super::Assurances;

    fn days(text: &str) -> Result<Option<u64>, String> {
        let json = format!(r#"{{"use_limited_to_proceedings":true,"retention_days":{text}}}"#);
        serde_json::from_str::<Assurances>(&json)
            .map(|a| a.retention_days)
            .map_err(|e| e.to_string())
    }

    /// JSON Schema's integer is any number with no fraction, so a whole number written with a decimal point
    /// or an exponent is read as that number, up to 2^53 where floats stop being exact; the float must be
    /// parsed correctly rounded (schemathesis once sent `2251799813685247.0`, which a fast parse reads as
    /// `2251799813685247.25`).
    #[test]
    fn whole_numbers_written_as_floats_are_read_exactly() {
        for (text, want) in [
            ("30", 30),
            ("30.0", 30),
            ("3e1", 30),
            ("0.0", 0),
            ("2251799813685247.0", 2_251_799_813_685_247),
            ("4503599627370495.0", 4_503_599_627_370_495),
            ("9007199254740992.0", 9_007_199_254_740_992),
            ("18446744073709551615", u64::MAX),
        ] {
            assert_eq!(days(text), Ok(Some(want)), "{text}");
        }
        assert_eq!(days("null"), Ok(None));
        for bad in ["30.5", "-1", "-1.0", "1e300", "2251799813685247.25", "\"30\""] {
            assert!(days(bad).is_err(), "{bad} read as {:?}", days(bad));
        }
    }
}
