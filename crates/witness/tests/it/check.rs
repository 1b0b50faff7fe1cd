//! The pure `add-checkpoint` decision: every refusal with the status c2sp.org/tlog-witness gives it.

use std::collections::BTreeMap;

use ledger::{NoteSigner, VerifyError};
use witness::{add_checkpoint, AddCheckpoint, Latest, Refusal};

use crate::{cosignature_time, cosigner, logs, Log, ORIGIN};

/// Runs the pure decision and, on success, moves the state as a durable witness would.
fn add(state: &mut BTreeMap<String, Latest>, body: &str, now: u64) -> Result<String, Refusal> {
    let cosigned = add_checkpoint(&cosigner(), &logs(), state, body.as_bytes(), now)?;
    state.insert(cosigned.origin, cosigned.latest);
    Ok(cosigned.lines)
}

fn status(state: &mut BTreeMap<String, Latest>, body: &str) -> u16 {
    match add(state, body, 1) {
        Ok(_) => 200,
        Err(r) => r.status(),
    }
}

#[test]
fn a_first_checkpoint_and_its_extensions_are_cosigned() {
    let log = Log::honest(40);
    let mut state = BTreeMap::new();
    let lines = add(&mut state, &log.request(0, 5), 1_000).unwrap();
    assert_eq!(cosignature_time(&log.note(5), &lines), 1_000);
    assert_eq!(state[ORIGIN].root, log.tree.root_at(5).unwrap());
    assert!(state[ORIGIN].note.ends_with(&lines));
    for (old, new) in [(5, 6), (6, 16), (16, 17), (17, 40), (40, 40)] {
        let lines = add(&mut state, &log.request(old, new), 2_000 + new).unwrap();
        assert_eq!(cosignature_time(&log.note(new), &lines), 2_000 + new);
        assert_eq!(state[ORIGIN].root.size(), new);
    }
}

#[test]
fn the_cosignature_time_never_goes_back() {
    let log = Log::honest(3);
    let mut state = BTreeMap::new();
    add(&mut state, &log.request(0, 2), 5_000).unwrap();
    let lines = add(&mut state, &log.request(2, 3), 4_000).unwrap();
    assert_eq!(cosignature_time(&log.note(3), &lines), 5_000);
}

#[test]
fn a_fork_of_the_cosigned_size_is_refused_with_409() {
    let log = Log::honest(10);
    let fork = Log::branch(10, 6, "fork");
    let mut state = BTreeMap::new();
    add(&mut state, &log.request(0, 8), 1).unwrap();
    let refusal = add(&mut state, &fork.request(8, 8), 2).unwrap_err();
    assert_eq!(refusal, Refusal::Fork { size: 8 });
    assert_eq!(refusal.status(), 409);
    assert!(refusal.is_evidence());
    assert_eq!(state[ORIGIN].root, log.tree.root_at(8).unwrap());
}

#[test]
fn a_fork_at_a_larger_size_has_no_valid_proof_and_is_refused_with_422() {
    let log = Log::honest(10);
    let fork = Log::branch(20, 6, "fork");
    let mut state = BTreeMap::new();
    add(&mut state, &log.request(0, 8), 1).unwrap();
    // The fork's own proof from its size 8 does not lead from the honest size-8 root.
    let refusal = add(&mut state, &fork.request(8, 20), 2).unwrap_err();
    assert_eq!(refusal, Refusal::Proof(VerifyError::RootMismatch));
    assert_eq!(refusal.status(), 422);
    // Neither does the honest proof, nor a proof with a hash flipped.
    let mut proof = log.proof(8, 10);
    let mut hashes = proof.hashes().to_vec();
    hashes[0] = crate::flip(&hashes[0]);
    proof = ledger::ConsistencyProof::from_hashes(hashes);
    let body = AddCheckpoint { old: 8, proof, note: log.note(10) }.to_body();
    assert_eq!(add(&mut state, &body, 3).unwrap_err().status(), 422);
    let short = AddCheckpoint { old: 8, proof: Default::default(), note: log.note(10) }.to_body();
    assert_eq!(add(&mut state, &short, 3).unwrap_err(), Refusal::Proof(VerifyError::WrongLength));
    assert_eq!(state[ORIGIN].root.size(), 8);
    // A first checkpoint must come with an empty proof.
    let mut fresh = BTreeMap::new();
    let body = AddCheckpoint { old: 0, proof: log.proof(4, 8), note: log.note(8) }.to_body();
    assert_eq!(status(&mut fresh, &body), 422);
}

#[test]
fn a_rollback_is_refused() {
    let log = Log::honest(10);
    let mut state = BTreeMap::new();
    add(&mut state, &log.request(0, 8), 1).unwrap();
    // Offered from the size the witness holds, a smaller checkpoint has an old size above its own: 400.
    let back = AddCheckpoint { old: 8, proof: Default::default(), note: log.note(5) }.to_body();
    assert_eq!(add(&mut state, &back, 2).unwrap_err(), Refusal::OldTooLarge { old: 8, size: 5 });
    // Offered from an older size, it does not match the witness's: 409 with the witness's size.
    let refusal = add(&mut state, &log.request(3, 5), 2).unwrap_err();
    assert_eq!(refusal, Refusal::OldMismatch { old: 3, latest: 8 });
    assert_eq!(refusal.status(), 409);
    assert_eq!(status(&mut state, &log.request(0, 5)), 409);
    assert_eq!(state[ORIGIN].root.size(), 8);
}

#[test]
fn unknown_logs_and_bad_signatures_are_refused() {
    let log = Log::honest(4);
    let mut state = BTreeMap::new();
    // Another origin: 404.
    let stranger = NoteSigner::from_seed("other.example/log", [1; 32]).unwrap();
    let note = ledger::Checkpoint::new("other.example/log", log.tree.root_at(4).unwrap())
        .unwrap()
        .sign(&stranger)
        .unwrap();
    let body = AddCheckpoint { old: 0, proof: Default::default(), note }.to_body();
    assert_eq!(
        add(&mut state, &body, 1).unwrap_err(),
        Refusal::UnknownLog("other.example/log".into())
    );
    assert_eq!(status(&mut state, &body), 404);
    // The right origin signed by another key (same name): 403.
    let impostor = NoteSigner::from_seed(ORIGIN, [7; 32]).unwrap();
    let note = ledger::Checkpoint::new(ORIGIN, log.tree.root_at(4).unwrap())
        .unwrap()
        .sign(&impostor)
        .unwrap();
    let body = AddCheckpoint { old: 0, proof: Default::default(), note }.to_body();
    assert_eq!(status(&mut state, &body), 403);
    // The trusted key's signature over another body: 403.
    let genuine = log.note(4);
    let tampered = genuine.replacen("\n4\n", "\n3\n", 1);
    let body = AddCheckpoint { old: 0, proof: Default::default(), note: tampered }.to_body();
    assert_eq!(add(&mut state, &body, 1).unwrap_err(), Refusal::Signature(ORIGIN.into()));
    assert!(state.is_empty());
}

#[test]
fn a_log_may_have_several_keys_and_notes_may_carry_other_signatures() {
    let log = Log::honest(4);
    let rotated = NoteSigner::from_seed(ORIGIN, [8; 32]).unwrap();
    let mut logs = logs();
    logs.add(ORIGIN, rotated.verifier());
    let mut note = ledger::Checkpoint::new(ORIGIN, log.tree.root_at(4).unwrap())
        .unwrap()
        .sign(&rotated)
        .unwrap();
    // Another witness's cosignature is ignored.
    let body = ledger::Checkpoint::from_note_unverified(&note).unwrap().body();
    note.push_str(
        &ledger::Cosigner::from_seed("other.example/w", [3; 32]).unwrap().cosign(&body, 9).unwrap(),
    );
    let body = AddCheckpoint { old: 0, proof: Default::default(), note }.to_body();
    assert!(add_checkpoint(&cosigner(), &logs, &BTreeMap::new(), body.as_bytes(), 1).is_ok());
}

#[test]
fn malformed_requests_are_refused_with_400() {
    let log = Log::honest(4);
    let good = log.request(0, 4);
    let note = log.note(4);
    let cases = [
        format!("old 00\n\n{note}"),
        format!("old -1\n\n{note}"),
        format!("old 1 \n\n{note}"),
        format!("Old 0\n\n{note}"),
        format!("old 0\n{note}"),
        format!("old 0\nnot base64!\n\n{note}"),
        format!("old 0\nAAAA\n\n{note}"),
        "old 0\n\n".to_owned(),
        "old 0".to_owned(),
        String::new(),
        format!("old 0\n\n{}", note.replace('\u{2014}', "-")),
        format!("old 0\n\nno checkpoint\n\n{}", note.lines().last().unwrap()),
        format!("old 0\n{}\n{note}", "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n".repeat(64)),
    ];
    for body in &cases {
        let mut state = BTreeMap::new();
        assert_eq!(status(&mut state, body), 400, "{body:?}");
    }
    let mut state = BTreeMap::new();
    assert_eq!(
        add_checkpoint(&cosigner(), &logs(), &state, b"old 0\n\n\xff\n", 1).unwrap_err().status(),
        400
    );
    assert_eq!(status(&mut state, &good), 200);
}

#[test]
fn request_bodies_round_trip() {
    let log = Log::honest(20);
    let body = log.request(7, 20);
    let parsed = AddCheckpoint::parse(body.as_bytes()).unwrap();
    assert_eq!(parsed.old, 7);
    assert_eq!(parsed.proof, log.proof(7, 20));
    assert_eq!(parsed.note, log.note(20));
    assert_eq!(parsed.to_body(), body);
    // 63 proof lines are allowed (the parser's limit, not a proof that verifies).
    let many = format!(
        "old 1\n{}\n{}",
        "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n".repeat(63),
        log.note(20)
    );
    assert_eq!(AddCheckpoint::parse(many.as_bytes()).unwrap().proof.hashes().len(), 63);
}

#[test]
fn log_flags_name_what_is_wrong() {
    let vkey = Log::honest(0).signer.verifier().to_string();
    let mut logs = witness::Logs::new();
    logs.add_flag(&format!("{ORIGIN}={vkey}")).unwrap();
    logs.add_flag(&format!("{ORIGIN}={vkey}")).unwrap();
    assert_eq!(logs.keys(ORIGIN).len(), 1, "the same key twice is one key");
    assert_eq!(logs.origins().collect::<Vec<_>>(), [ORIGIN]);
    for (value, expect) in [
        ("no-equals".to_owned(), "expected `ORIGIN=VKEY`"),
        (format!("={vkey}"), "origin must be a non-empty line"),
        (format!("{ORIGIN}=garbage"), "malformed key string"),
        (format!("{ORIGIN}={}", cosigner().verifier()), "unsupported key algorithm"),
    ] {
        let err = logs.add_flag(&value).unwrap_err();
        assert!(err.contains(expect) && err.contains(&format!("`{value}`")), "{value}: {err}");
    }
    assert!(logs.keys("other.example/log").is_empty());
}
