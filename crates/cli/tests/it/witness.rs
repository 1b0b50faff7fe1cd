//! `rightsgate witness`: key generation, offline cosigning with its exit codes, and crash safety of
//! `witness serve` under kill -9 while two clients race an honest log and a fork of it.
//! Eight kills by default; `RIGHTSGATE_QUICK=1` runs three.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ledger::{Checkpoint, CosignatureVerifier, MemoryTree, NoteSigner, RootHash};
use witness::AddCheckpoint;

use crate::crash::bin;

const ORIGIN: &str = "rightsgate.example/ledger";
/// Leaves both branches share; after them the fork differs.
const SHARED: u64 = 8;
/// The largest size either branch grows to.
const MAX: u64 = 3000;

/// A log that signed two branches: the honest tree and a fork sharing its first [`SHARED`] leaves.
struct Log {
    signer: NoteSigner,
    honest: MemoryTree,
    fork: MemoryTree,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Branch {
    Honest,
    Fork,
}

impl Log {
    fn new(n: u64) -> Self {
        let signer = NoteSigner::from_seed(ORIGIN, [42; 32]).unwrap();
        let (mut honest, mut fork) = (MemoryTree::new(), MemoryTree::new());
        for i in 0..n {
            honest.push(format!("leaf {i}").as_bytes());
            let leaf = if i < SHARED { format!("leaf {i}") } else { format!("forked leaf {i}") };
            fork.push(leaf.as_bytes());
        }
        Self { signer, honest, fork }
    }

    fn tree(&self, branch: Branch) -> &MemoryTree {
        match branch {
            Branch::Honest => &self.honest,
            Branch::Fork => &self.fork,
        }
    }

    fn root(&self, branch: Branch, size: u64) -> RootHash {
        self.tree(branch).root_at(size).unwrap()
    }

    fn note(&self, branch: Branch, size: u64) -> String {
        Checkpoint::new(ORIGIN, self.root(branch, size)).unwrap().sign(&self.signer).unwrap()
    }

    fn request(&self, branch: Branch, old: u64, new: u64) -> String {
        let proof = if old == 0 {
            ledger::ConsistencyProof::default()
        } else {
            self.tree(branch).consistency_proof(old, new).unwrap()
        };
        AddCheckpoint { old, proof, note: self.note(branch, new) }.to_body()
    }

    fn vkey_flag(&self) -> String {
        format!("{ORIGIN}={}", self.signer.verifier())
    }
}

/// `witness init` in `dir`: the key file and the verifier key it printed.
fn init(dir: &Path) -> (PathBuf, CosignatureVerifier) {
    let key = dir.join("witness.key");
    let out = Command::new(bin())
        .args(["witness", "init", "--name", "oversight.example/witness", "--key"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let vkey = String::from_utf8(out.stdout).unwrap().trim().parse().unwrap();
    (key, vkey)
}

/// Checks `line` is a cosignature by `vkey` of `note`.
fn check_cosignature(note: &str, line: &str, log: &Log, vkey: &CosignatureVerifier) {
    let full = format!("{note}{line}");
    ledger::verify_quorum(&full, &log.signer.verifier(), std::slice::from_ref(vkey), 1)
        .unwrap_or_else(|e| panic!("cosignature {line:?} does not verify: {e}"));
}

#[test]
fn witness_init_writes_an_owner_only_key_and_never_overwrites_it() {
    let dir = tempfile::tempdir().unwrap();
    let (key, vkey) = init(dir.path());
    assert_eq!(vkey.name(), "oversight.example/witness");
    let text = std::fs::read_to_string(&key).unwrap();
    assert!(text.starts_with("PRIVATE+KEY+oversight.example/witness+"));
    let cosigner: ledger::Cosigner = text.trim().parse().unwrap();
    assert_eq!(cosigner.verifier(), vkey);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let again = Command::new(bin())
        .args(["witness", "init", "--name", "other.example/w", "--key"])
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&key).unwrap(), text);
    let bad = Command::new(bin())
        .args(["witness", "init", "--name", "has space", "--key"])
        .arg(dir.path().join("other.key"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--name"));
}

#[test]
fn witness_add_cosigns_offline_and_refuses_rollbacks_and_forks() {
    let dir = tempfile::tempdir().unwrap();
    let (key, vkey) = init(dir.path());
    let log = Log::new(200);
    let state = dir.path().join("state");
    let add = |old: u64, proof: Option<String>, note: &str| {
        let cp = dir.path().join("checkpoint.txt");
        std::fs::write(&cp, note).unwrap();
        let mut cmd = Command::new(bin());
        cmd.args(["witness", "add", "--key"])
            .arg(&key)
            .args(["--log", &log.vkey_flag(), "--state"])
            .arg(&state)
            .args(["--old", &old.to_string(), "--checkpoint"])
            .arg(&cp);
        if let Some(proof) = proof {
            let p = dir.path().join("proof.txt");
            std::fs::write(&p, proof).unwrap();
            cmd.arg("--proof").arg(p);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let base64_lines = |old: u64, new: u64, branch: Branch| {
        let proof = log.tree(branch).consistency_proof(old, new).unwrap();
        let req = AddCheckpoint { old, proof, note: String::new() }.to_body();
        req.lines().skip(1).map(|l| format!("{l}\n")).collect::<String>()
    };

    let note = log.note(Branch::Honest, 50);
    let (code, line, _) = add(0, None, &note);
    assert_eq!(code, Some(0));
    check_cosignature(&note, &line, &log, &vkey);

    // Extend with a proof of base64 lines, then with the JSON `ledger consistency` prints.
    let note = log.note(Branch::Honest, 80);
    let (code, line, err) = add(50, Some(base64_lines(50, 80, Branch::Honest)), &note);
    assert_eq!(code, Some(0), "{err}");
    check_cosignature(&note, &line, &log, &vkey);
    let hashes: Vec<String> = log
        .honest
        .consistency_proof(80, 100)
        .unwrap()
        .hashes()
        .iter()
        .map(ToString::to_string)
        .collect();
    let json = serde_json::json!({"old_size": 80, "new_size": 100, "hashes": hashes}).to_string();
    let note = log.note(Branch::Honest, 100);
    let (code, line, err) = add(80, Some(json), &note);
    assert_eq!(code, Some(0), "{err}");
    check_cosignature(&note, &line, &log, &vkey);

    // A rollback, whether offered from the witness's size or from an older one: exit 2 naming --old.
    let (code, out, err) = add(100, None, &log.note(Branch::Honest, 90));
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert!(err.contains("--old") && err.contains("`100`"), "{err}");
    let (code, _, err) =
        add(80, Some(base64_lines(80, 90, Branch::Honest)), &log.note(Branch::Honest, 90));
    assert_eq!(code, Some(2));
    assert!(err.contains("latest cosigned size `100`"), "{err}");
    // The fork at the same size, and at a larger size with the fork's own proof: exit 3.
    let (code, _, err) = add(100, None, &log.note(Branch::Fork, 100));
    assert_eq!(code, Some(3));
    assert!(err.contains("forked"), "{err}");
    let (code, _, err) =
        add(100, Some(base64_lines(100, 150, Branch::Fork)), &log.note(Branch::Fork, 150));
    assert_eq!(code, Some(3));
    assert!(err.starts_with("rightsgate: --proof"), "{err}");
    // Invalid input names its flag.
    let (code, _, err) = add(100, Some("not base64\n".into()), &log.note(Branch::Honest, 150));
    assert_eq!(code, Some(2));
    assert!(err.contains("--proof") && err.contains("line 1"), "{err}");
    let bad_log = Command::new(bin())
        .args(["witness", "add", "--key"])
        .arg(&key)
        .args(["--log", "no-equals-sign", "--state"])
        .arg(&state)
        .args(["--old", "0", "--checkpoint", "/dev/null"])
        .output()
        .unwrap();
    assert_eq!(bad_log.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_log.stderr).contains("--log `no-equals-sign`"));
    // Nothing refused moved the state: the honest log goes on from 100.
    let note = log.note(Branch::Honest, 120);
    let (code, line, _) = add(100, Some(base64_lines(100, 120, Branch::Honest)), &note);
    assert_eq!(code, Some(0));
    check_cosignature(&note, &line, &log, &vkey);
}

/// A running `rightsgate witness serve` and the address it listens on.
fn serve(key: &Path, log: &Log, state: &Path) -> (Child, SocketAddr) {
    let mut child = Command::new(bin())
        .args(["witness", "serve", "--key"])
        .arg(key)
        .args(["--log", &log.vkey_flag(), "--state"])
        .arg(state)
        .args(["--listen", "127.0.0.1:0"])
        .env("RIGHTSGATE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .parse()
        .unwrap();
    (child, addr)
}

/// One `POST /add-checkpoint` over a fresh connection: the status and body, or an error if the witness died
/// before the whole answer arrived.
fn post(addr: SocketAddr, body: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    stream.set_nodelay(true)?;
    // One write: pieces written separately would wait on delayed ACKs.
    let request = format!(
        "POST /add-checkpoint HTTP/1.1\r\nHost: witness\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes())?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let broken = || std::io::Error::other("incomplete response");
    let (head, body) = response.split_once("\r\n\r\n").ok_or_else(broken)?;
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(broken)?;
    let length: usize = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ").map(str::to_owned))
        .and_then(|l| l.trim().parse().ok())
        .ok_or_else(broken)?;
    if body.len() != length {
        return Err(broken());
    }
    Ok((status, body.to_owned()))
}

/// A cosignature the witness handed out: which branch, what size.
#[derive(Debug, Clone, Copy)]
struct Handed {
    branch: Branch,
    size: u64,
}

/// Sends checkpoints of `branch` until the witness stops answering, and records each cosignature handed out.
fn client(
    addr: SocketAddr,
    log: &Log,
    vkey: &CosignatureVerifier,
    branch: Branch,
    mut seed: u64,
    handed: &Mutex<Vec<Handed>>,
) {
    let mut old = 0;
    loop {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let new = (old + 1 + (seed >> 33) % 4).min(MAX);
        let Ok((status, body)) = post(addr, &log.request(branch, old, new)) else { return };
        match status {
            200 => {
                check_cosignature(&log.note(branch, new), &body, log, vkey);
                handed.lock().unwrap().push(Handed { branch, size: new });
                old = new;
            }
            // Another client moved the witness: learn its size and go on from there.
            409 => old = body.trim().parse().unwrap(),
            // The witness holds the other branch: this one has no valid proof from it.
            422 => {}
            other => panic!("unexpected status {other}: {body}"),
        }
        if old == MAX {
            return;
        }
    }
}

/// The branch a cosigned size and root lie on (`None` inside the shared prefix, where both agree).
fn branch_of(log: &Log, root: &RootHash) -> Option<Branch> {
    if root.size() <= SHARED {
        assert_eq!(root, &log.root(Branch::Honest, root.size()), "a root on neither branch");
        None
    } else if root == &log.root(Branch::Honest, root.size()) {
        Some(Branch::Honest)
    } else {
        assert_eq!(root, &log.root(Branch::Fork, root.size()), "a root on neither branch");
        Some(Branch::Fork)
    }
}

async fn latest(state: &Path) -> RootHash {
    let s = witness::State::open(state).await.unwrap();
    let latest = s.latest(ORIGIN).await.unwrap().map_or_else(RootHash::empty, |l| l.root);
    s.close().await;
    latest
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_witness_never_cosigns_two_inconsistent_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let (key, vkey) = init(dir.path());
    let state = dir.path().join("state");
    let log = Arc::new(Log::new(MAX));
    let handed = Arc::new(Mutex::new(Vec::<Handed>::new()));
    let runs = if std::env::var_os("RIGHTSGATE_QUICK").is_some() { 3 } else { 8 };
    // A small deterministic generator for the kill delays, so a failure can be replayed.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for run in 0..runs {
        let (mut child, addr) = serve(&key, &log, &state);
        // Three racing clients, two of them on the honest branch in even runs and on the fork in odd ones.
        let third = if run % 2 == 0 { Branch::Honest } else { Branch::Fork };
        let clients: Vec<_> = [(Branch::Honest, 1), (Branch::Fork, 2), (third, 3)]
            .into_iter()
            .map(|(branch, s)| {
                let (log, handed, vkey) = (Arc::clone(&log), Arc::clone(&handed), vkey.clone());
                std::thread::spawn(move || {
                    client(addr, &log, &vkey, branch, s * 7919 + run, &handed);
                })
            })
            .collect();
        // Kill at a random point after this run's first cosignature, however slow the machine is.
        let before = handed.lock().unwrap().len();
        let started = std::time::Instant::now();
        while handed.lock().unwrap().len() == before && !clients.iter().all(|c| c.is_finished()) {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "run {run}: no cosignature in 2 min"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        tokio::time::sleep(Duration::from_millis((seed >> 33) % 400)).await;
        child.kill().unwrap(); // SIGKILL: no destructors, no flushes.
        child.wait().unwrap();
        for c in clients {
            c.join().unwrap();
        }
        // The state is never behind a cosignature handed out, and every cosignature lies on its branch.
        let latest = latest(&state).await;
        let held = branch_of(&log, &latest);
        for h in handed.lock().unwrap().iter() {
            assert!(
                h.size <= latest.size(),
                "run {run}: cosigned {h:?} but the state holds {latest:?}"
            );
            if h.size > SHARED {
                assert_eq!(
                    Some(h.branch),
                    held,
                    "run {run}: cosigned {h:?} off the state's branch"
                );
            }
        }
    }
    let handed = handed.lock().unwrap().clone();
    assert!(handed.len() >= runs as usize, "only {} cosignatures in {runs} runs", handed.len());

    // After the last kill: the other branch is refused at the held size and beyond, a rollback is refused,
    // and the held branch goes on with a cosignature that verifies.
    let (mut child, addr) = serve(&key, &log, &state);
    // SQLite lets this test read the state while the witness runs.
    let held_root = latest(&state).await;
    let held = branch_of(&log, &held_root).unwrap_or(Branch::Honest);
    let other = if held == Branch::Honest { Branch::Fork } else { Branch::Honest };
    let size = held_root.size();
    if size > SHARED {
        let (status, body) = post(addr, &log.request(other, size, size)).unwrap();
        assert_eq!((status, body), (409, format!("{size}\n")));
        if size < MAX {
            assert_eq!(post(addr, &log.request(other, size, MAX)).unwrap().0, 422);
        }
    }
    let (status, line) = post(addr, &log.request(held, size, MAX)).unwrap();
    assert_eq!(status, 200);
    check_cosignature(&log.note(held, MAX), &line, &log, &vkey);
    let (status, body) = post(addr, &log.request(held, 1, 2)).unwrap();
    assert_eq!((status, body), (409, format!("{MAX}\n")));
    child.kill().unwrap();
    child.wait().unwrap();
}
