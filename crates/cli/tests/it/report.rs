//! `rightsgate report` end to end: a SQLite ledger of known cases, the report in all three formats, and
//! `report verify` passing on it and failing when a leaf or a published number is changed.

use std::collections::BTreeMap;

use assert_cmd::Command;
use domain::case::{CaseState, Departure, Resolution};
use domain::leaf::{decided_meta, Leaf};
use serde_json::{json, Value};
use time::macros::datetime;
use time::Duration;

fn rightsgate() -> Command {
    Command::cargo_bin("rightsgate").unwrap()
}

fn object(value: &Value) -> BTreeMap<String, Value> {
    value.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// 40 cases: 30 received in the first half of 2026 (20 from DE, 7 from FR, 3 from BR) and 10 in July.
/// Of the 30: DE cases alternate approved / refused (10 each), FR cases are approved in part, BR cases pending.
fn leaves() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for i in 0..40usize {
        let (state, resolution) = match i {
            0..=19 => {
                ("DE", Some(if i % 2 == 0 { Resolution::Approved } else { Resolution::Refused }))
            }
            20..=26 => ("FR", Some(Resolution::ApprovedInPart)),
            27..=29 => ("BR", None),
            _ => ("DE", Some(Resolution::Approved)),
        };
        let at =
            if i < 30 { datetime!(2026-02-01 10:00 UTC) } else { datetime!(2026-07-02 10:00 UTC) }
                + Duration::days(i as i64 % 30);
        let leaf = |seq, at, event: &str, state, meta| Leaf {
            case: format!("case-{i:03}"),
            seq,
            at,
            event: event.to_owned(),
            state,
            commitment: "00".repeat(32),
            meta,
        };
        let received = object(&json!({
            "requesting_state": state, "requested_state": "NL", "authority_type": "court",
            "channel": "central_authority", "instrument": "uncc", "measure": "stored_data", "uncc_article": "44",
            "categories": ["subscriber"], "identifiers": 2, "offence_sections": ["07"], "urgency": "routine",
            "received_day": domain::Day::from(at.date()).to_string(),
        }));
        out.push(leaf(0, at, "received", CaseState::Received, received).encode());
        let grounds = if resolution == Some(Resolution::Refused) {
            json!(["dual-criminality"])
        } else {
            json!([])
        };
        let screened =
            object(&json!({"outcome": "approve", "rules": [], "refusal_grounds": grounds}));
        out.push(leaf(1, at, "screened", CaseState::Screened, screened).encode());
        if let Some(r) = resolution {
            let departure = if r == Resolution::Approved {
                Departure::None
            } else {
                Departure::MoreRestrictive
            };
            let decided = decided_meta(r, departure, false);
            let event = format!("decided_{}", r.as_str());
            out.push(
                leaf(2, at + Duration::days(3), &event, CaseState::Decided(r), decided).encode(),
            );
        }
    }
    out
}

#[test]
fn reports_in_three_formats_verify_and_tampering_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("ledger.db");
    let db = format!("sqlite://{}?mode=rwc", db_path.display());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = store::Store::connect(&db).await.unwrap();
        store.append_leaves(&leaves()).await.unwrap();
        store.close().await;
    });
    let key = dir.path().join("ledger.key");
    rightsgate()
        .args(["ledger", "keygen", "--origin", "example.org/log", "--out"])
        .arg(&key)
        .assert()
        .success();
    let out = dir.path().join("report");
    rightsgate()
        .args(["report", "--from", "2026-01-01", "--format", "html,csv,json", "--db", &db, "--out"])
        .arg(&out)
        .arg("--key")
        .arg(&key)
        .assert()
        .success();

    let text = std::fs::read_to_string(out.join("report.json")).unwrap();
    let report: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["period"], json!({"from": "2026-01-01", "to": "2026-06-30"}));
    // Approved 10, in part 7, refused 10, withdrawn 0, pending 3 (< 5, so withheld with the zero as complement).
    assert_eq!(report["totals"]["received"], json!(30));
    assert_eq!(report["totals"]["approved_in_part"], json!(7));
    assert_eq!(report["totals"]["approved"], json!(10));
    assert_eq!(report["totals"]["pending"], Value::Null);
    assert_eq!(
        report["totals"]["withdrawn"],
        Value::Null,
        "the smallest other cell complements pending"
    );
    assert_eq!(report["identifiers_affected"], json!(60));
    assert_eq!(report["days_to_decision"], json!({"decided": 27, "median": 3, "p90": 3}));
    assert_eq!(report["checkpoint"]["tree_size"], json!(40 * 3 - 3));
    assert!(report["checkpoint"]["note"].as_str().unwrap().contains("\u{2014} example.org/log "));
    let states = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "requesting_state")
        .unwrap();
    assert_eq!(states["rows"][1], json!({"key": "DE", "values": [10, 0, 10, 0, 0, 20]}));

    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("<svg") && html.contains("Disclosure control") && !html.contains("<script")
    );
    assert!(html.contains("&lt;5"));
    let csv = std::fs::read_to_string(out.join("requesting_state.csv")).unwrap();
    assert!(csv.starts_with("requesting_state,measure,count,suppressed\n"));
    assert!(csv.contains("DE,refused,10,\n"));
    assert!(csv.contains("BR,pending,,small\n"));
    assert!(out.join("data_dictionary.csv").exists() && out.join("checkpoint.txt").exists());

    let report_path = out.join("report.json");
    let verified =
        rightsgate().args(["report", "verify", "--db", &db]).arg(&report_path).assert().success();
    let stdout = String::from_utf8(verified.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("\"ok\":true"), "{stdout}");

    // A changed published number is named.
    let tampered = dir.path().join("tampered.json");
    std::fs::write(&tampered, text.replacen("\"refused\": 10", "\"refused\": 9", 1)).unwrap();
    let failed =
        rightsgate().args(["report", "verify", "--db", &db]).arg(&tampered).assert().code(3);
    let stderr = String::from_utf8(failed.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("`totals.refused`: published `9`, recomputed from the ledger `10`"),
        "{stderr}"
    );

    // A changed leaf no longer hashes to the checkpoint.
    runtime.block_on(async {
        use sqlx::Connection as _;
        let mut raw = sqlx::SqliteConnection::connect(&db).await.unwrap();
        sqlx::query("DROP TRIGGER ledger_leaves_no_update").execute(&mut raw).await.unwrap();
        sqlx::query(
            "UPDATE ledger_leaves SET data = CAST(replace(CAST(data AS TEXT), '\"resolution\":\"refused\"', '\"resolution\":\"approved\"') AS BLOB) WHERE idx = 5",
        )
        .execute(&mut raw)
        .await
        .unwrap();
    });
    let failed =
        rightsgate().args(["report", "verify", "--db", &db]).arg(&report_path).assert().code(3);
    let stderr = String::from_utf8(failed.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("do not hash to the checkpoint's root at tree size `117`"), "{stderr}");
}

/// `report` takes up the tally an earlier report kept and publishes what counting every leaf (`--fresh`)
/// publishes.
#[test]
fn a_report_from_the_kept_tally_is_the_report_of_every_leaf() {
    let dir = tempfile::tempdir().unwrap();
    let db = ledger_db(dir.path());
    let report = |name: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        rightsgate()
            .args(["report", "--from", "2026-01-01", "--format", "json", "--db", &db, "--out"])
            .arg(&out)
            .args(extra)
            .assert()
            .success();
        std::fs::read_to_string(out.join("report.json")).unwrap()
    };
    let first = report("first", &[]);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let kept = |db: &str| {
        runtime.block_on(async {
            let store = store::Store::connect(db).await.unwrap();
            let from = domain::Day::parse("2026-01-01").unwrap();
            let kept = store.kept_tally(from).await.unwrap().map(|k| k.root.size());
            store.append_leaves(&leaves()[..7]).await.unwrap();
            store.close().await;
            kept
        })
    };
    assert_eq!(kept(&db), Some(40 * 3 - 3), "the first report kept its tally");
    let taken_up = report("taken-up", &[]);
    assert_ne!(taken_up, first, "seven more leaves were counted");
    assert_eq!(taken_up, report("fresh", &["--fresh"]));
    assert_eq!(kept(&db), Some(40 * 3 - 3 + 7), "the second report kept the longer tally");
}

/// `report verify --state FILE` keeps the verifier's own tally and, for the next report, reads only the leaves
/// appended since; a ledger changed under what was verified before is named.
#[test]
fn a_verifier_counts_on_from_its_own_state() {
    let dir = tempfile::tempdir().unwrap();
    let db = ledger_db(dir.path());
    let state = dir.path().join("verifier.state");
    let report = |name: &str| {
        let out = dir.path().join(name);
        rightsgate()
            .args(["report", "--from", "2026-01-01", "--format", "json", "--db", &db, "--out"])
            .arg(&out)
            .assert()
            .success();
        out.join("report.json")
    };
    let verify = |path: &std::path::Path| {
        rightsgate()
            .args(["report", "verify", "--db", &db, "--state"])
            .arg(&state)
            .arg(path)
            .assert()
    };
    let output = |a: &assert_cmd::assert::Assert| -> Value {
        serde_json::from_slice(&a.get_output().stdout).unwrap()
    };
    let first = report("first");
    let ok = verify(&first).success();
    assert_eq!(
        (output(&ok)["ok"].clone(), output(&ok)["counted_from"].clone()),
        (json!(true), json!(0))
    );
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = store::Store::connect(&db).await.unwrap();
        store.append_leaves(&leaves()[..7]).await.unwrap();
        store.close().await;
    });
    let second = report("second");
    let ok = verify(&second).success();
    assert_eq!(output(&ok)["counted_from"], json!(40 * 3 - 3));
    assert_eq!(output(&ok)["tree_size"], json!(40 * 3 - 3 + 7));
    // A state that is not a tally is refused, naming the option; the state file is left as it was.
    let garbage = dir.path().join("garbage.state");
    std::fs::write(&garbage, b"\xff\xff").unwrap();
    rightsgate()
        .args(["report", "verify", "--db", &db, "--state"])
        .arg(&garbage)
        .arg(&second)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--state"));
    // The tree rewritten below what was verified (the first 64 leaves' subtree hash replaced, as a ledger
    // rewritten consistently would show): named, and the state is not replaced.
    let before = std::fs::read(&state).unwrap();
    runtime.block_on(async {
        use sqlx::Connection as _;
        let mut raw = sqlx::SqliteConnection::connect(&db).await.unwrap();
        sqlx::query("DROP TRIGGER ledger_nodes_no_update").execute(&mut raw).await.unwrap();
        let rewritten = sqlx::query(
            "UPDATE ledger_nodes SET hash = zeroblob(32) WHERE last_leaf = 63 AND level = 6",
        )
        .execute(&mut raw)
        .await
        .unwrap();
        assert_eq!(rewritten.rows_affected(), 1);
    });
    let failed = verify(&second).code(3);
    assert!(
        output(&failed)["error"]
            .as_str()
            .unwrap()
            .contains("no longer hash to the root verified before"),
        "{}",
        output(&failed)
    );
    assert_eq!(std::fs::read(&state).unwrap(), before);
}

/// A SQLite ledger of [`leaves`] in `dir`; returns its URL.
fn ledger_db(dir: &std::path::Path) -> String {
    let db = format!("sqlite://{}?mode=rwc", dir.join("ledger.db").display());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = store::Store::connect(&db).await.unwrap();
        store.append_leaves(&leaves()).await.unwrap();
        store.close().await;
    });
    db
}

#[test]
fn without_key_the_data_directorys_ledger_key_signs() {
    let dir = tempfile::tempdir().unwrap();
    let db = ledger_db(dir.path());
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let report = |out: &str| {
        rightsgate()
            .env("RIGHTSGATE_DATA_DIR", &data)
            .args(["report", "--from", "2026-01-01", "--format", "json", "--db", &db, "--out"])
            .arg(dir.path().join(out))
            .assert()
            .success();
        let text = std::fs::read_to_string(dir.path().join(out).join("report.json")).unwrap();
        serde_json::from_str::<Value>(&text).unwrap()
    };
    // No key in the data directory: unsigned.
    let unsigned = report("unsigned");
    assert_eq!(unsigned["checkpoint"]["verifier_key"], Value::Null);
    assert_eq!(unsigned["checkpoint"]["origin"], "rightsgate/ledger");
    rightsgate()
        .args(["ledger", "keygen", "--origin", "example.org/log", "--out"])
        .arg(data.join("ledger.key"))
        .assert()
        .success();
    let signed = report("signed");
    assert!(signed["checkpoint"]["verifier_key"].as_str().unwrap().starts_with("example.org/log+"));
    assert!(signed["checkpoint"]["note"].as_str().unwrap().contains("\u{2014} example.org/log "));
    let verified = rightsgate()
        .args(["report", "verify", "--db", &db])
        .arg(dir.path().join("signed/report.json"))
        .assert()
        .success();
    let stdout = String::from_utf8(verified.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("checked with the key the report names"), "{stdout}");
}

#[test]
fn an_untrusted_report_with_bad_fields_is_invalid_input_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let db = ledger_db(dir.path());
    let out = dir.path().join("report");
    rightsgate()
        .args(["report", "--from", "2026-01-01", "--format", "json", "--epsilon", "1", "--db", &db])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let good: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    for (pointer, value, named) in [
        (
            "/disclosure_control/epsilon",
            json!(1e-300),
            "`/disclosure_control/epsilon`: must be a number",
        ),
        (
            "/disclosure_control/epsilon",
            json!(-1.0),
            "`/disclosure_control/epsilon`: must be a number",
        ),
        (
            "/disclosure_control/epsilon",
            json!("NaN"),
            "`/disclosure_control/epsilon`: expected a number",
        ),
        ("/disclosure_control/k", json!(u64::MAX), "`/disclosure_control/k`: must be an integer"),
        ("/checkpoint/tree_size", json!(u64::MAX), "`/checkpoint/tree_size`: expected an integer"),
        ("/period/from", json!(20260101), "`/period/from`: expected a string"),
    ] {
        let mut doc = good.clone();
        *doc.pointer_mut(pointer).unwrap() = value;
        let path = dir.path().join("bad.json");
        std::fs::write(&path, doc.to_string()).unwrap();
        let failed =
            rightsgate().args(["report", "verify", "--db", &db]).arg(&path).assert().code(2);
        let stderr = String::from_utf8(failed.get_output().stderr.clone()).unwrap();
        assert!(stderr.contains(named), "{pointer}: {stderr}");
    }
    // The noisy report itself verifies.
    rightsgate()
        .args(["report", "verify", "--db", &db])
        .arg(out.join("report.json"))
        .assert()
        .success();
    // `--epsilon` out of range is refused before anything is read.
    rightsgate()
        .args(["report", "--from", "2026-01-01", "--epsilon", "1e-300", "--db", &db, "--out"])
        .arg(&out)
        .assert()
        .code(2);
}
