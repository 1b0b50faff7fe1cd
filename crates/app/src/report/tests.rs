//! Unit tests of the pure parts: the disclosure control, the document, reading it back, the renderings, and
//! verification of untrusted reports (every bad field named, never an overflow).

use domain::stats::{DaysToDecision, Period, Report, Table, OUTCOMES};
use domain::Day;
use ledger::{Checkpoint, Frontier};
use serde_json::{json, Value};

use super::verify::{compare, read_header};
use super::*;

fn day(text: &str) -> Day {
    Day::parse(text).unwrap()
}

/// One totals row (approved, in part, refused, withdrawn, pending), `identifiers` and `decided` cases all
/// decided after 2 days.
fn report(totals: [u64; 5], identifiers: u64, decided: u64) -> Report {
    let period = Period::new(day("2026-01-01"), day("2026-06-30")).unwrap();
    Report {
        period,
        tables: vec![Table {
            id: "totals",
            title: "Requests received and their outcomes",
            rows: vec!["all".to_owned()],
            columns: OUTCOMES.iter().map(|s| (*s).to_owned()).collect(),
            counts: vec![totals.to_vec()],
            row_total: Some("received"),
            column_totals: false,
        }],
        identifiers,
        days: DaysToDecision::from_histogram(if decided == 0 {
            vec![]
        } else {
            vec![(2, decided)]
        }),
    }
}

fn doc_of(report: &Report, control: Control, seed: Option<u64>) -> Value {
    use rand::SeedableRng as _;
    let published = match seed {
        Some(s) => {
            let mut rng = Rng(rand::rngs::StdRng::seed_from_u64(s));
            publish(report, control, Some(&mut rng))
        }
        None => publish(report, control, None),
    };
    let checkpoint = Checkpoint::new("example.org/log", Frontier::new().root()).unwrap();
    document(report.period, &checkpoint, &checkpoint.body(), None, published)
}

#[test]
fn control_accepts_only_meaningful_parameters() {
    fn check(k: u64, epsilon: Option<f64>, expect: Result<(), &str>) {
        let got = Control::new(k, epsilon).map(|_| ()).map_err(|e| e.to_string());
        assert_eq!(got, expect.map_err(str::to_owned), "k {k}, ε {epsilon:?}");
    }
    check(5, None, Ok(()));
    check(1, Some(1e-6), Ok(()));
    check(MAX_K, Some(1e6), Ok(()));
    check(0, None, Err("must be an integer from 1 to 1000000, got `0`"));
    check(MAX_K + 1, None, Err("must be an integer from 1 to 1000000, got `1000001`"));
    check(5, Some(0.0), Err("must be a number from 1e-6 to 1e6, got `0.0`"));
    check(5, Some(-1.0), Err("must be a number from 1e-6 to 1e6, got `-1.0`"));
    check(5, Some(1e-300), Err("must be a number from 1e-6 to 1e6, got `1e-300`"));
    check(5, Some(f64::NAN), Err("must be a number from 1e-6 to 1e6, got `NaN`"));
    check(5, Some(f64::INFINITY), Err("must be a number from 1e-6 to 1e6, got `inf`"));
}

#[test]
fn publish_withholds_every_count_from_1_to_k_minus_1() {
    fn check(totals: [u64; 5], identifiers: u64, decided: u64, k: u64, expect: &Value) {
        let doc =
            publish(&report(totals, identifiers, decided), Control::new(k, None).unwrap(), None);
        let got = json!({
            "totals": doc["totals"],
            "identifiers": doc["identifiers_affected"],
            "days": doc["days_to_decision"],
            "suppressed": doc["suppressed"].as_array().unwrap().len(),
        });
        assert_eq!(&got, expect, "{totals:?} k {k}");
    }
    // One approval is small; the smallest other cell (the first zero) complements it.
    check(
        [1, 0, 10, 0, 7],
        3,
        1,
        5,
        &json!({
            "totals": {"approved": null, "approved_in_part": null, "refused": 10, "withdrawn": 0, "pending": 7, "received": 18},
            "identifiers": null,
            "days": {"decided": null, "median": null, "p90": null},
            "suppressed": 2,
        }),
    );
    check(
        [10, 0, 10, 0, 0],
        0,
        20,
        5,
        &json!({
            "totals": {"approved": 10, "approved_in_part": 0, "refused": 10, "withdrawn": 0, "pending": 0, "received": 20},
            "identifiers": 0,
            "days": {"decided": 20, "median": 2, "p90": 2},
            "suppressed": 0,
        }),
    );
    // k = 1 withholds nothing.
    check(
        [1, 0, 0, 0, 0],
        3,
        1,
        1,
        &json!({
            "totals": {"approved": 1, "approved_in_part": 0, "refused": 0, "withdrawn": 0, "pending": 0, "received": 1},
            "identifiers": 3,
            "days": {"decided": 1, "median": 2, "p90": 2},
            "suppressed": 0,
        }),
    );
}

#[test]
fn tables_read_back_counts_and_withheld_markers() {
    let doc = doc_of(&report([1, 0, 10, 0, 7], 3, 1), Control::exact(), None);
    let read = tables(&doc);
    assert_eq!(read.len(), 1);
    let row = &read[0].rows[0];
    assert_eq!(row.key, "all");
    let shown: Vec<String> = row.cells.iter().map(|c| c.text(5)).collect();
    assert_eq!(shown, ["<5", "x", "10", "0", "7", "18"]);
    assert_eq!(row.cells[0].reason(), Some("small"));
    assert_eq!(row.cells[1].reason(), Some("complementary"));
    assert_eq!(tables(&json!({"tables": 3})), vec![], "a malformed document reads as empty");
}

#[test]
fn csv_and_html_render_the_document() {
    let doc = doc_of(&report([1, 0, 10, 0, 7], 3, 1), Control::exact(), None);
    let files = csv::files(&doc);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["totals.csv", "summary.csv", "checkpoint.txt", "data_dictionary.csv"]);
    assert_eq!(
        files[0].1,
        "totals,measure,count,suppressed\nall,approved,,small\nall,approved_in_part,,complementary\n\
         all,refused,10,\nall,withdrawn,0,\nall,pending,7,\nall,received,18,\n"
    );
    assert!(files[1].1.contains("identifiers_affected,\n"), "withheld: {}", files[1].1);
    assert!(files[1].1.contains("period_from,2026-01-01\n"));
    let html = html::page(&doc);
    assert!(!html.contains("<script"));
    assert!(html.contains("<td>&lt;5</td><td>x</td><td>10</td>"));
    assert!(html.contains("Identifiers (accounts) affected: withheld"));
}

/// A report of known numbers, then one field of it replaced (`None` removes it).
fn check_header(pointer: &str, value: Option<Value>, expect: &str, invalid: bool) {
    let mut doc = doc_of(&report([10, 0, 10, 0, 0], 40, 20), Control::exact(), None);
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let target = if parent.is_empty() { &mut doc } else { doc.pointer_mut(parent).unwrap() };
    match value {
        Some(v) => target[key] = v,
        None => {
            target.as_object_mut().unwrap().remove(key);
        }
    }
    let err = read_header(&doc, None).unwrap_err();
    assert_eq!(err.to_string(), expect, "{pointer}");
    assert_eq!(err.is_invalid_input(), invalid, "{pointer}: {err}");
}

#[test]
fn read_header_names_the_first_bad_field() {
    let ok = doc_of(&report([10, 0, 10, 0, 0], 40, 20), Control::exact(), None);
    assert!(read_header(&ok, None).is_ok());
    assert_eq!(
        read_header(&json!([]), None).unwrap_err().to_string(),
        "``: expected a report object, got `[]`"
    );
    check_header("/schema", Some(json!(1)), "`/schema`: expected a string, got `1`", true);
    check_header(
        "/schema",
        Some(json!("x/v9")),
        "`/schema`: expected `rightsgate/report/v1`",
        true,
    );
    check_header("/period/from", None, "`/period/from`: missing", true);
    check_header(
        "/period/to",
        Some(json!("2025-01-01")),
        "`/period`: period from `2026-01-01` to `2025-01-01` ends before it starts",
        true,
    );
    let k = "/disclosure_control/k";
    check_header(
        k,
        Some(json!(0)),
        "`/disclosure_control/k`: must be an integer from 1 to 1000000, got `0`",
        true,
    );
    check_header(
        k,
        Some(json!(u64::MAX)),
        "`/disclosure_control/k`: must be an integer from 1 to 1000000, got `18446744073709551615`",
        true,
    );
    check_header(
        k,
        Some(json!(-5)),
        "`/disclosure_control/k`: expected an integer, got `-5`",
        true,
    );
    check_header(
        k,
        Some(json!(1e300)),
        "`/disclosure_control/k`: expected an integer, got `1e+300`",
        true,
    );
    check_header(
        k,
        Some(json!("5")),
        "`/disclosure_control/k`: expected an integer, got `\"5\"`",
        true,
    );
    let e = "/disclosure_control/epsilon";
    let range = "`/disclosure_control/epsilon`: must be a number from 1e-6 to 1e6";
    check_header(e, Some(json!(0.0)), &format!("{range}, got `0.0`"), true);
    check_header(e, Some(json!(-0.5)), &format!("{range}, got `-0.5`"), true);
    check_header(e, Some(json!(1e300)), &format!("{range}, got `1e300`"), true);
    check_header(e, Some(json!(1e-300)), &format!("{range}, got `1e-300`"), true);
    check_header(
        e,
        Some(json!("NaN")),
        "`/disclosure_control/epsilon`: expected a number or null, got `\"NaN\"`",
        true,
    );
    check_header(e, None, "`/disclosure_control/epsilon`: missing", true);
    check_header(
        "/checkpoint/note",
        Some(json!(5)),
        "`/checkpoint/note`: expected a string, got `5`",
        true,
    );
    check_header(
        "/checkpoint/note",
        Some(json!("no newline")),
        "`/checkpoint/note`: malformed checkpoint: body must end in a newline",
        true,
    );
    check_header(
        "/checkpoint/verifier_key",
        Some(json!("nonsense")),
        "`/checkpoint/verifier_key`: malformed key string: expected `<name>+<hash>+<key>`",
        true,
    );
    check_header(
        "/checkpoint/tree_size",
        Some(json!(u64::MAX)),
        "`/checkpoint/tree_size`: expected an integer from 0 to 9223372036854775807, got `18446744073709551615`",
        true,
    );
    check_header(
        "/checkpoint/tree_size",
        Some(json!(7)),
        "`checkpoint.tree_size` differs from the signed note",
        false,
    );
    check_header(
        "/checkpoint/root_hash",
        Some(json!("00")),
        "`checkpoint.root_hash` differs from the signed note",
        false,
    );
}

#[test]
fn compare_names_the_first_changed_number() {
    let stats = report([10, 0, 10, 0, 0], 40, 20);
    let mut doc = doc_of(&stats, Control::exact(), None);
    let header = read_header(&doc, None).unwrap();
    compare(&doc, &header, &stats).unwrap();
    doc["totals"]["refused"] = json!(9);
    let err = compare(&doc, &header, &stats).unwrap_err();
    assert_eq!(err.to_string(), "`totals.refused`: published `9`, recomputed from the ledger `10`");
    assert!(!err.is_invalid_input());
}

#[test]
fn compare_under_noise_accepts_the_noise_and_names_a_number_beyond_it() {
    fn check(epsilon: f64, tamper: Option<u64>, expect: Result<(), &str>) {
        let stats = report([1000, 0, 500, 0, 20], 40, 20);
        let control = Control::new(5, Some(epsilon)).unwrap();
        let mut doc = doc_of(&stats, control, Some(7));
        if let Some(n) = tamper {
            doc["tables"][0]["rows"][0]["values"][2] = json!(n);
        }
        let header = read_header(&doc, None).unwrap();
        let got = compare(&doc, &header, &stats).map_err(|e| e.to_string());
        assert_eq!(got, expect.map_err(str::to_owned), "ε {epsilon}, tamper {tamper:?}");
    }
    check(1.0, None, Ok(()));
    // The smallest ε accepted: a tolerance of tens of millions per count, and no overflow.
    check(MIN_EPSILON, None, Ok(()));
    check(MIN_EPSILON, Some(u64::MAX), Err("`tables.totals.all.refused`: published `18446744073709551615` is further than the noise bound `128498484` from the ledger's count"));
    // A huge ε adds no noise: a tolerance of one per count.
    check(MAX_EPSILON, None, Ok(()));
    check(MAX_EPSILON, Some(520), Err("`tables.totals.all.refused`: published `520` is further than the noise bound `6` from the ledger's count"));
}
