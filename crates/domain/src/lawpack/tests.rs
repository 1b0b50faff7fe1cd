//! Unit tests of the law-pack reader: each documented error, through one `check` helper.

use super::LawPack;

const GOOD: &str = r#"
schema = "rightsgate/lawpack/v1"
code = "XB"
name = "Borduria"
as_of = "2026-11-01"

[treaties]
uncc = { status = "party", reservations = ["46"] }

[rights]
death_penalty = "retained"
convention_108_plus = false
independent_dpa = false
internet_freedom = "not_free"

[[offences]]
id = "PC117"
citation = "Penal Code 2015, Art. 117"
title = "Spreading information against the State"
max_years = 20
iccs = ["080329"]
protected = ["expression"]
"#;

/// Parses `GOOD` with `from` replaced by `to` and returns the rendered errors joined by newlines ("ok" when valid).
fn check(from: &str, to: &str, expect: &str) {
    assert!(GOOD.contains(from), "fixture lacks {from:?}");
    let text = GOOD.replacen(from, to, 1);
    let got = match LawPack::parse("XB.toml", &text) {
        Ok(_) => "ok".to_owned(),
        Err(errors) => errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"),
    };
    assert!(got.contains(expect), "expected {expect:?} in:\n{got}");
}

#[test]
fn a_good_pack_is_read() {
    check("", "", "ok");
}

#[test]
fn unknown_iccs_code() {
    check(
        r#"iccs = ["080329"]"#,
        r#"iccs = ["999999"]"#,
        "XB.toml: line 17: offence PC117: iccs[0]: unknown ICCS code \"999999\"",
    );
}

#[test]
fn duplicate_offence_id() {
    let text = format!("{GOOD}\n[[offences]]\nid = \"PC117\"\ncitation = \"c\"\ntitle = \"t\"\nmax_years = 1\niccs = [\"0701\"]\n");
    let errors = LawPack::parse("XB.toml", &text).unwrap_err();
    assert!(
        errors.iter().any(|e| e.message.contains("duplicate offence id \"PC117\"")),
        "{errors:?}"
    );
}

#[test]
fn unknown_protected_tag() {
    check(
        r#"protected = ["expression"]"#,
        r#"protected = ["speech"]"#,
        "unknown protected activity \"speech\"",
    );
}

#[test]
fn negative_penalty() {
    check("max_years = 20", "max_years = -1", "max_years: -1 is not allowed");
}

#[test]
fn missing_penalty_without_life_or_death() {
    check("max_years = 20\n", "", "max_years: missing");
    check("max_years = 20\n", "life = true\n", "ok");
}

#[test]
fn wrong_types() {
    check(
        "max_years = 20",
        "max_years = \"twenty\"",
        "line 20: offences[0].max_years: invalid type: string \"twenty\", expected a number",
    );
    check("convention_108_plus = false", "convention_108_plus = \"no\"", "invalid type");
}

#[test]
fn unknown_field() {
    check("max_years = 20", "max_years = 20\nmax_yaers = 3", "unknown field \"max_yaers\"");
}

#[test]
fn uncc_article_out_of_range() {
    check(
        "max_years = 20",
        "max_years = 20\nuncc_article = 18",
        "uncc_article: 18 is out of range",
    );
}

#[test]
fn unknown_schema_and_enum() {
    check("lawpack/v1", "lawpack/v2", "unknown schema");
    check("\"not_free\"", "\"unfree\"", "unknown internet freedom rating \"unfree\"");
}

#[test]
fn source_urls_must_be_absolute_http_urls_with_a_host_name() {
    use super::provenance::url_problem;
    assert_eq!(url_problem("https://www.legislation.gov.uk/ukpga/1990/18/section/1"), None);
    assert_eq!(url_problem("http://example.org"), None);
    assert!(url_problem("https://samaa.tv./story").is_some_and(|p| p.contains("no host name")));
    assert!(url_problem("www.example.org/page").is_some_and(|p| p.contains("not a URL")));
    assert!(url_problem("ftp://example.org/file").is_some_and(|p| p.contains("scheme \"ftp\"")));
    assert!(url_problem("https://localhost/x").is_some_and(|p| p.contains("no host name")));
    assert!(url_problem("https://example.org/a b").is_some_and(|p| p.contains("white space")));
}

#[test]
fn a_fact_takes_the_best_tier_and_the_latest_date_of_its_verified_sources() {
    use super::provenance::{provenance, Provenance, Tier, Verified};
    let day = |s: &str| crate::Day::parse(s).expect("a date");
    let source = |tier, on: &str| Verified {
        url: "https://example.org".into(),
        tier,
        verified_on: day(on),
        facts: vec![],
    };
    let sources = [source(Tier::Secondary, "2026-12-01"), source(Tier::Official, "2025-01-01")];
    assert_eq!(
        provenance(&sources),
        Some(Provenance { tier: Tier::Official, verified_on: day("2026-12-01") })
    );
    assert_eq!(provenance(&[]), None);
}
