//! Exit codes of `rightsgate ledger`: success, invalid input (2) and a ledger that no longer matches
//! a saved checkpoint (3).

use assert_cmd::Command;

fn rightsgate() -> Command {
    Command::cargo_bin("rightsgate").unwrap()
}

#[test]
fn keygen_append_checkpoint_prove_verify() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("ledger.key");
    let out = rightsgate()
        .args(["ledger", "keygen", "--origin", "example.org/log", "--out"])
        .arg(&key)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let vkey = String::from_utf8(out).unwrap();
    let vkey: ledger::VerifierKey = vkey.trim().parse().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // An existing key is never overwritten.
    rightsgate().args(["ledger", "keygen", "--out"]).arg(&key).assert().code(1);

    let db = format!("sqlite://{}?mode=rwc", dir.path().join("l.db").display());
    let leaves = dir.path().join("leaves.txt");
    std::fs::write(&leaves, "a\nb\nc\nd\ne\n").unwrap();
    rightsgate().args(["ledger", "append", "--db", &db]).arg(&leaves).assert().success();

    let note = rightsgate()
        .args(["ledger", "checkpoint", "--db", &db, "--key"])
        .arg(&key)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let note = String::from_utf8(note).unwrap();
    let cp = ledger::Checkpoint::from_signed_note(&note, &vkey).unwrap();
    assert_eq!(cp.root().size(), 5);
    let cp_file = dir.path().join("cp.txt");
    std::fs::write(&cp_file, &note).unwrap();

    let proof = rightsgate()
        .args(["ledger", "prove", "--db", &db, "--index", "2"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let proof: serde_json::Value = serde_json::from_slice(&proof).unwrap();
    assert_eq!(proof["leaf_index"], 2);
    assert_eq!(proof["tree_size"], 5);
    assert_eq!(proof["root_hash"], cp.root().digest().to_string());
    // The printed proof is the reference tree's proof, and it verifies.
    let mut tree = ledger::MemoryTree::new();
    for leaf in ["a", "b", "c", "d", "e"] {
        tree.push(leaf.as_bytes());
    }
    let want = tree.inclusion_proof(2, 5).unwrap();
    let printed: Vec<String> = proof["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_owned())
        .collect();
    let want_hex: Vec<String> = want.hashes().iter().map(ToString::to_string).collect();
    assert_eq!(printed, want_hex);
    cp.root().verify_inclusion(b"c", 2, &want).unwrap();

    let out = rightsgate()
        .args(["ledger", "consistency", "--db", &db, "--old", "3"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!((out["old_size"].as_u64(), out["new_size"].as_u64()), (Some(3), Some(5)));
    rightsgate()
        .args([
            "ledger",
            "verify",
            "--db",
            &db,
            "--verifier-key",
            &vkey.to_string(),
            "--checkpoint",
        ])
        .arg(&cp_file)
        .assert()
        .success();

    // A checkpoint from a longer log: leaves were removed since it was signed.
    let longer = note.replacen("\n5\n", "\n6\n", 1);
    let longer_file = dir.path().join("longer.txt");
    std::fs::write(&longer_file, longer).unwrap();
    let out = rightsgate()
        .args(["ledger", "verify", "--db", &db, "--checkpoint"])
        .arg(&longer_file)
        .assert()
        .code(3)
        .get_output()
        .stdout
        .clone();
    let out: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(out["first_bad_index"], 5);
    // Its signature no longer verifies either: invalid input.
    rightsgate()
        .args([
            "ledger",
            "verify",
            "--db",
            &db,
            "--verifier-key",
            &vkey.to_string(),
            "--checkpoint",
        ])
        .arg(&longer_file)
        .assert()
        .code(2);
    // A proof for a leaf that does not exist is an operational failure.
    rightsgate().args(["ledger", "prove", "--db", &db, "--index", "5"]).assert().code(1);
}
