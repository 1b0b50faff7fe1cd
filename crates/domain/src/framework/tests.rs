//! Unit tests of the framework reader: the example parses, and each documented error names its line and field.

use super::Framework;
use crate::vocab::{InstrumentStatus, ReservationTopic};

const GOOD: &str = r#"schema = "rightsgate/framework/v1"
state = "XB"
as_of = "2026-11-01"

[[reservations]]
instrument = "reservation"
article = "42"
topic = "preservation_dual_criminality"
status = "planned"
summary = "Preservation may be refused where dual criminality would fail."

[notifications]
central_authority = { status = "deposited", body = "Ministry of Justice" }

[domestic_law]
status = "in_force"
refusal_grounds = ["persecution"]
effective_remedy = true
user_notification = "after_the_fact"
no_backdoor_mandate = true
no_general_retention = true
"#;

/// Parses `GOOD` with `from` replaced by `to` and checks the rendered errors contain `expect` ("ok" when valid).
fn check(from: &str, to: &str, expect: &str) {
    assert!(GOOD.contains(from), "fixture lacks {from:?}");
    let text = GOOD.replacen(from, to, 1);
    let got = match Framework::parse("XB.toml", &text) {
        Ok(_) => "ok".to_owned(),
        Err(errors) => errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"),
    };
    assert!(got.contains(expect), "expected {expect:?} in:\n{got}");
}

#[test]
fn a_good_framework_is_read() {
    check("", "", "ok");
    let framework = Framework::parse("XB.toml", GOOD).unwrap();
    let found = framework.on(ReservationTopic::PreservationDualCriminality);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].status, InstrumentStatus::Planned);
    assert!(framework.oversight.is_none());
}

#[test]
fn the_shipped_example_is_read() {
    let text = include_str!("../../../../frameworks/DE.toml");
    let framework = Framework::parse("frameworks/DE.toml", text).unwrap();
    assert_eq!(framework.state, "DE");
    // Germany has deposited nothing under the Convention: the example must not say otherwise.
    assert!(framework.reservations.iter().all(|r| r.status == InstrumentStatus::Planned));
}

#[test]
fn unknown_field_names_line_and_field() {
    check(
        "effective_remedy = true",
        "effective_remedy = true\nremedies = true",
        "XB.toml: line 19: domestic_law.remedies: unknown field \"remedies\"",
    );
}

#[test]
fn wrong_type_names_line_and_field() {
    check(
        "effective_remedy = true",
        "effective_remedy = \"yes\"",
        "XB.toml: line 18: domestic_law.effective_remedy: invalid type: string \"yes\", expected a boolean",
    );
}

#[test]
fn unknown_enum_value_lists_the_expected_ones() {
    check(
        "status = \"planned\"",
        "status = \"ratified\"",
        "XB.toml: line 9: reservations[0].status: unknown status \"ratified\", expected planned or deposited",
    );
    check(
        "topic = \"preservation_dual_criminality\"",
        "topic = \"preservation\"",
        "unknown topic \"preservation\"",
    );
}

#[test]
fn wrong_schema() {
    check(
        "rightsgate/framework/v1",
        "rightsgate/framework/v2",
        "XB.toml: line 1: schema: unknown schema \"rightsgate/framework/v2\", expected \"rightsgate/framework/v1\"",
    );
}

#[test]
fn missing_required_field() {
    check("as_of = \"2026-11-01\"\n", "", "missing required field \"as_of\"");
}

#[test]
fn invalid_article_and_country() {
    check(
        "article = \"42\"",
        "article = \"42(4)\"",
        "reservations[0].article: invalid article \"42(4)\"",
    );
    check("state = \"XB\"", "state = \"xb\"", "line 2: state: invalid country code \"xb\"");
}
