//! Properties of the readers and of `screen`: no input panics, screening is deterministic, and adding a
//! violated safeguard never improves the outcome.

use std::path::Path;

use domain::request::{
    Assurances, Authorization, Data, Emergency, Identifier, Intake, LegalBasis, OffenceRef, Period,
    Requesting, Review,
};
use domain::vocab::{
    AuthorityType, AuthorizationKind, Category, Channel, IdentifierType, Instrument, Measure,
    Outcome, Profile, Threat, Urgency,
};
use domain::{Day, LawPack, Policy, Request};
use proptest::prelude::*;
use proptest::sample::select;
use rules::{from_sources, screen, Context, Source};

fn ctx() -> &'static Context {
    static CTX: std::sync::OnceLock<Context> = std::sync::OnceLock::new();
    CTX.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(root.join("lawpacks"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| {
                (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap())
            })
            .collect();
        files.sort();
        let sources: Vec<Source<'_>> =
            files.iter().map(|(n, b)| Source { name: n, bytes: b }).collect();
        let policy = std::fs::read(root.join("policies/default.toml")).unwrap();
        from_sources(Source { name: "default.toml", bytes: &policy }, &sources).unwrap()
    })
}

const REFS: &[&str] = &[
    "CP171-2A",
    "CP138",
    "18USC1030A2",
    "18USC1030A5",
    "18USC1201",
    "18USC1343",
    "18USC2252",
    "PC117",
    "PC290",
    "PC251",
    "CC207.3",
    "CC275",
    "CC112",
    "AHA2023S2",
    "STGB263A",
    "NOPE",
];

fn day() -> impl Strategy<Value = Day> {
    (2020i32..2028, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| Day::from_ymd(y, m, d).unwrap())
}

fn request() -> impl Strategy<Value = Request> {
    let head = (
        select(vec!["BR", "US", "VN", "RU", "TH", "UG", "DE", "XX"]),
        select(Instrument::ALL.to_vec()),
        select(Measure::ALL.to_vec()),
        proptest::collection::vec(select(Category::ALL.to_vec()), 0..4),
        0usize..14,
        proptest::option::of((day(), day())),
        proptest::collection::vec(select(REFS.to_vec()), 1..4),
        "[ -~]{0,120}|Protest.*|.*journalist.*",
    );
    let tail = (
        select(Urgency::ALL.to_vec()),
        proptest::option::of((
            proptest::option::of(select(Threat::ALL.to_vec())),
            proptest::option::of("[ a-z]{0,20}"),
        )),
        select(AuthorizationKind::ALL.to_vec()),
        any::<(bool, bool, bool, bool)>(),
        proptest::option::of(0u64..2000),
        proptest::collection::vec(select(Profile::ALL.to_vec()), 0..2),
        any::<(bool, bool)>(),
    );
    (head, tail).prop_map(|(h, t)| {
        let (state, instrument, measure, categories, n_ids, period, refs, facts) = h;
        let (
            urgency,
            emergency,
            kind,
            (independent, use_limited, no_dp, authenticated),
            retention,
            profiles,
            (fj, peer),
        ) = t;
        Request {
            schema: domain::request::SCHEMA.to_owned(),
            reference: "PROP".to_owned(),
            received: time::OffsetDateTime::UNIX_EPOCH,
            channel: Channel::CentralAuthority,
            requesting: Requesting {
                state: state.to_owned(),
                authority: "a".to_owned(),
                authority_type: AuthorityType::Prosecutor,
            },
            requested_state: "DE".to_owned(),
            legal_basis: LegalBasis { instrument },
            measure,
            data: Data {
                categories,
                identifiers: (0..n_ids)
                    .map(|i| Identifier { kind: IdentifierType::Account, value: i.to_string() })
                    .collect(),
                period: period.map(|(from, to)| Period { from, to }),
            },
            offences: refs
                .into_iter()
                .map(|r| OffenceRef { reference: r.to_owned(), description: String::new() })
                .collect(),
            facts,
            urgency,
            emergency: emergency.map(|(threat, explanation)| Emergency { threat, explanation }),
            authorization: Authorization { kind, independent, authority: None },
            assurances: Assurances {
                use_limited_to_proceedings: use_limited,
                no_death_penalty: no_dp,
                retention_days: retention,
            },
            intake: Some(Intake { authenticated }),
            review: Some(Review {
                profiles,
                final_judgment_in_requested_state: fj,
                consensual_peer_conduct: peer,
            }),
        }
    })
}

/// Lower is worse for the requester: refuse < request_information < human_review < approve_in_part < approve.
fn rank(o: Outcome) -> usize {
    Outcome::ALL.iter().position(|x| *x == o).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_the_readers(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = Request::parse("fuzz.json", &bytes);
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let _ = LawPack::parse("fuzz.toml", text);
            let _ = Policy::parse("fuzz.toml", text);
        }
    }

    #[test]
    fn arbitrary_json_never_panics(value in arbitrary_json()) {
        let bytes = serde_json::to_vec(&value).unwrap();
        if let Ok(request) = Request::parse("fuzz.json", &bytes) {
            let _ = screen(&request, "00", ctx());
        }
    }

    #[test]
    fn arbitrary_toml_never_panics(text in "[a-z_\\[\\]=\" 0-9.\n-]{0,300}") {
        let _ = LawPack::parse("fuzz.toml", &text);
        let _ = Policy::parse("fuzz.toml", &text);
    }

    #[test]
    fn screening_is_total_and_deterministic(request in request()) {
        let first = screen(&request, "00", ctx());
        let second = screen(&request, "00", ctx());
        prop_assert_eq!(&first, &second);
        match first {
            Ok(decision) => {
                let a = serde_json::to_vec(&decision).unwrap();
                let b = serde_json::to_vec(&second.unwrap()).unwrap();
                prop_assert_eq!(a, b);
                let ids: Vec<&str> = decision.findings.iter().map(|f| &*f.rule).collect();
                let mut sorted = ids.clone();
                sorted.sort();
                sorted.dedup();
                prop_assert_eq!(ids, sorted, "findings are ordered by rule id, one per rule");
                if decision.outcome == Outcome::Refuse {
                    prop_assert!(decision.granted.is_empty() && decision.conditions.is_empty());
                }
            }
            Err(e) => prop_assert!(request.requesting.state == "XX", "unexpected error {}", e),
        }
    }

    #[test]
    fn a_violated_safeguard_never_improves_the_outcome(request in request(), which in 0usize..5) {
        let Ok(before) = screen(&request, "00", ctx()) else { return Ok(()) };
        let mut worse = request;
        match which {
            0 => worse.intake = Some(Intake { authenticated: false }),
            1 => worse.review.get_or_insert_with(Review::default).final_judgment_in_requested_state = true,
            2 => worse.offences.push(OffenceRef { reference: "PC117".into(), description: String::new() }),
            3 => worse.assurances.use_limited_to_proceedings = false,
            _ => worse.review.get_or_insert_with(Review::default).profiles.push(Profile::Journalist),
        }
        if which == 2 && worse.requesting.state != "VN" {
            return Ok(());
        }
        let after = screen(&worse, "00", ctx()).unwrap();
        prop_assert!(rank(after.outcome) <= rank(before.outcome), "{:?} -> {:?}", before.outcome, after.outcome);
    }
}

fn arbitrary_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        "[a-z_]{0,12}".prop_map(serde_json::Value::from),
        select(vec![
            "rightsgate/request/v1",
            "DE",
            "BR",
            "uncc",
            "stored_data",
            "2026-01-01",
            "subscriber"
        ])
        .prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            proptest::collection::btree_map(
                select(vec![
                    "schema",
                    "reference",
                    "received",
                    "channel",
                    "requesting",
                    "state",
                    "data",
                    "categories",
                    "offences",
                    "measure",
                    "facts",
                    "period",
                    "from",
                    "to",
                    "x",
                ])
                .prop_map(str::to_owned),
                inner,
                0..8
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The terms a naive reading of rules.md finds: lower-case both, and accept a match at the start of the text
/// or after a character that is not a letter or digit.
fn naive_terms(policy: &Policy, facts: &str) -> Vec<String> {
    let lower = facts.to_lowercase();
    let mut found: Vec<String> = Vec::new();
    for term in &policy.screening_terms {
        let t = term.trim().to_lowercase();
        let hit = lower.char_indices().any(|(p, _)| {
            lower[p..].starts_with(&t)
                && lower[..p].chars().next_back().is_none_or(|c| !c.is_alphanumeric())
        });
        if hit && !found.contains(&term.trim().to_owned()) {
            found.push(term.trim().to_owned());
        }
    }
    found
}

fn facts_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        select(vec![
            "protest",
            "Protesters",
            "counterprotest",
            "consultant",
            "insult",
            "INSULT",
            "human rights",
            "human  rights",
            "journalist",
            "ex-journalist",
            "blogger",
            "xblogger",
            "1blogger",
            "éblogger",
            "Blasphemy",
            "same-sex",
            "Fake News",
            "rumour",
            "İnsult",
            "ßatire",
            "satire",
            "Ωpetition",
            "petition",
            "…petition",
            "_activist",
        ])
        .prop_map(str::to_owned),
        "[ ,.;:!?\\-_/()0-9a-zA-ZéÉßİΩ…\u{3000}]{0,6}",
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn screening_terms_match_exactly_at_word_starts(facts in facts_text()) {
        let text = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/cases/001-fraud-approve.json")).unwrap();
        let case: serde_json::Value = serde_json::from_slice(&text).unwrap();
        let mut request: Request = serde_json::from_value(case["request"].clone()).unwrap();
        request.facts = facts.clone();
        let decision = screen(&request, "00", ctx()).unwrap();
        let got: Vec<String> = decision
            .findings
            .iter()
            .find(|f| f.rule == "persecution-risk")
            .map(|f| serde_json::from_value(f.facts["terms"].clone()).unwrap())
            .unwrap_or_default();
        prop_assert_eq!(got, naive_terms(ctx().policy(), &facts), "facts: {:?}", facts);
    }
}
