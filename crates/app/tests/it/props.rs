//! Verification of an untrusted report never panics or overflows: proptest over reports with one or more
//! fields replaced by arbitrary JSON (wrong types, negative, huge and tiny numbers) or removed, and over the
//! numeric header fields across their whole range.

use app::report::verify::{compare, read_header};
use app::report::{self, Control};
use domain::stats::{DaysToDecision, Period, Report, Table, OUTCOMES};
use domain::Day;
use ledger::{Checkpoint, Frontier};
use proptest::prelude::*;
use serde_json::{json, Value};

fn stats() -> Report {
    let period =
        Period::new(Day::parse("2026-01-01").unwrap(), Day::parse("2026-06-30").unwrap()).unwrap();
    let outcome_columns: Vec<String> = OUTCOMES.iter().map(|s| (*s).to_owned()).collect();
    Report {
        period,
        tables: vec![
            Table {
                id: "totals",
                title: "Requests received and their outcomes",
                rows: vec!["all".to_owned()],
                columns: outcome_columns.clone(),
                counts: vec![vec![12, 3, 40, 0, 9]],
                row_total: Some("received"),
                column_totals: false,
            },
            Table {
                id: "requesting_state",
                title: "By requesting state",
                rows: vec!["BR".to_owned(), "DE".to_owned(), "FR".to_owned()],
                columns: outcome_columns,
                counts: vec![vec![2, 0, 1, 0, 0], vec![10, 3, 30, 0, 9], vec![0, 0, 9, 0, 0]],
                row_total: Some("received"),
                column_totals: true,
            },
        ],
        identifiers: 130,
        days: DaysToDecision::from_histogram(vec![(1, 20), (30, 35)]),
    }
}

/// A published, unsigned document of [`stats`], with or without noise.
fn doc(epsilon: Option<f64>) -> Value {
    use rand::SeedableRng as _;
    let stats = stats();
    let mut rng = report::Rng(rand::rngs::StdRng::seed_from_u64(1));
    let published = report::publish(&stats, Control::new(5, epsilon).unwrap(), Some(&mut rng));
    let checkpoint = Checkpoint::new("example.org/log", Frontier::new().root()).unwrap();
    report::document(stats.period, &checkpoint, &checkpoint.body(), None, published)
}

/// Every JSON pointer in `v`, the root included.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                pointers(child, format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                pointers(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop_oneof![Just(1e-300), Just(-0.0), Just(f64::MIN_POSITIVE), Just(1e308), Just(5e-324)]
            .prop_map(Value::from),
        "[a-z0-9_ /\n-]{0,12}".prop_map(Value::from),
        prop_oneof![
            Just("rightsgate/report/v1"),
            Just("2026-01-01"),
            Just("9999-12-31"),
            Just("example.org/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Replaces (or, for `None`, removes) the value at the `pick`-th pointer of `doc`.
fn mutate(doc: &mut Value, pick: usize, value: Option<Value>) {
    let mut all = Vec::new();
    pointers(doc, String::new(), &mut all);
    let pointer = &all[pick % all.len()];
    match (pointer.rsplit_once('/'), value) {
        (None, Some(v)) => *doc = v,
        (None, None) => *doc = Value::Null,
        (Some((parent, key)), value) => {
            let key = key.replace("~1", "/").replace("~0", "~");
            match (doc.pointer_mut(parent), value) {
                (Some(Value::Object(map)), Some(v)) => {
                    map.insert(key, v);
                }
                (Some(Value::Object(map)), None) => {
                    map.remove(&key);
                }
                (Some(Value::Array(items)), v) => {
                    let i: usize = key.parse().unwrap();
                    match v {
                        Some(v) => items[i] = v,
                        None => {
                            items.remove(i);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// Reads and compares; must return, never panic.
fn run(doc: &Value) {
    if let Ok(header) = read_header(doc, None) {
        let _ = compare(doc, &header, &stats());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn verifying_a_mutated_report_never_panics(
        noisy in any::<bool>(),
        edits in prop::collection::vec((any::<usize>(), prop::option::weighted(0.9, any_json())), 1..4),
    ) {
        let mut doc = doc(noisy.then_some(0.5));
        for (pick, value) in edits {
            mutate(&mut doc, pick, value);
        }
        run(&doc);
    }

    #[test]
    fn header_numbers_across_their_range_never_panic(
        k in prop_oneof![any::<u64>().prop_map(Value::from), any::<f64>().prop_map(Value::from), any::<i64>().prop_map(Value::from)],
        epsilon in prop_oneof![
            Just(Value::Null),
            any::<f64>().prop_map(Value::from),
            (1e-7f64..1e7).prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
        ],
        size in prop_oneof![any::<u64>().prop_map(Value::from), any::<f64>().prop_map(Value::from)],
        count in any::<u64>(),
    ) {
        for noisy in [false, true] {
            let mut doc = doc(noisy.then_some(0.5));
            doc["disclosure_control"]["k"] = k.clone();
            doc["disclosure_control"]["epsilon"] = epsilon.clone();
            doc["tables"][1]["rows"][1]["values"][2] = json!(count);
            run(&doc);
            doc["checkpoint"]["tree_size"] = size.clone();
            run(&doc);
        }
    }
}

#[test]
fn an_unchanged_report_verifies_with_and_without_noise() {
    for epsilon in [None, Some(0.5)] {
        let doc = doc(epsilon);
        let header = read_header(&doc, None).unwrap();
        compare(&doc, &header, &stats()).unwrap();
    }
}
