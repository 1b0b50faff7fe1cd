//! `rightsgate assess` and `rightsgate preflight`: golden outputs for the demo state, statuses that move with
//! one setting, every format written, exit codes, and a preflight that names its findings.
//!
//! Regenerate the golden files with `UPDATE_EXPECT=1 cargo test -p cli --test it assess`, then review the diff
//! like law.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `rightsgate` run from the workspace root, so the default law packs, policy and framework are found.
fn rightsgate() -> Command {
    let mut cmd = Command::cargo_bin("rightsgate").unwrap();
    cmd.current_dir(root());
    cmd
}

fn golden(name: &str, got: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/golden").join(name);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        want == got,
        "{} differs from the output: run `UPDATE_EXPECT=1 cargo test -p cli --test it assess` and review the diff",
        path.display()
    );
}

fn assess_json(args: &[&str]) -> Value {
    let out = rightsgate().arg("assess").args(args).assert().success().get_output().stdout.clone();
    serde_json::from_slice(&out).unwrap()
}

fn status(doc: &Value, id: &str) -> String {
    let items = doc["items"].as_array().unwrap();
    let item = items.iter().find(|i| i["id"] == id).unwrap_or_else(|| panic!("no item {id}"));
    item["status"].as_str().unwrap().to_owned()
}

/// The shipped policy with one line replaced, written to a temporary directory.
fn policy_with(dir: &tempfile::TempDir, from: &str, to: &str) -> PathBuf {
    let text = std::fs::read_to_string(root().join("policies/default.toml")).unwrap();
    assert!(text.contains(from), "policy lacks {from:?}");
    let path = dir.path().join("policy.toml");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    path
}

fn framework_with(dir: &tempfile::TempDir, edit: impl Fn(&str) -> String) -> PathBuf {
    let text = std::fs::read_to_string(root().join("frameworks/DE.toml")).unwrap();
    let path = dir.path().join("DE.toml");
    std::fs::write(&path, edit(&text)).unwrap();
    path
}

/// What `assess --state DE --format FORMAT` prints.
fn assess_de(format: &str) -> String {
    let out = rightsgate()
        .args(["assess", "--state", "DE", "--format", format])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

#[test]
fn assess_de_json_matches_golden() {
    golden("assessment-DE.json", &assess_de("json"));
}

#[test]
fn assess_de_markdown_matches_golden() {
    golden("assessment-DE.md", &assess_de("md"));
}

#[test]
fn every_item_has_status_evidence_citations_and_action() {
    let doc = assess_json(&["--state", "DE"]);
    assert_eq!(doc["schema"], "rightsgate/assessment/v1");
    let items = doc["items"].as_array().unwrap();
    assert!(items.len() >= 30, "{} items", items.len());
    for item in items {
        let id = &item["id"];
        assert!(
            ["met", "partly_met", "not_met", "unknown"].contains(&item["status"].as_str().unwrap()),
            "{id}"
        );
        assert!(!item["evidence"].as_array().unwrap().is_empty(), "{id} has no evidence");
        for c in item["citations"].as_array().unwrap() {
            let certainty = c["certainty"].as_str().unwrap();
            assert!(
                certainty == "verified" || c["note"].is_string(),
                "{id}: {c} says nothing of its doubt"
            );
        }
        assert!(!item["action"]["text"].as_str().unwrap().is_empty(), "{id} has no action");
    }
    // The digests are those of the exact files read.
    let sha = |p: &str| rules::sha256_hex(&std::fs::read(root().join(p)).unwrap());
    assert_eq!(doc["inputs"]["lawpack_sha256"], sha("lawpacks/DE.toml"));
    assert_eq!(doc["inputs"]["policy_sha256"], sha("policies/default.toml"));
    assert_eq!(doc["inputs"]["framework_sha256"], sha("frameworks/DE.toml"));
    // The example is a planned set, and the document says so.
    assert!(doc["framework_note"].as_str().unwrap().contains("planned"));
}

#[test]
fn a_policy_without_judicial_authorization_for_interception_makes_that_item_not_met() {
    assert_eq!(status(&assess_json(&["--state", "DE"]), "np-06-judicial-authority"), "met");
    let dir = tempfile::tempdir().unwrap();
    let policy = policy_with(
        &dir,
        r#"judicial_measures = ["realtime_traffic", "interception"]"#,
        r#"judicial_measures = ["realtime_traffic"]"#,
    );
    let doc = assess_json(&["--state", "DE", "--policy", policy.to_str().unwrap()]);
    assert_eq!(status(&doc, "np-06-judicial-authority"), "not_met");
    assert_eq!(status(&doc, "uncc-24-independent-review"), "partly_met");
}

#[test]
fn depositing_the_preservation_reservation_makes_the_item_met() {
    assert_eq!(
        status(&assess_json(&["--state", "DE"]), "uncc-42-preservation-reservation"),
        "partly_met"
    );
    let dir = tempfile::tempdir().unwrap();
    let framework = framework_with(&dir, |t| {
        t.replacen(
            "topic = \"preservation_dual_criminality\"\nstatus = \"planned\"",
            "topic = \"preservation_dual_criminality\"\nstatus = \"deposited\"",
            1,
        )
    });
    let doc = assess_json(&["--state", "DE", "--framework", framework.to_str().unwrap()]);
    assert_eq!(status(&doc, "uncc-42-preservation-reservation"), "met");
    assert_eq!(status(&doc, "stmt-reservations"), "met");
}

#[test]
fn out_writes_every_format_given() {
    let dir = tempfile::tempdir().unwrap();
    rightsgate()
        .args(["assess", "--state", "DE", "--format", "html,json,md", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("assessment.json")).unwrap())
            .unwrap();
    let md = std::fs::read_to_string(dir.path().join("assessment.md")).unwrap();
    let html = std::fs::read_to_string(dir.path().join("assessment.html")).unwrap();
    for item in json["items"].as_array().unwrap() {
        let id = item["id"].as_str().unwrap();
        assert!(md.contains(&format!("## {id}:")), "{id} missing from the Markdown");
        assert!(html.contains(&format!("<section id=\"{id}\">")), "{id} missing from the HTML");
    }
}

#[test]
fn invalid_input_exits_2_naming_the_file_and_field() {
    // Two formats need --out.
    rightsgate().args(["assess", "--state", "DE", "--format", "json,md"]).assert().code(2);
    // The policy must serve the state assessed.
    let out =
        rightsgate().args(["assess", "--state", "FR"]).assert().code(2).get_output().stderr.clone();
    let stderr = String::from_utf8(out).unwrap();
    assert!(
        stderr.contains(
            "policies/default.toml: line 5: state: the policy serves \"DE\", expected \"FR\""
        ),
        "{stderr}"
    );
    // A framework is read strictly.
    let dir = tempfile::tempdir().unwrap();
    let framework = framework_with(&dir, |t| {
        t.replacen("effective_remedy = true", "effective_remedy = true\nremedy = true", 1)
    });
    let out = rightsgate()
        .args(["assess", "--state", "DE", "--framework", framework.to_str().unwrap()])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let stderr = String::from_utf8(out).unwrap();
    assert!(
        stderr.contains("DE.toml: line ")
            && stderr.contains("domestic_law.remedy: unknown field \"remedy\""),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn preflight_names_its_findings_and_what_to_change() {
    let out = rightsgate()
        .args(["preflight", "examples/request.json", "--to", "DE"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("rights-respecting default"), "{text}");
    assert!(text.contains("Outcome: approve"), "{text}");
    assert!(text.contains("- data-protection (condition)"), "{text}");
    assert!(text.contains("Conditions from: data-protection"), "{text}");
    assert!(text.contains("What you can change:"), "{text}");

    // Without an independent judicial authorization, traffic data is sent back for it, and preflight says how.
    let request = std::fs::read_to_string(root().join("examples/request.json")).unwrap();
    let mut value: Value = serde_json::from_str(&request).unwrap();
    value["authorization"] = serde_json::json!({ "kind": "prosecutorial", "independent": false });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("request.json");
    std::fs::write(&path, serde_json::to_string(&value).unwrap()).unwrap();
    let out = rightsgate()
        .args(["preflight", "--json", "--to", "DE"])
        .arg(&path)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["outcome"], "request_information");
    assert_eq!(doc["policy"]["source"], "default");
    let change = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["rule"] == "judicial-authorization")
        .unwrap_or_else(|| panic!("no judicial-authorization finding: {doc}"));
    assert!(change["change"].as_str().unwrap().contains("independent judge"), "{change}");
}

#[test]
fn preflight_with_another_states_policy_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let policy = policy_with(&dir, "state = \"DE\"", "state = \"FR\"");
    rightsgate()
        .args(["preflight", "examples/request.json", "--to", "DE", "--policy"])
        .arg(&policy)
        .assert()
        .code(2);
}

#[test]
fn with_a_store_the_assessment_shows_practice() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut cmd = rightsgate();
        cmd.env("RIGHTSGATE_DATA_DIR", dir.path()).args(args);
        cmd
    };
    run(&["init"]).assert().success();
    let requests = run(&["gen", "--n", "30"]).assert().success().get_output().stdout.clone();
    let file = dir.path().join("requests.jsonl");
    std::fs::write(&file, requests).unwrap();
    run(&["ingest", "--quiet"]).arg(&file).assert().success();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("rightsgate.db").display());
    let out = run(&["assess", "--state", "DE", "--db", &url])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["practice"]["received"], 30, "{}", doc["practice"]);
    // Screened and stored, none decided yet: no witness has co-signed this store's ledger.
    assert_eq!(doc["practice"]["decided"], 0);
    assert_eq!(status(&doc, "stmt-witnessed-ledger"), "not_met");
    assert_eq!(status(&doc, "uncc-40-reasons"), "unknown");
}
