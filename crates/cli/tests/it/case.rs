//! `rightsgate case list|show|act` end to end on a fresh data directory: the workflow from the command line
//! through the same core as the desk, acting as accounts that prove themselves with their passwords.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Desk {
    dir: tempfile::TempDir,
}

impl Desk {
    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("rightsgate").unwrap();
        let fixtures = root().join("crates/rules/tests/conformance");
        c.env("RIGHTSGATE_DATA_DIR", self.dir.path())
            .env_remove("RIGHTSGATE_PASSWORD")
            .env_remove("RIGHTSGATE_SECOND_PASSWORD")
            .current_dir(&fixtures);
        c
    }

    fn case(&self, args: &[&str]) -> Command {
        let mut c = self.cmd();
        c.arg("case").args(args);
        if args.first() == Some(&"act") {
            c.args(["--lawpacks", "lawpacks", "--policy", "policies/default.toml"]);
        }
        c
    }
}

fn request_line(case: &str, reference: &str) -> String {
    let path = root().join("crates/rules/tests/conformance/cases").join(case);
    let value: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut request = value["request"].clone();
    request["reference"] = reference.into();
    serde_json::to_string(&request).unwrap()
}

fn desk() -> Desk {
    let desk = Desk { dir: tempfile::tempdir().unwrap() };
    desk.cmd().arg("init").assert().success();
    for (name, role) in [("rui", "reviewer"), ("ana", "approver"), ("bo", "approver")] {
        desk.cmd()
            .args(["user", "add", name, "--role", role, "--password-stdin"])
            .write_stdin(format!("{name}'s long password\n"))
            .assert()
            .success();
    }
    let file = desk.dir.path().join("requests.jsonl");
    let lines = [
        request_line("002-sabotage-bilateral-content.json", "CLI-1"),
        request_line("001-fraud-approve.json", "CLI-2"),
    ];
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    desk.cmd()
        .args(["ingest", "--quiet", "--lawpacks", "lawpacks", "--policy", "policies/default.toml"])
        .arg(&file)
        .assert()
        .success();
    desk
}

fn stdout_json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn the_workflow_from_the_command_line() {
    let desk = desk();
    let listed = desk.case(&["list", "--json"]).output().unwrap();
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    let cases: Vec<Value> = String::from_utf8(listed.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(cases.len(), 2);
    let content = cases.iter().find(|c| c["reference"] == "CLI-1").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A wrong password is refused before anything is written.
    desk.case(&["act", &content, "start_review", "--as", "rui"])
        .env("RIGHTSGATE_PASSWORD", "not rui's password")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--as: the name `rui` or its password is wrong"));
    desk.case(&["act", &content, "start_review", "--as", "rui"])
        .write_stdin("rui's long password\n")
        .assert()
        .success()
        .stdout("{\"case\":\"".to_owned() + &content + "\",\"state\":\"in_review\"}\n");

    // Content data needs four eyes: without a second approver the decision is refused, naming the rule.
    desk.case(&["act", &content, "decide", "--resolution", "approved", "--as", "ana"])
        .env("RIGHTSGATE_PASSWORD", "ana's long password")
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "a second, different approver must confirm this decision",
        ));
    // The second approver's own password is checked.
    desk.case(&[
        "act",
        &content,
        "decide",
        "--resolution",
        "approved",
        "--as",
        "ana",
        "--second",
        "bo",
    ])
    .write_stdin("ana's long password\nana's long password\n")
    .assert()
    .code(2)
    .stderr(predicates::str::contains("--second: the second approver's name or password is wrong"));
    desk.case(&[
        "act",
        &content,
        "decide",
        "--resolution",
        "approved",
        "--as",
        "ana",
        "--second",
        "bo",
    ])
    .write_stdin("ana's long password\nbo's long password\n")
    .assert()
    .success();

    // A disclosure outside the grant is refused, naming the field.
    desk.case(&[
        "act",
        &content,
        "execute",
        "--as",
        "ana",
        "--disclosed",
        r#"[{"category":"content","from":"1990-01-01","to":"1990-01-02"}]"#,
    ])
    .env("RIGHTSGATE_PASSWORD", "ana's long password")
    .assert()
    .code(2)
    .stderr(predicates::str::contains("/disclosed/0/"));
    let shown = desk.case(&["show", &content]).output().unwrap();
    assert!(shown.status.success());
    let view = stdout_json(&shown);
    assert_eq!(view["summary"]["state"], "approved");
    let granted = view["decision"]["granted"].to_string();
    desk.case(&["act", &content, "execute", "--as", "ana", "--disclosed", &granted])
        .env("RIGHTSGATE_PASSWORD", "ana's long password")
        .assert()
        .success();
    let view = stdout_json(&desk.case(&["show", &content]).output().unwrap());
    let events: Vec<&str> =
        view["timeline"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["received", "screened", "review_started", "decided_approved", "executed"]);
    assert_eq!(view["timeline"][3]["detail"]["second_approver"], "bo");

    // Bad arguments name the flag.
    desk.case(&["list", "--state", "pending"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--state: unknown state `pending`"));
    desk.case(&["show", "c-nope"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no case `c-nope`"));
}

/// A line the store refuses to keep (U+0000 in the reference, which PostgreSQL's text cannot hold) is an invalid
/// line naming the field; the lines around it are taken in.
#[test]
fn ingest_counts_a_request_the_store_refuses_as_invalid() {
    let desk = desk();
    let file = desk.dir.path().join("more.jsonl");
    let lines = [
        request_line("001-fraud-approve.json", "CLI-3"),
        request_line("001-fraud-approve.json", "CLI-\u{0}4"),
        request_line("001-fraud-approve.json", "CLI-5"),
    ];
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let out = desk
        .cmd()
        .args(["ingest", "--quiet", "--lawpacks", "lawpacks", "--policy", "policies/default.toml"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 2") && stderr.contains("$.reference"), "{stderr}");
    let tally: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (tally["taken_in"].as_u64(), tally["invalid"].as_u64()),
        (Some(2), Some(1)),
        "{tally}"
    );
}
