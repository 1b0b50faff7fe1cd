//! Unit tests of the assessment use case: reading the inputs, and preflight's remedies.

use std::path::{Path, PathBuf};

use super::{load, remedy};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn every_rule_of_the_catalogue_has_a_remedy() {
    for rule in rules::CATALOGUE {
        assert!(remedy(rule.id).is_some(), "rule {} has no remedy for preflight", rule.id);
    }
    assert_eq!(remedy("no-such-rule"), None);
}

#[test]
fn the_demo_state_loads_with_its_digests() {
    let loaded = load(
        "DE",
        &root().join("lawpacks"),
        &root().join("policies/default.toml"),
        Some(&root().join("frameworks/DE.toml")),
    )
    .unwrap();
    let sha = |p: &str| rules::sha256_hex(&std::fs::read(root().join(p)).unwrap());
    assert_eq!(loaded.inputs.lawpack_sha256, sha("lawpacks/DE.toml"));
    assert_eq!(loaded.inputs.framework_sha256, Some(sha("frameworks/DE.toml")));
    let assessment = loaded.assess(None);
    assert!(assessment.items.len() >= 30);
    assert!(assessment.practice.is_none());
}

#[test]
fn every_problem_of_every_input_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let framework = std::fs::read_to_string(root().join("frameworks/DE.toml"))
        .unwrap()
        .replace("state = \"DE\"", "state = \"FR\"");
    let framework = write(&dir, "fw.toml", &framework);
    let errors = load(
        "XQ",
        &root().join("lawpacks"),
        &root().join("policies/default.toml"),
        Some(&framework),
    )
    .unwrap_err();
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(text.iter().any(|e| e.contains("no law pack for state \"XQ\"")), "{text:?}");
    assert!(
        text.iter().any(|e| e.contains("state: the policy serves \"DE\", expected \"XQ\"")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|e| e.contains("fw.toml: line 9: state: the framework is \"FR\"'s")),
        "{text:?}"
    );
}
