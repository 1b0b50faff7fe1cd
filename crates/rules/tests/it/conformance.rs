//! The conformance runner: every case of `tests/conformance/cases` (the public corpus, byte-identical to the
//! shared one) and `tests/conformance/own` (ours), screened and compared with its hand-written expectations.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use domain::decision::Grant;
use domain::vocab::Outcome;
use domain::Request;
use rules::{from_sources, screen, Context, Source, CATALOGUE};
use serde::Deserialize;

/// One case file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    description: String,
    policy: String,
    request: serde_json::Value,
    expect: Expect,
}

/// What the case expects of the decision.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    outcome: Outcome,
    #[serde(default)]
    rules: Vec<String>,
    #[serde(default)]
    not_rules: Vec<String>,
    granted: Option<Vec<Grant>>,
    conditions: Option<Vec<String>>,
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

fn read_dir_sorted(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    files.sort();
    files
}

/// Compiles the policy with every law pack of the given directories.
fn context(policy: &Path, lawpack_dirs: &[PathBuf]) -> Context {
    let policy_bytes = std::fs::read(policy).unwrap();
    let files: Vec<(String, Vec<u8>)> = lawpack_dirs
        .iter()
        .flat_map(|d| read_dir_sorted(d, "toml"))
        .map(|p| {
            (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap())
        })
        .collect();
    let sources: Vec<Source<'_>> =
        files.iter().map(|(n, b)| Source { name: n, bytes: b }).collect();
    let policy_name = policy.file_name().unwrap().to_string_lossy().into_owned();
    from_sources(Source { name: &policy_name, bytes: &policy_bytes }, &sources)
        .unwrap_or_else(|e| panic!("cannot load corpus: {e:?}"))
}

/// Runs every case of a directory; returns (file, expectation) for the coverage check.
fn run_dir(
    cases: &Path,
    policy_dirs: &[PathBuf],
    lawpack_dirs: &[PathBuf],
) -> Vec<(String, Expect)> {
    let mut failures = Vec::new();
    let mut seen = Vec::new();
    for path in read_dir_sorted(cases, "json") {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let case: Case = serde_json::from_slice(&std::fs::read(&path).unwrap())
            .unwrap_or_else(|e| panic!("{name}: not a case file: {e}"));
        let policy = policy_dirs
            .iter()
            .map(|d| d.join(&case.policy))
            .find(|p| p.exists())
            .unwrap_or_else(|| panic!("{name}: no policy {}", case.policy));
        let ctx = context(&policy, lawpack_dirs);
        let bytes = serde_json::to_vec(&case.request).unwrap();
        let request = Request::parse(&name, &bytes).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let decision = screen(&request, &rules::sha256_hex(&bytes), &ctx)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let fired: BTreeSet<&str> = decision.findings.iter().map(|f| &*f.rule).collect();
        let mut problems = Vec::new();
        if decision.outcome != case.expect.outcome {
            problems
                .push(format!("outcome {} != expected {}", decision.outcome, case.expect.outcome));
        }
        for rule in &case.expect.rules {
            if !fired.contains(rule.as_str()) {
                problems.push(format!("rule {rule} did not fire"));
            }
        }
        for rule in &case.expect.not_rules {
            if fired.contains(rule.as_str()) {
                problems.push(format!("rule {rule} fired"));
            }
        }
        if let Some(granted) = &case.expect.granted {
            if &decision.granted != granted {
                problems.push(format!("granted {:?} != expected {granted:?}", decision.granted));
            }
        }
        if let Some(conditions) = &case.expect.conditions {
            if &decision.conditions != conditions {
                problems.push(format!(
                    "conditions {:?} != expected {conditions:?}",
                    decision.conditions
                ));
            }
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{name} ({}):\n  {}\n  findings: {}",
                case.description,
                problems.join("\n  "),
                serde_json::to_string(&decision.findings).unwrap()
            ));
        }
        seen.push((name, case.expect));
    }
    assert!(
        failures.is_empty(),
        "{} conformance case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    seen
}

#[test]
fn public_corpus_passes() {
    let root = corpus();
    let seen = run_dir(&root.join("cases"), &[root.join("policies")], &[root.join("lawpacks")]);
    assert_eq!(seen.len(), 30, "the public corpus has 30 cases");
}

#[test]
fn own_corpus_passes() {
    let root = corpus();
    let seen = run_dir(
        &root.join("own"),
        &[root.join("own-policies"), root.join("policies")],
        &[root.join("lawpacks"), root.join("own-lawpacks")],
    );
    assert!(seen.len() >= 10);
}

/// Cases screened against the law packs this repository ships (`lawpacks/`, `policies/`), where a correction of
/// a pack changes an outcome; they fail when a pack change silently undoes a correction.
#[test]
fn shipped_packs_corpus_passes() {
    let root = corpus();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let seen = run_dir(&root.join("shipped"), &[repo.join("policies")], &[repo.join("lawpacks")]);
    assert!(seen.len() >= 2);
}

/// Tidy: every rule has a case where it must fire and one where it must not, across both corpora.
#[test]
fn every_rule_is_covered_both_ways() {
    let root = corpus();
    let mut all = Vec::new();
    for dir in ["cases", "own"] {
        for path in read_dir_sorted(&root.join(dir), "json") {
            let case: Case = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            all.push(case.expect);
        }
    }
    let mut missing = Vec::new();
    for rule in CATALOGUE {
        if !all.iter().any(|e| e.rules.iter().any(|r| r == rule.id)) {
            missing.push(format!("{}: no case where it must fire", rule.id));
        }
        if !all.iter().any(|e| e.not_rules.iter().any(|r| r == rule.id)) {
            missing.push(format!("{}: no case where it must not fire", rule.id));
        }
    }
    let known: BTreeSet<&str> = CATALOGUE.iter().map(|r| r.id).collect();
    for e in &all {
        for r in e.rules.iter().chain(&e.not_rules) {
            if !known.contains(r.as_str()) {
                missing.push(format!("{r}: named by a case but not in the catalogue"));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// The public corpus is a byte-identical copy of the shared one when the shared one is present.
#[test]
fn public_corpus_is_unchanged_from_shared() {
    let shared = corpus().join("../../../../../shared/conformance/cases");
    let Ok(entries) = std::fs::read_dir(&shared) else {
        return; // Outside the development workplace the copy is the only corpus.
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let ours = corpus().join("cases").join(path.file_name().unwrap());
        assert_eq!(
            std::fs::read(&path).unwrap(),
            std::fs::read(&ours).unwrap_or_default(),
            "{}",
            ours.display()
        );
    }
}
