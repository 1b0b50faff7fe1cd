//! The durable witness: state survives a restart, racing requests never roll the state back, and forks are
//! kept as evidence.

use std::path::Path;

use witness::{AddError, Refusal, State, Witness};

use crate::{cosignature_time, cosigner, logs, Log, ORIGIN};

async fn open(dir: &Path) -> Witness {
    Witness::new(cosigner(), logs(), State::open(dir).await.unwrap())
}

fn refusal(result: Result<String, AddError>) -> Refusal {
    match result {
        Err(AddError::Refused(r)) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn the_state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::honest(30);
    let fork = Log::branch(30, 10, "fork");
    {
        let w = open(dir.path()).await;
        let lines = w.add_checkpoint(log.request(0, 12).as_bytes(), 100).await.unwrap();
        assert_eq!(cosignature_time(&log.note(12), &lines), 100);
        w.add_checkpoint(log.request(12, 20).as_bytes(), 200).await.unwrap();
        w.state().close().await;
    }
    let w = open(dir.path()).await;
    let latest = w.state().latest(ORIGIN).await.unwrap().unwrap();
    assert_eq!(latest.root, log.tree.root_at(20).unwrap());
    assert_eq!(latest.timestamp, 200);
    assert!(latest.note.starts_with(&log.note(20)));
    // After the restart: the fork, a rollback and a stale old size are refused; the honest log goes on.
    assert_eq!(refusal(w.add_checkpoint(fork.request(20, 20).as_bytes(), 300).await).status(), 409);
    assert_eq!(refusal(w.add_checkpoint(fork.request(20, 30).as_bytes(), 300).await).status(), 422);
    assert_eq!(
        refusal(w.add_checkpoint(log.request(12, 15).as_bytes(), 300).await),
        Refusal::OldMismatch { old: 12, latest: 20 }
    );
    // The clock went back across the restart: the cosignature keeps the later time.
    let lines = w.add_checkpoint(log.request(20, 30).as_bytes(), 150).await.unwrap();
    assert_eq!(cosignature_time(&log.note(30), &lines), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_requests_from_one_old_size_cosign_exactly_one() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::honest(64);
    let w = open(dir.path()).await;
    w.add_checkpoint(log.request(0, 8).as_bytes(), 1).await.unwrap();
    for round in 0..5u64 {
        let old = w.state().latest(ORIGIN).await.unwrap().unwrap().root.size();
        let mut tasks = Vec::new();
        for new in old + 1..=old + 8 {
            let (w, body) = (w.clone(), log.request(old, new));
            tasks.push(tokio::spawn(
                async move { (new, w.add_checkpoint(body.as_bytes(), 2).await) },
            ));
        }
        let mut won = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                (new, Ok(_)) => won.push(new),
                (_, Err(AddError::Refused(Refusal::OldMismatch { old: o, latest }))) => {
                    assert_eq!(o, old);
                    assert!(latest > old, "round {round}: refused with the old size itself");
                }
                (new, Err(e)) => panic!("round {round}: size {new}: {e}"),
            }
        }
        assert_eq!(won.len(), 1, "round {round}: cosigned {won:?} from one old size");
        let latest = w.state().latest(ORIGIN).await.unwrap().unwrap();
        assert_eq!(latest.root, log.tree.root_at(won[0]).unwrap());
    }
}

#[tokio::test]
async fn forks_and_bad_proofs_are_kept_once_as_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::honest(10);
    let fork = Log::branch(12, 4, "fork");
    let w = open(dir.path()).await;
    w.add_checkpoint(log.request(0, 8).as_bytes(), 1).await.unwrap();
    for _ in 0..3 {
        refusal(w.add_checkpoint(fork.request(8, 8).as_bytes(), 2).await);
        refusal(w.add_checkpoint(fork.request(8, 12).as_bytes(), 2).await);
    }
    // Not evidence: a stale old size, or a checkpoint the log did not sign.
    refusal(w.add_checkpoint(log.request(4, 9).as_bytes(), 2).await);
    let evidence = w.state().evidence().await.unwrap();
    let statuses: Vec<u16> = evidence.iter().map(|e| e.status).collect();
    assert_eq!(statuses.len(), 2);
    assert!(statuses.contains(&409) && statuses.contains(&422), "{statuses:?}");
    assert!(evidence.iter().all(|e| e.origin == ORIGIN && e.request.contains(&fork.note(8)[..20])));
}
