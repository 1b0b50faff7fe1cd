//! Crash safety of `rightsgate ingest`: kill -9 at random points, restart, and check that every acknowledged
//! request is stored exactly once and the ledger verifies. Ten kills by default; `RIGHTSGATE_QUICK=1` runs three.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use store::{Filter, Store};

pub(crate) fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rightsgate"))
}

pub(crate) fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../rules/tests/conformance")
}

pub(crate) fn rightsgate(data: &Path) -> Command {
    let mut cmd = Command::new(bin());
    cmd.env("RIGHTSGATE_DATA_DIR", data);
    cmd
}

fn ingest(data: &Path, requests: &Path, ack: &Path) -> Command {
    let mut cmd = rightsgate(data);
    cmd.arg("ingest")
        .arg(requests)
        .arg("--lawpacks")
        .arg(corpus().join("lawpacks"))
        .arg("--policy")
        .arg(corpus().join("policies/default.toml"))
        .args(["--batch", "50", "--quiet", "--ack"])
        .arg(ack)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// Stored cases by (state, authority, reference), with how often each is stored; and the ledger size.
async fn stored(data: &Path) -> (BTreeMap<String, usize>, u64, u64) {
    let url = format!("sqlite://{}?mode=rwc", data.join("rightsgate.db").display());
    let store = Store::connect(&url).await.unwrap();
    let mut counts = BTreeMap::new();
    for case in store.cases(&Filter { limit: Some(1_000_000), ..Filter::default() }).await.unwrap()
    {
        *counts
            .entry(format!("{}\t{}\t{}", case.requesting_state, case.authority, case.reference))
            .or_insert(0) += 1;
    }
    let report = store.verify_ledger(None).await.expect("the ledger verifies after a crash");
    let size = store.tree_size().await.unwrap();
    let cases = store.case_count().await.unwrap();
    store.close().await;
    assert_eq!(report.root.size(), size);
    (counts, size, cases)
}

fn acknowledged(ack: &Path) -> Vec<String> {
    std::fs::read_to_string(ack).unwrap_or_default().lines().map(str::to_owned).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_ingest_loses_no_acknowledged_request_and_stores_none_twice() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(rightsgate(&data).arg("init").stdout(Stdio::null()).status().unwrap().success());
    let requests = dir.path().join("requests.jsonl");
    let generated = rightsgate(&data)
        .args(["gen", "--n", "6000", "--seed", "7", "--lawpacks"])
        .arg(corpus().join("lawpacks"))
        .arg("--policy")
        .arg(corpus().join("policies/default.toml"))
        .output()
        .unwrap();
    assert!(generated.status.success());
    std::fs::write(&requests, &generated.stdout).unwrap();
    let total = generated.stdout.iter().filter(|&&b| b == b'\n').count();
    let ack = dir.path().join("ack.txt");

    // How long an uninterrupted ingest takes here, on a scratch data directory: the kills land within it, so
    // the test does not depend on how fast this machine is.
    let scratch = dir.path().join("scratch");
    assert!(rightsgate(&scratch).arg("init").stdout(Stdio::null()).status().unwrap().success());
    let started = std::time::Instant::now();
    assert!(ingest(&scratch, &requests, &dir.path().join("scratch-ack.txt"))
        .status()
        .unwrap()
        .success());
    let full = u64::try_from(started.elapsed().as_millis()).unwrap().max(20);

    let runs = if std::env::var_os("RIGHTSGATE_QUICK").is_some() { 3 } else { 10 };
    // A small deterministic generator for the kill points, so a failure can be replayed.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut interrupted = 0;
    // One batch of 50 takes about this long; each kill lands at a random point within the batch after one to
    // three more batches were acknowledged, so kills follow the run's progress and not this machine's speed
    // (a resumed run reads and screens every line again before it reaches what is missing).
    let batch_ms = (full / (total as u64 / 50).max(1)).max(1);
    for run in 0..runs {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let target = acknowledged(&ack).len() + 50 * (1 + (seed >> 33) as usize % 3);
        let jitter = (seed >> 40) % batch_ms;
        let mut child = ingest(&data, &requests, &ack).spawn().unwrap();
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if acknowledged(&ack).len() >= target {
                tokio::time::sleep(Duration::from_millis(jitter)).await;
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let _ = child.kill(); // SIGKILL: no destructors, no flushes (an error if it already ended).
        child.wait().unwrap();
        let (counts, size, cases) = stored(&data).await;
        for key in acknowledged(&ack) {
            assert_eq!(
                counts.get(&key),
                Some(&1),
                "run {run}: acknowledged {key} is not stored exactly once"
            );
        }
        assert!(counts.values().all(|&n| n == 1), "run {run}: a request is stored twice");
        assert_eq!(
            size,
            2 * cases,
            "run {run}: every stored case has exactly its two intake leaves"
        );
        interrupted += usize::from((cases as usize) < total);
    }
    assert!(
        interrupted >= runs / 2,
        "only {interrupted} of {runs} kills landed before the ingest finished"
    );
    assert!(!acknowledged(&ack).is_empty(), "no batch was acknowledged before the kills");

    // Restarting to the end takes in exactly what is missing.
    assert!(ingest(&data, &requests, &ack).status().unwrap().success());
    let (counts, size, cases) = stored(&data).await;
    assert_eq!(cases as usize, total);
    assert_eq!(counts.len(), total);
    assert_eq!(size, 2 * cases);
}
