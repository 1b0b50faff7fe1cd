//! `rightsgate key rotate` under kill -9: after every kill each case opens with the old or the new key, every
//! other command refuses the unfinished rotation, and a rerun finishes it with the old key destroyed. Ten
//! kills by default; `RIGHTSGATE_QUICK=1` runs three.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use store::{Filter, Sealer, Store};

use crate::crash::{corpus, rightsgate};

fn rotate(data: &Path) -> Command {
    let mut cmd = rightsgate(data);
    cmd.args(["key", "rotate", "--batch", "20"]).stdout(Stdio::null()).stderr(Stdio::null());
    cmd
}

fn sealer(path: &Path) -> Option<Sealer> {
    let bytes = std::fs::read(path).ok()?;
    Some(Sealer::new(&bytes.try_into().ok()?))
}

/// Every case's sealed data opens with one of `keys` (the test reads each case with each key); returns how many
/// opened with the first.
async fn every_case_opens(data: &Path, keys: &[Sealer]) -> (usize, usize) {
    let url = format!("sqlite://{}?mode=rwc", data.join("rightsgate.db").display());
    let store = Store::connect(&url).await.unwrap();
    let cases = store.cases(&Filter { limit: Some(1_000_000), ..Filter::default() }).await.unwrap();
    let mut first = 0;
    for case in &cases {
        let mut refused = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            match store.case(key, &case.id).await {
                Ok(view) => {
                    assert!(view.request.is_some(), "case {} lost its request", case.id);
                    first += usize::from(i == 0);
                    break;
                }
                Err(e) => refused.push(e.to_string()),
            }
        }
        assert!(refused.len() < keys.len(), "case {} opens with no key: {refused:?}", case.id);
    }
    store.verify_ledger(None).await.expect("the ledger verifies");
    store.close().await;
    (cases.len(), first)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_rotation_leaves_every_case_readable_and_a_rerun_finishes_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(rightsgate(&data).arg("init").stdout(Stdio::null()).status().unwrap().success());
    let generated = rightsgate(&data)
        .args(["gen", "--n", "1000", "--seed", "11", "--lawpacks"])
        .arg(corpus().join("lawpacks"))
        .arg("--policy")
        .arg(corpus().join("policies/default.toml"))
        .output()
        .unwrap();
    assert!(generated.status.success());
    let requests = dir.path().join("requests.jsonl");
    std::fs::write(&requests, &generated.stdout).unwrap();
    let ingest = rightsgate(&data)
        .arg("ingest")
        .arg(&requests)
        .arg("--lawpacks")
        .arg(corpus().join("lawpacks"))
        .arg("--policy")
        .arg(corpus().join("policies/default.toml"))
        .arg("--quiet")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(ingest.success());
    let key = data.join("rightsgate.key");
    let (new, old) = (data.join("rightsgate.key.new"), data.join("rightsgate.key.old"));
    let original = std::fs::read(&key).unwrap();
    let url = format!("sqlite://{}?mode=rwc", data.join("rightsgate.db").display());
    let store = Store::connect(&url).await.unwrap();
    let first =
        store.cases(&Filter { limit: Some(1), ..Filter::default() }).await.unwrap()[0].id.clone();
    store.close().await;

    // How long an uninterrupted rotation takes here, on a copy, so the kills land within it.
    let scratch = dir.path().join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    for file in ["rightsgate.db", "rightsgate.key", "ledger.key"] {
        std::fs::copy(data.join(file), scratch.join(file)).unwrap();
    }
    let started = std::time::Instant::now();
    assert!(rotate(&scratch).status().unwrap().success());
    let full = u64::try_from(started.elapsed().as_millis()).unwrap().max(20);

    let runs = if std::env::var_os("RIGHTSGATE_QUICK").is_some() { 3 } else { 10 };
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut interrupted = 0;
    for run in 0..runs {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        // Between 2 % and 60 % of a full run: later kills would mostly find it finished.
        let delay = full / 50 + (seed >> 33) % (full * 3 / 5);
        let mut child = rotate(&data).spawn().unwrap();
        tokio::time::sleep(Duration::from_millis(delay)).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let unfinished = new.exists() || old.exists();
        interrupted += usize::from(unfinished);
        // Every case opens with the old key or the new one, whichever files the kill left.
        let keys: Vec<Sealer> = [&new, &key, &old].into_iter().filter_map(|p| sealer(p)).collect();
        let (cases, _) = every_case_opens(&data, &keys).await;
        assert_eq!(cases, 1000, "run {run}");
        if unfinished {
            // Nothing may use the store under either key meanwhile.
            let refused = rightsgate(&data).args(["case", "show", &first]).output().unwrap();
            assert!(
                !refused.status.success(),
                "run {run}: `case show` ran during an unfinished rotation"
            );
            assert!(
                String::from_utf8_lossy(&refused.stderr)
                    .contains("run `rightsgate key rotate` to finish it"),
                "run {run}: {}",
                String::from_utf8_lossy(&refused.stderr)
            );
        }
    }
    assert!(interrupted >= runs / 2, "only {interrupted} of {runs} kills interrupted a rotation");

    // A rerun finishes: one key file, every case under it, the original key gone.
    if new.exists() || old.exists() {
        assert!(rotate(&data).status().unwrap().success());
    }
    assert!(!new.exists() && !old.exists());
    let current = std::fs::read(&key).unwrap();
    assert_ne!(current, original, "the key was not rotated");
    let only = sealer(&key).unwrap();
    let (cases, under_current) = every_case_opens(&data, &[only]).await;
    assert_eq!((cases, under_current), (1000, 1000));
    let url = format!("sqlite://{}?mode=rwc", data.join("rightsgate.db").display());
    let store = Store::connect(&url).await.unwrap();
    let any =
        store.cases(&Filter { limit: Some(1), ..Filter::default() }).await.unwrap()[0].id.clone();
    let original = Sealer::new(&original.try_into().unwrap());
    assert!(store.case(&original, &any).await.is_err(), "the old key still opens a case");
    store.close().await;
    let listed = rightsgate(&data).args(["case", "show", &first]).output().unwrap();
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
}
