//! The operator's side of witnessing: a checkpoint offered to witnesses (in process here) is kept once a
//! quorum of cosignatures verifies; a witness that saw an older checkpoint gets a consistency proof; a
//! witness that saw another log's history refuses, and too few cosignatures keep nothing.

use app::cosign::{cosign_current, CosignError, Link, Policy, Witness};
use ledger::{Cosigner, NoteSigner};
use store::Store;
use time::OffsetDateTime;

const ORIGIN: &str = "rightsgate.example/ledger";

async fn witness(name: &str, seed: u8, log: &NoteSigner, dir: &std::path::Path) -> Witness {
    let cosigner = Cosigner::from_seed(name, [seed; 32]).unwrap();
    let mut logs = witness::Logs::new();
    logs.add(ORIGIN, log.verifier());
    let state = witness::State::open(&dir.join(name)).await.unwrap();
    Witness {
        verifier: cosigner.verifier(),
        link: Link::Local(witness::Witness::new(cosigner, logs, state)),
    }
}

#[tokio::test]
async fn a_quorum_of_witnesses_cosigns_the_growing_ledger_and_a_fork_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display()))
        .await
        .unwrap();
    let log = NoteSigner::from_seed(ORIGIN, [1; 32]).unwrap();
    let now = OffsetDateTime::now_utc();
    let policy = Policy {
        witnesses: vec![
            witness("w1.example", 2, &log, dir.path()).await,
            witness("w2.example", 3, &log, dir.path()).await,
        ],
        quorum: 2,
    };
    store.append_leaves(&[b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]).await.unwrap();
    let first = cosign_current(&store, &log, ORIGIN, &policy, now).await.unwrap();
    assert_eq!((first.size, first.witnesses.len()), (3, 2), "{first:?}");
    ledger::verify_quorum(&first.note, &log.verifier(), &policy.verifiers(), 2).unwrap();
    assert_eq!(store.latest_cosigned_checkpoint().await.unwrap(), Some((3, first.note.clone())));

    // The ledger grows: each witness answers 409 with the size it holds, then checks a consistency proof.
    store.append_leaves(&[b"d".to_vec(), b"e".to_vec()]).await.unwrap();
    let second = cosign_current(&store, &log, ORIGIN, &policy, now).await.unwrap();
    assert_eq!(second.size, 5);
    ledger::verify_quorum(&second.note, &log.verifier(), &policy.verifiers(), 2).unwrap();

    // The same witnesses offered another history of this log (a split view) refuse it: no quorum, nothing kept.
    let forked =
        Store::connect(&format!("sqlite://{}?mode=rwc", dir.path().join("fork.db").display()))
            .await
            .unwrap();
    forked
        .append_leaves(&[
            b"a".to_vec(),
            b"b".to_vec(),
            b"X".to_vec(),
            b"d".to_vec(),
            b"e".to_vec(),
            b"f".to_vec(),
        ])
        .await
        .unwrap();
    let err = cosign_current(&forked, &log, ORIGIN, &policy, now).await.unwrap_err();
    match err {
        CosignError::Quorum { have, need, refusals } => {
            assert_eq!((have, need, refusals.len()), (0, 2, 2), "{refusals:?}");
        }
        other => panic!("expected a quorum failure, got {other}"),
    }
    assert_eq!(forked.latest_cosigned_checkpoint().await.unwrap(), None);

    // A quorum the witnesses cannot reach keeps nothing either.
    let unreachable = Policy {
        witnesses: vec![Witness {
            verifier: Cosigner::from_seed("w3.example", [4; 32]).unwrap().verifier(),
            link: Link::Http("http://127.0.0.1:9/add-checkpoint".into()),
        }],
        quorum: 1,
    };
    store.append_leaves(&[b"g".to_vec()]).await.unwrap();
    assert!(matches!(
        cosign_current(&store, &log, ORIGIN, &unreachable, now).await,
        Err(CosignError::Quorum { have: 0, .. })
    ));
    assert_eq!(store.latest_cosigned_checkpoint().await.unwrap().map(|c| c.0), Some(5));
}
