//! Checkpoints and signed notes: the Go `sumdb/note` reference example, round trips, and tampering.

use ledger::{Checkpoint, NoteError, NoteSigner, RootHash, VerifierKey};

use crate::d;

// The example key and note from the documentation of golang.org/x/mod/sumdb/note, the reference
// implementation of the C2SP signed-note format.
const GO_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const GO_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const GO_TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

#[test]
fn signed_note_matches_go_reference_byte_for_byte() {
    let signer: NoteSigner = GO_SKEY.parse().unwrap();
    assert_eq!(signer.to_private_string(), GO_SKEY);
    assert_eq!(signer.verifier().to_string(), GO_VKEY);
    assert_eq!(signer.sign(GO_TEXT).unwrap(), GO_NOTE);
    let vkey: VerifierKey = GO_VKEY.parse().unwrap();
    assert_eq!(vkey, signer.verifier());
    assert_eq!(vkey.verify(GO_NOTE).unwrap(), GO_TEXT);
    assert!(!format!("{signer:?}").contains("AYEK"), "Debug must not print the key");
}

fn sample() -> (NoteSigner, Checkpoint, String) {
    let signer = NoteSigner::from_seed("rightsgate.example/ledger", [42; 32]).unwrap();
    let root =
        RootHash::new(8, d("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"));
    let cp = Checkpoint::new("rightsgate.example/ledger", root).unwrap();
    let note = cp.sign(&signer).unwrap();
    (signer, cp, note)
}

#[test]
fn checkpoint_round_trip() {
    let (signer, cp, note) = sample();
    assert!(note.starts_with(
        "rightsgate.example/ledger\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n\u{2014} rightsgate.example/ledger "
    ));
    let back = Checkpoint::from_signed_note(&note, &signer.verifier()).unwrap();
    assert_eq!(back, cp);
    assert_eq!(Checkpoint::from_note_unverified(&note).unwrap(), cp);
    let vkey: VerifierKey = signer.verifier().to_string().parse().unwrap();
    assert_eq!(Checkpoint::from_signed_note(&note, &vkey).unwrap(), cp);
    let again: NoteSigner = signer.to_private_string().parse().unwrap();
    assert_eq!(again.sign(&cp.body()).unwrap(), note);
}

#[test]
fn every_single_byte_change_to_a_signed_checkpoint_is_rejected() {
    let (signer, cp, note) = sample();
    let vkey = signer.verifier();
    let bytes = note.as_bytes();
    for i in 0..bytes.len() {
        for delta in [1u8, 0x20] {
            let mut bad = bytes.to_vec();
            bad[i] ^= delta;
            let Ok(bad) = String::from_utf8(bad) else { continue };
            if let Ok(got) = Checkpoint::from_signed_note(&bad, &vkey) {
                panic!("byte {i} ^ {delta} accepted: {got:?} (original {cp:?})");
            }
        }
    }
}

#[test]
fn wrong_key_and_malformed_notes_are_rejected() {
    let (_, _, note) = sample();
    let other = NoteSigner::from_seed("rightsgate.example/ledger", [43; 32]).unwrap();
    assert_eq!(
        Checkpoint::from_signed_note(&note, &other.verifier()),
        Err(ledger::CheckpointError::Note(NoteError::Unsigned("rightsgate.example/ledger".into())))
    );
    let vkey = NoteSigner::from_seed("rightsgate.example/ledger", [42; 32]).unwrap().verifier();
    for bad in ["", "\n\n", "a\n", "a\n\n", "a\n\n\u{2014} x AAAA\n", &note.replace('\n', "\r\n")] {
        assert!(vkey.verify(bad).is_err(), "{bad:?}");
    }
    for body in [
        "",
        "o\n",
        "o\n1\n",
        "o\n01\nAA==\n",
        "o\n1\nAA==\n",
        "\n1\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
    ] {
        assert!(Checkpoint::parse_body(body).is_err(), "{body:?}");
    }
    let ok = Checkpoint::parse_body("o\n1\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\next\n")
        .unwrap();
    assert_eq!(ok.extensions(), ["ext".to_owned()]);
}

#[test]
fn key_strings_are_checked() {
    assert!(NoteSigner::from_seed("has space", [1; 32]).is_err());
    assert!(NoteSigner::from_seed("has+plus", [1; 32]).is_err());
    assert!(NoteSigner::from_seed("", [1; 32]).is_err());
    // Every single-character change to the Go verifier key is rejected or changes the key.
    let good: VerifierKey = GO_VKEY.parse().unwrap();
    let b = GO_VKEY.as_bytes();
    for i in 0..b.len() {
        let mut bad = b.to_vec();
        bad[i] = bad[i].wrapping_add(1);
        let Ok(bad) = String::from_utf8(bad) else { continue };
        if let Ok(k) = bad.parse::<VerifierKey>() {
            assert_ne!(k, good, "byte {i}");
        }
    }
    assert!("PeterNeumann+c74f20a3".parse::<VerifierKey>().is_err());
    assert!("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        .parse::<VerifierKey>()
        .is_err());
}
