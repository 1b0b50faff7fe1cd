//! Crash safety of the server's group-commit intake (issue 14): `serve` is killed with SIGKILL at random
//! moments while concurrent clients submit requests, ten times (three with `RIGHTSGATE_QUICK=1`); after each
//! kill every request answered 201 (or 200 "already stored") is stored exactly once, nothing is stored twice or
//! half (two intake leaves per case), and the ledger verifies; a last run without a kill takes in the rest.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use store::{Filter, Store};

use crate::scale_out::{loader, serve, submit, HttpClient};

/// Stored references with their counts, the ledger size and the case count; the ledger must verify.
async fn stored(data: &Path) -> (BTreeMap<String, usize>, u64, u64) {
    let url = format!("sqlite://{}?mode=rwc", data.join("rightsgate.db").display());
    let store = Store::connect(&url).await.unwrap();
    let mut counts = BTreeMap::new();
    for case in store.cases(&Filter { limit: Some(1_000_000), ..Filter::default() }).await.unwrap()
    {
        *counts.entry(case.reference).or_insert(0) += 1;
    }
    store.verify_ledger(None).await.expect("the ledger verifies after a kill");
    let (size, cases) = (store.tree_size().await.unwrap(), store.case_count().await.unwrap());
    store.close().await;
    (counts, size, cases)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_no_acknowledged_request_and_stores_none_twice() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (token, generated) = loader(&data, None, 4000, 21);
    let bodies: Vec<(String, String)> = generated
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let mut request: serde_json::Value = serde_json::from_str(line).unwrap();
            let reference = format!("CRASH-{i:05}");
            request["reference"] = reference.clone().into();
            (reference, request.to_string())
        })
        .collect();
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let acknowledged: Arc<Mutex<BTreeSet<String>>> = Arc::default();

    let runs = if std::env::var_os("RIGHTSGATE_QUICK").is_some() { 3 } else { 10 };
    let mut seed: u64 = 0x5851_f42d_4c95_7f2d;
    let mut interrupted = 0;
    for run in 0..=runs {
        let last = run == runs;
        let (mut child, addr) = serve(&data, None);
        // This run's requests: some not yet acknowledged, and some acknowledged before (which must not be
        // stored again); the last run sends everything still unacknowledged.
        let (pending, done): (Vec<usize>, Vec<usize>) = {
            let acknowledged = acknowledged.lock().unwrap();
            (0..bodies.len()).partition(|&i| !acknowledged.contains(&bodies[i].0))
        };
        let share = if last { pending.len() } else { 400.min(pending.len()) };
        let batch: Vec<usize> =
            done.into_iter().step_by(97).chain(pending.into_iter().take(share)).collect();
        let queue = Arc::new(Mutex::new(batch));
        let mut workers = Vec::new();
        for _ in 0..16 {
            let (queue, client, addr, token, acknowledged) =
                (queue.clone(), client.clone(), addr.clone(), token.clone(), acknowledged.clone());
            let bodies = bodies.clone();
            workers.push(tokio::spawn(async move {
                loop {
                    let Some(i) = queue.lock().unwrap().pop() else { break };
                    let (reference, body) = &bodies[i];
                    match submit(&client, &addr, &token, body.clone()).await {
                        Some(200 | 201) => {
                            acknowledged.lock().unwrap().insert(reference.clone());
                        }
                        Some(status) => panic!("{reference}: status {status}"),
                        None => break, // the server is gone
                    }
                }
            }));
        }
        if last {
            for w in workers {
                w.await.unwrap();
            }
            child.kill().unwrap();
        } else {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            tokio::time::sleep(Duration::from_millis(50 + (seed >> 33) % 700)).await;
            interrupted += usize::from(!queue.lock().unwrap().is_empty());
            child.kill().unwrap(); // SIGKILL, while clients are mid-request
            for w in workers {
                w.await.unwrap();
            }
        }
        child.wait().unwrap();
        let (counts, size, cases) = stored(&data).await;
        for reference in acknowledged.lock().unwrap().iter() {
            assert_eq!(
                counts.get(reference),
                Some(&1),
                "run {run}: acknowledged {reference} is not stored once"
            );
        }
        assert!(counts.values().all(|&n| n == 1), "run {run}: a request is stored twice");
        assert_eq!(size, 2 * cases, "run {run}: a case without exactly its two intake leaves");
    }
    assert!(
        interrupted >= runs / 2,
        "only {interrupted} of {runs} kills landed while requests were in flight"
    );
    let (counts, _, cases) = stored(&data).await;
    assert_eq!(cases as usize, bodies.len(), "the last run takes in every request");
    assert_eq!(counts.len(), bodies.len());
    assert_eq!(acknowledged.lock().unwrap().len(), bodies.len());
}
