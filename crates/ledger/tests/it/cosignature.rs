//! `cosignature/v1`: an independently computed vector, the spec's example, round trips with a quorum, and
//! tampering.

use ledger::cosignature::{signed_message, MAX_TIMESTAMP};
use ledger::{
    open_note, verify_cosigned, verify_quorum, Checkpoint, CosignatureError, CosignatureVerifier,
    Cosigner, KeyError, NoteError, NoteSigner, RootHash, VerifierKey,
};

use crate::d;

// Computed from the spec's text with Python's `cryptography` (OpenSSL's Ed25519), not with this crate:
// seed 32 × 0x07, name `witness.example.com/w1`, the spec's example checkpoint, timestamp 1679315147.
const SKEY: &str =
    "PRIVATE+KEY+witness.example.com/w1+8122a5ab+BAcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH";
const VKEY: &str = "witness.example.com/w1+8122a5ab+BOpKbGPinFIKvvVQexMuxfmVR3auvr57kkIe6mkURtIs";
const BODY: &str =
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
const LINE: &str = "\u{2014} witness.example.com/w1 gSKlqwAAAABkGFDLWr4Jea05CAgwNVtwky0Jgz6WfX0QJgM//FkB/W9BoT9TX0DkTxG+2cT4p/ViKNhUM/SnUwFcYQzugGFQ15LwDw==\n";

// The example of c2sp.org/tlog-cosignature (its public keys are not published, so only the framing is checked).
const SPEC_NOTE: &str = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n\u{2014} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n";
const SPEC_MESSAGE: &str = "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

#[test]
fn cosignature_matches_an_independently_computed_vector() {
    let cosigner: Cosigner = SKEY.parse().unwrap();
    assert_eq!(cosigner.to_private_string(), SKEY);
    assert_eq!(cosigner.verifier().to_string(), VKEY);
    assert_eq!(cosigner.cosign(BODY, 1_679_315_147).unwrap(), LINE);
    let vkey: CosignatureVerifier = VKEY.parse().unwrap();
    assert_eq!(vkey, cosigner.verifier());
    assert_eq!(vkey.key_id(), [0x81, 0x22, 0xa5, 0xab]);
    assert!(!format!("{cosigner:?}").contains("BAcH"), "Debug must not print the key");
}

#[test]
fn spec_example_cosignature_carries_its_timestamp_and_message() {
    assert_eq!(signed_message(BODY, 1_679_315_147), SPEC_MESSAGE);
    let (text, sigs) = open_note(SPEC_NOTE).unwrap();
    assert_eq!(text, BODY);
    let cosig = &sigs[1];
    assert_eq!(cosig.name, "witness.example.com/w1");
    assert_eq!(cosig.key_hash, [0x8d, 0x66, 0xcf, 0x3f]);
    assert_eq!(cosig.signature.len(), 8 + 64);
    let time = u64::from_be_bytes(cosig.signature[..8].try_into().unwrap());
    assert_eq!(time, 1_679_315_147);
}

struct Setup {
    log: NoteSigner,
    witnesses: Vec<Cosigner>,
    body: String,
    note: String,
}

fn setup() -> Setup {
    let log = NoteSigner::from_seed("rightsgate.example/ledger", [42; 32]).unwrap();
    let root =
        RootHash::new(8, d("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"));
    let checkpoint = Checkpoint::new("rightsgate.example/ledger", root).unwrap();
    let witnesses: Vec<Cosigner> = (1..=3u8)
        .map(|i| Cosigner::from_seed(&format!("witness.example/w{i}"), [i; 32]).unwrap())
        .collect();
    let body = checkpoint.body();
    let mut note = checkpoint.sign(&log).unwrap();
    for (i, w) in witnesses.iter().enumerate() {
        note.push_str(&w.cosign(&body, 1_700_000_000 + i as u64).unwrap());
    }
    Setup { log, witnesses, body, note }
}

fn verifiers(witnesses: &[Cosigner]) -> Vec<CosignatureVerifier> {
    witnesses.iter().map(Cosigner::verifier).collect()
}

#[test]
fn a_quorum_counts_distinct_known_witnesses_and_ignores_unknown_ones() {
    let s = setup();
    let all = verifiers(&s.witnesses);
    let cosigned = verify_quorum(&s.note, &s.log.verifier(), &all, 3).unwrap();
    assert_eq!(cosigned.text(), s.body);
    let times: Vec<u64> = cosigned.cosignatures().iter().map(|c| c.timestamp).collect();
    assert_eq!(times, [1_700_000_000, 1_700_000_001, 1_700_000_002]);
    assert_eq!(
        verify_quorum(&s.note, &s.log.verifier(), &all, 4),
        Err(CosignatureError::Quorum { have: 3, need: 4 })
    );
    // Only two keys known: the third line is ignored, not an error.
    let two = verify_cosigned(&s.note, &s.log.verifier(), &all[..2]).unwrap();
    assert_eq!(two.cosignatures().len(), 2);
    // A witness listed twice, or cosigning twice, still counts once (with its latest time).
    let mut twice = s.note.clone();
    twice.push_str(&s.witnesses[0].cosign(&s.body, 1_800_000_000).unwrap());
    let doubled = [all[0].clone(), all[0].clone()];
    let once = verify_cosigned(&twice, &s.log.verifier(), &doubled).unwrap();
    assert_eq!(once.cosignatures().len(), 1);
    assert_eq!(once.cosignatures()[0].timestamp, 1_800_000_000);
    // A stranger with a known witness's name but another key is ignored.
    let stranger = Cosigner::from_seed("witness.example/w1", [9; 32]).unwrap();
    let mut with_stranger = s.note.clone();
    with_stranger.push_str(&stranger.cosign(&s.body, 5).unwrap());
    assert_eq!(
        verify_cosigned(&with_stranger, &s.log.verifier(), &all).unwrap().cosignatures().len(),
        3
    );
}

#[test]
fn the_log_signature_is_required() {
    let s = setup();
    let other_log = NoteSigner::from_seed("rightsgate.example/ledger", [43; 32]).unwrap();
    assert_eq!(
        verify_cosigned(&s.note, &other_log.verifier(), &verifiers(&s.witnesses)),
        Err(NoteError::Unsigned("rightsgate.example/ledger".into()))
    );
}

#[test]
fn a_cosignature_over_another_checkpoint_rejects_the_note() {
    let s = setup();
    let other = Checkpoint::new(
        "rightsgate.example/ledger",
        RootHash::new(9, d("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")),
    )
    .unwrap();
    let mut note = other.sign(&s.log).unwrap();
    let (_, sigs) = open_note(&s.note).unwrap();
    // Move w1's cosignature of the size-8 checkpoint onto the size-9 one.
    let line = s.note.lines().find(|l| l.contains("witness.example/w1")).unwrap();
    assert_eq!(sigs.len(), 4);
    note.push_str(line);
    note.push('\n');
    assert_eq!(
        verify_cosigned(&note, &s.log.verifier(), &verifiers(&s.witnesses)),
        Err(NoteError::BadSignature("witness.example/w1".into()))
    );
}

#[test]
fn every_single_byte_change_to_a_cosigned_checkpoint_is_rejected() {
    let s = setup();
    let log = s.log.verifier();
    let known = verifiers(&s.witnesses);
    let bytes = s.note.as_bytes();
    // One bit per byte keeps this quick in debug builds; every byte of every line is covered.
    for i in 0..bytes.len() {
        let mut bad = bytes.to_vec();
        bad[i] ^= 0x01;
        let Ok(bad) = String::from_utf8(bad) else { continue };
        assert!(
            verify_quorum(&bad, &log, &known, 3).is_err(),
            "byte {i} ^ 0x01 still verifies with a full quorum"
        );
    }
}

#[test]
fn timestamps_above_2_pow_63_minus_1_are_refused() {
    let s = setup();
    let w = &s.witnesses[0];
    assert!(w.cosign(&s.body, MAX_TIMESTAMP).is_ok());
    assert_eq!(
        w.cosign(&s.body, MAX_TIMESTAMP + 1),
        Err(CosignatureError::Timestamp(MAX_TIMESTAMP + 1))
    );
}

#[test]
fn cosignature_keys_are_separate_from_note_keys() {
    // The same seed and name as a note key has another key ID (type byte 0x04, not 0x01).
    let note_key = NoteSigner::from_seed("witness.example/w1", [1; 32]).unwrap();
    let cosigner = Cosigner::from_seed("witness.example/w1", [1; 32]).unwrap();
    assert_ne!(note_key.verifier().key_hash(), cosigner.verifier().key_id());
    assert_eq!(
        cosigner.verifier().to_string().parse::<VerifierKey>(),
        Err(KeyError::Algorithm(0x04))
    );
    assert_eq!(
        note_key.verifier().to_string().parse::<CosignatureVerifier>(),
        Err(KeyError::Algorithm(0x01))
    );
    assert_eq!(
        note_key.to_private_string().parse::<Cosigner>().map(|c| c.name().to_owned()),
        Err(KeyError::Algorithm(0x01))
    );
    // A cosignature is not an ordinary note signature of the witness, and vice versa.
    let s = setup();
    let (_, sigs) = open_note(&s.note).unwrap();
    let plain = note_key.sign(&s.body).unwrap();
    let (_, plain_sigs) = open_note(&plain).unwrap();
    let mut forged = plain_sigs[0].clone();
    forged.key_hash = cosigner.verifier().key_id();
    assert!(cosigner.verifier().verify_signature(&s.body, &forged).is_err());
    assert_eq!(
        note_key.verifier().verify(&s.note),
        Err(NoteError::Unsigned("witness.example/w1".into()))
    );
    assert!(cosigner.verifier().verify_signature(&s.body, &sigs[1]).is_ok());
}
