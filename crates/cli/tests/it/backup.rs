//! `rightsgate backup` while an ingest writes, then `rightsgate restore`: the restored ledger verifies, every
//! checkpoint taken before the backup is a prefix of it (its root recomputes and a consistency proof holds), and
//! the replaced database is kept.

use std::path::Path;
use std::process::{Command, Stdio};

use store::Store;

use crate::crash::{corpus, rightsgate};

fn gen(data: &Path, n: &str, seed: &str, to: &Path) {
    let out = rightsgate(data)
        .args(["gen", "--n", n, "--seed", seed, "--lawpacks"])
        .arg(corpus().join("lawpacks"))
        .arg("--policy")
        .arg(corpus().join("policies/default.toml"))
        .output()
        .unwrap();
    assert!(out.status.success());
    std::fs::write(to, out.stdout).unwrap();
}

fn ingest(data: &Path, file: &Path) -> Command {
    let mut cmd = rightsgate(data);
    cmd.arg("ingest")
        .arg(file)
        .arg("--lawpacks")
        .arg(corpus().join("lawpacks"))
        .arg("--policy")
        .arg(corpus().join("policies/default.toml"))
        .args(["--quiet", "--batch", "100"])
        .stdout(Stdio::null());
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_online_backup_restores_to_a_ledger_consistent_with_earlier_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(rightsgate(&data).arg("init").stdout(Stdio::null()).status().unwrap().success());
    let (first, second) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    gen(&data, "400", "1", &first);
    gen(&data, "3000", "2", &second);
    assert!(ingest(&data, &first).status().unwrap().success());
    let url = format!("sqlite://{}?mode=rwc", data.join("rightsgate.db").display());
    let store = Store::connect(&url).await.unwrap();
    let published = store.root_at(store.tree_size().await.unwrap()).await.unwrap();
    store.close().await;

    // The backup is taken while another ingest writes.
    let mut writer = ingest(&data, &second).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let backup = dir.path().join("backup.db");
    let out = rightsgate(&data).args(["backup", "--out"]).arg(&backup).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(writer.wait().unwrap().success());
    let again = rightsgate(&data).args(["backup", "--out"]).arg(&backup).output().unwrap();
    assert_eq!(again.status.code(), Some(2), "a backup never overwrites a file");

    // Restoring over a live store needs --force; the replaced store is kept.
    let refused = rightsgate(&data).arg("restore").arg(&backup).output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let restored = rightsgate(&data).arg("restore").arg(&backup).arg("--force").output().unwrap();
    assert!(restored.status.success(), "{}", String::from_utf8_lossy(&restored.stderr));
    assert!(data.join("rightsgate.db.before-restore").exists());

    let store = Store::connect(&url).await.unwrap();
    let report = store.verify_ledger(None).await.expect("the restored ledger verifies");
    let size = report.root.size();
    assert!(size >= published.size(), "the backup holds at least what was published before it");
    assert_eq!(store.root_at(published.size()).await.unwrap(), published);
    let proof = store.consistency_proof(published.size(), size).await.unwrap();
    report
        .root
        .verify_consistency(&published, &proof.proof)
        .expect("the published checkpoint is a prefix");
    let cases = store.case_count().await.unwrap();
    assert_eq!(size, 2 * cases, "no half-written batch in the backup");
    store.close().await;

    // A damaged backup is refused and nothing is replaced.
    let damaged = dir.path().join("damaged.db");
    let mut bytes = std::fs::read(&backup).unwrap();
    let len = bytes.len();
    bytes.truncate(len / 2);
    std::fs::write(&damaged, bytes).unwrap();
    std::fs::remove_file(data.join("rightsgate.db.before-restore")).unwrap();
    let before = std::fs::read(data.join("rightsgate.db")).unwrap();
    let out = rightsgate(&data).arg("restore").arg(&damaged).arg("--force").output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("backup"), "{stderr}");
    assert!(!data.join("rightsgate.db.before-restore").exists(), "nothing was moved aside");
    assert_eq!(std::fs::read(data.join("rightsgate.db")).unwrap(), before);
}
