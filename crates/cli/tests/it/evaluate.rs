//! `rightsgate evaluate` and `rightsgate rules` as the CLI contract (formats.md §5) describes them: exit codes,
//! one decision per request, one stderr line per problem, and nothing on stdout for an invalid request.

use std::path::PathBuf;

use assert_cmd::Command;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../rules/tests/conformance")
}

fn rightsgate() -> Command {
    let mut cmd = Command::cargo_bin("rightsgate").unwrap();
    cmd.arg("evaluate")
        .arg("--lawpacks")
        .arg(corpus().join("lawpacks"))
        .arg("--policy")
        .arg(corpus().join("policies/default.toml"));
    cmd
}

/// The request of a public case, as compact JSON.
fn request(case: &str) -> String {
    let text = std::fs::read_to_string(corpus().join("cases").join(case)).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    serde_json::to_string(&value["request"]).unwrap()
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_refusal_is_still_exit_0_with_one_decision() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "r.json", &request("003-vn-anti-state-propaganda.json"));
    let out = rightsgate().arg(&file).assert().success().get_output().stdout.clone();
    let decision: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(decision["outcome"], "refuse");
    assert_eq!(decision["schema"], "rightsgate/decision/v1");
    let digest = decision["inputs"]["request_sha256"].as_str().unwrap();
    assert_eq!(digest, rules::sha256_hex(&std::fs::read(&file).unwrap()));
}

#[test]
fn the_same_inputs_give_byte_identical_output() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "r.json", &request("012-us-kidnapping-assurance.json"));
    let a = rightsgate().arg(&file).output().unwrap().stdout;
    let b = rightsgate().arg(&file).output().unwrap().stdout;
    assert!(!a.is_empty());
    assert_eq!(a, b);
}

#[test]
fn an_unknown_category_names_file_path_and_expected_values() {
    let dir = tempfile::tempdir().unwrap();
    let text = request("001-fraud-approve.json").replace("\"traffic\"]", "\"contnet\"]");
    let file = write(&dir, "request.json", &text);
    let assert = rightsgate().arg(&file).assert().code(2).stdout("");
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains(
            "request.json: $.data.categories[1]: unknown category \"contnet\", expected one of subscriber, traffic, content"
        ),
        "{stderr}"
    );
}

#[test]
fn bad_inputs_exit_2_with_a_named_problem() {
    let dir = tempfile::tempdir().unwrap();
    let good = request("001-fraud-approve.json");
    let cases = [
        (
            "unknown field",
            good.replacen("\"facts\"", "\"fatcs\": 1, \"facts\"", 1),
            "$.fatcs: unknown field \"fatcs\"",
        ),
        (
            "unknown schema",
            good.replace("request/v1", "request/v2"),
            "$.schema: unknown schema \"rightsgate/request/v2\"",
        ),
        (
            "wrong type",
            good.replace("\"independent\":true", "\"independent\":\"yes\""),
            "$.authorization.independent: invalid type",
        ),
        (
            "bad date",
            good.replace("2026-05-29", "2026-02-30"),
            "$.data.period.to: invalid date \"2026-02-30\"",
        ),
        (
            "no law pack",
            good.replace("\"state\":\"BR\"", "\"state\":\"XQ\""),
            "$.requesting.state: no law pack for \"XQ\"",
        ),
        (
            "other requested state",
            good.replace("\"requested_state\":\"DE\"", "\"requested_state\":\"FR\""),
            "$.requested_state",
        ),
        ("not json", "{\"schema\": ".to_owned(), "unexpected end of input"),
        (
            "missing field",
            good.replace(",\"urgency\":\"routine\"", ""),
            "missing required field \"urgency\"",
        ),
    ];
    for (what, text, expect) in cases {
        let file = write(&dir, "request.json", &text);
        let output = rightsgate().arg(&file).output().unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(2), "{what}: {stderr}");
        assert!(output.stdout.is_empty(), "{what}: printed a decision");
        assert!(stderr.contains("request.json: ") && stderr.contains(expect), "{what}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{what}: one line per problem: {stderr}");
    }
}

#[test]
fn jsonl_prints_one_decision_per_valid_line_and_names_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        request("001-fraud-approve.json"),
        "{\"schema\":\"rightsgate/request/v1\"}".to_owned(),
        String::new(),
        request("010-br-slander-out-of-scope.json"),
    ];
    let file = write(&dir, "batch.jsonl", &(lines.join("\n") + "\n"));
    let output = rightsgate().arg("--jsonl").arg(&file).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let outcomes: Vec<String> = stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["outcome"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(outcomes, ["approve", "refuse"]);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("batch.jsonl: line 2: "), "{stderr}");
    let first: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["inputs"]["request_sha256"], rules::sha256_hex(lines[0].as_bytes()));
}

#[test]
fn jsonl_reads_stdin() {
    let input = format!("{}\r\n", request("018-unauthenticated.json"));
    let output = rightsgate().args(["--jsonl", "-"]).write_stdin(input.clone()).output().unwrap();
    assert!(output.status.success());
    let decision: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(decision["outcome"], "human_review");
    assert_eq!(
        decision["inputs"]["request_sha256"],
        rules::sha256_hex(input.trim_end().as_bytes())
    );
}

#[test]
fn an_invalid_policy_or_law_pack_is_reported_per_file() {
    let dir = tempfile::tempdir().unwrap();
    let packs = dir.path().join("packs");
    std::fs::create_dir(&packs).unwrap();
    for entry in std::fs::read_dir(corpus().join("lawpacks")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, packs.join(path.file_name().unwrap())).unwrap();
    }
    let vn =
        std::fs::read_to_string(packs.join("VN.toml")).unwrap().replace("\"09031\"", "\"0903X\"");
    std::fs::write(packs.join("VN.toml"), vn).unwrap();
    let policy = std::fs::read_to_string(corpus().join("policies/default.toml"))
        .unwrap()
        .replace("max_identifiers = 10", "max_identifiers = -1");
    let policy = write(&dir, "policy.toml", &policy);
    let req = write(&dir, "r.json", &request("001-fraud-approve.json"));
    let output = Command::cargo_bin("rightsgate")
        .unwrap()
        .arg("evaluate")
        .arg("--lawpacks")
        .arg(&packs)
        .arg("--policy")
        .arg(&policy)
        .arg(&req)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("VN.toml: line ")
            && stderr.contains("offence PC289: iccs[0]: unknown ICCS code \"0903X\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("policy.toml: line ") && stderr.contains("max_identifiers"),
        "{stderr}"
    );
}

#[test]
fn rules_lists_every_rule_from_the_catalogue() {
    let output =
        Command::cargo_bin("rightsgate").unwrap().args(["rules", "--json"]).output().unwrap();
    assert!(output.status.success());
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let expected: Vec<&str> = rules::CATALOGUE.iter().map(|r| r.id).collect();
    assert_eq!(ids, expected);
    assert!(rows.iter().all(|r| !r["citations"].as_array().unwrap().is_empty()));
}

/// The library target runs a command in process, writing to the caller's buffer, with the same output as the
/// binary.
#[test]
fn commands_run_in_process() {
    use clap::Parser as _;
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "r.json", &request("001-fraud-approve.json"));
    let (lawpacks, policy) = (corpus().join("lawpacks"), corpus().join("policies/default.toml"));
    let args = [
        "rightsgate".as_ref(),
        "evaluate".as_ref(),
        "--lawpacks".as_ref(),
        lawpacks.as_os_str(),
        "--policy".as_ref(),
        policy.as_os_str(),
        file.as_os_str(),
    ];
    let mut out = Vec::new();
    let code = cli::run(cli::Cli::try_parse_from(args).unwrap(), &mut out).unwrap();
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    let binary = rightsgate().arg(&file).assert().success().get_output().stdout.clone();
    assert_eq!(out, binary);
    let decision: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(decision["outcome"], "approve");
}
