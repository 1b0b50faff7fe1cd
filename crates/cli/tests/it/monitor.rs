//! `rightsgate monitor` over exported tile directories: it accepts a log that grows consistently, and exits 3
//! (keeping what it saw) on a split view, a rollback, a tampered tile or entry, a wrong key and a missing
//! quorum of cosignatures.

use std::path::Path;

use assert_cmd::Command;

use crate::export::{append, export, keygen};

fn monitor(source: &Path, state: &Path, vkey: &str, extra: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("rightsgate")
        .unwrap()
        .arg("monitor")
        .arg(source)
        .arg("--state")
        .arg(state)
        .args(["--log-key", vkey, "--entries"])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A ledger whose leaves are `{"leaf":i}` for `0..common` and then `{"fork":i}` up to `to`.
fn forked(dir: &Path, name: &str, common: u64, to: u64) -> String {
    let db = format!("sqlite://{}?mode=rwc", dir.join(format!("{name}.db")).display());
    append(dir, &db, 0, common);
    let file = dir.join(format!("{name}-fork.txt"));
    std::fs::write(&file, (common..to).map(|i| format!("{{\"fork\":{i}}}\n")).collect::<String>())
        .unwrap();
    Command::cargo_bin("rightsgate")
        .unwrap()
        .args(["ledger", "append", "--db", &db])
        .arg(&file)
        .assert()
        .success();
    db
}

#[test]
fn the_monitor_follows_a_growing_log_and_catches_a_split_view_and_a_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let (key, vkey) = keygen(dir.path(), "example.org/rightsgate");
    let honest = format!("sqlite://{}?mode=rwc", dir.path().join("honest.db").display());
    let www = dir.path().join("www");
    let state = dir.path().join("state");

    append(dir.path(), &honest, 0, 300);
    export(&honest, &key, &www);
    let (code, out, err) = monitor(&www, &state, &vkey, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("300 leaves, first run") && out.contains("300 entries checked"), "{out}");

    append(dir.path(), &honest, 300, 700);
    export(&honest, &key, &www);
    let (code, out, err) = monitor(&www, &state, &vkey, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("300 -> 700 leaves, consistent"), "{out}");
    let seen = std::fs::read(state.join("seen.json")).unwrap();

    // The same log key signs another history for this monitor: a split view.
    let fork = forked(dir.path(), "fork", 650, 900);
    let other = dir.path().join("other");
    export(&fork, &key, &other);
    let (code, _, err) = monitor(&other, &state, &vkey, &[]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("split view"), "{err}");
    assert_eq!(
        std::fs::read(state.join("seen.json")).unwrap(),
        seen,
        "a failed run keeps what was seen"
    );

    // A shorter tree than the one seen: a rollback.
    let short = format!("sqlite://{}?mode=rwc", dir.path().join("short.db").display());
    append(dir.path(), &short, 0, 500);
    let old = dir.path().join("old");
    export(&short, &key, &old);
    let (code, _, err) = monitor(&old, &state, &vkey, &[]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("rollback"), "{err}");

    // Tampering with a tile or an entry, from a fresh monitor.
    for (file, what) in [("tile/0/001", "tile"), ("tile/entries/000", "entry")] {
        let copy = dir.path().join(format!("tampered-{what}"));
        copy_dir(&www, &copy);
        let path = copy.join(file);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[10] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        let (code, _, err) = monitor(&copy, &dir.path().join(format!("fresh-{what}")), &vkey, &[]);
        assert_eq!(code, 3, "{what}: {err}");
        assert!(err.contains("tiles:"), "{what}: {err}");
    }

    // Another key, or a quorum of witnesses that did not cosign.
    let (_, stranger) = keygen(dir.path(), "example.org/other");
    let (code, _, err) = monitor(&www, &dir.path().join("s1"), &stranger, &[]);
    assert_eq!(code, 3, "{err}");
    let witness =
        ledger::Cosigner::from_seed("witness.example", [5; 32]).unwrap().verifier().to_string();
    let (code, _, err) = monitor(&www, &dir.path().join("s2"), &vkey, &["--witness", &witness]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("checkpoint:"), "{err}");
    let (code, _, err) = monitor(&www, &dir.path().join("s3"), "not a key", &[]);
    assert_eq!(code, 2, "{err}");
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in walk(from) {
        let target = to.join(entry.strip_prefix(from).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&entry, &target).unwrap();
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// `ledger checkpoint --witness` against a `witness serve` process: the printed note carries the witness's
/// cosignature and verifies with the quorum; an unreachable witness leaves the quorum unmet (exit 3).
#[test]
fn ledger_checkpoint_gathers_a_cosignature_from_a_running_witness() {
    let dir = tempfile::tempdir().unwrap();
    let (key, vkey) = keygen(dir.path(), "example.org/rightsgate");
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("l.db").display());
    append(dir.path(), &db, 0, 40);
    let wkey = dir.path().join("witness.key");
    let init = Command::cargo_bin("rightsgate")
        .unwrap()
        .args(["witness", "init", "--name", "witness.example", "--key"])
        .arg(&wkey)
        .output()
        .unwrap();
    assert!(init.status.success());
    let wvkey = String::from_utf8(init.stdout).unwrap().trim().to_owned();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = std::process::Command::new(assert_cmd::cargo::cargo_bin("rightsgate"))
        .args(["witness", "serve", "--key"])
        .arg(&wkey)
        .args(["--log", &format!("example.org/rightsgate={vkey}"), "--state"])
        .arg(dir.path().join("wstate"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed().as_secs() < 30, "the witness did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let checkpoint = |witness: &str| {
        Command::cargo_bin("rightsgate")
            .unwrap()
            .args(["ledger", "checkpoint", "--db", &db, "--key"])
            .arg(&key)
            .args(["--witness", witness])
            .output()
            .unwrap()
    };
    let out = checkpoint(&format!("{wvkey}=http://127.0.0.1:{port}/add-checkpoint"));
    let _ = server.kill();
    let _ = server.wait();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let note = String::from_utf8(out.stdout).unwrap();
    let log: ledger::VerifierKey = vkey.parse().unwrap();
    let witness: ledger::CosignatureVerifier = wvkey.parse().unwrap();
    ledger::verify_quorum(&note, &log, &[witness], 1).expect("the printed checkpoint is co-signed");

    let out = checkpoint(&format!("{wvkey}=http://127.0.0.1:{port}/add-checkpoint"));
    assert_eq!(
        out.status.code(),
        Some(3),
        "the witness is gone: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("0 of the 1 cosignatures needed"));
}

/// Issue 13's end-to-end check: `serve --demo` publishes tiles and a checkpoint co-signed by its witness, and
/// `rightsgate monitor http://…/ledger/` verifies it, entries included.
#[test]
fn the_demo_publishes_a_co_signed_ledger_that_the_monitor_verifies() {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = std::process::Command::new(assert_cmd::cargo::cargo_bin("rightsgate"))
        .args(["serve", "--demo", "--demo-requests", "30", "--addr", &format!("127.0.0.1:{port}")])
        .arg("--lawpacks")
        .arg(crate::crash::corpus().join("lawpacks"))
        .arg("--policy")
        .arg(crate::crash::corpus().join("policies/default.toml"))
        .env("RIGHTSGATE_DATA_DIR", dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(server.stdout.take().unwrap());
    let (mut log, mut witness) = (String::new(), String::new());
    for line in stdout.lines() {
        let line = line.unwrap();
        if let Some(k) = line.strip_prefix("ledger verifier key: ") {
            log = k.to_owned();
        }
        if let Some(k) = line.strip_prefix("witness verifier key: ") {
            witness = k.to_owned();
        }
        if line.starts_with("rightsgate listening on") {
            break;
        }
    }
    let out = Command::cargo_bin("rightsgate")
        .unwrap()
        .arg("monitor")
        .arg(format!("http://127.0.0.1:{port}/ledger/"))
        .arg("--state")
        .arg(dir.path().join("monitor"))
        .args(["--log-key", &log, "--witness", &witness, "--entries"])
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("co-signed by witness.demo") && text.contains("first run"), "{text}");
}

/// A report on the co-signed checkpoint names it with its cosignatures, and `report verify --witness` checks
/// the quorum as well as every number.
#[test]
fn a_report_on_the_co_signed_checkpoint_verifies_with_its_quorum() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let rg = |args: &[&str]| {
        let mut cmd = Command::cargo_bin("rightsgate").unwrap();
        cmd.env("RIGHTSGATE_DATA_DIR", &data).args(args);
        cmd
    };
    assert!(rg(&["init"]).output().unwrap().status.success());
    let corpus = crate::crash::corpus();
    let (lawpacks, policy) = (corpus.join("lawpacks"), corpus.join("policies/default.toml"));
    let generated = rg(&[
        "gen",
        "--n",
        "200",
        "--lawpacks",
        lawpacks.to_str().unwrap(),
        "--policy",
        policy.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    let requests = dir.path().join("r.jsonl");
    std::fs::write(&requests, generated.stdout).unwrap();
    let ingested = rg(&[
        "ingest",
        requests.to_str().unwrap(),
        "--quiet",
        "--lawpacks",
        lawpacks.to_str().unwrap(),
        "--policy",
        policy.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert!(ingested.status.success());
    let key = data.join("ledger.key");
    let checkpoint = String::from_utf8(
        rg(&["ledger", "checkpoint", "--key", key.to_str().unwrap()]).output().unwrap().stdout,
    )
    .unwrap();
    let origin = checkpoint.lines().next().unwrap().to_owned();
    let log_vkey = {
        let text = std::fs::read_to_string(&key).unwrap();
        text.trim().parse::<ledger::NoteSigner>().unwrap().verifier().to_string()
    };
    // A witness serving add-checkpoint; `ledger checkpoint --witness` keeps the co-signed note in the store.
    let wkey = dir.path().join("w.key");
    let init =
        rg(&["witness", "init", "--name", "witness.example", "--key", wkey.to_str().unwrap()])
            .output()
            .unwrap();
    let wvkey = String::from_utf8(init.stdout).unwrap().trim().to_owned();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = std::process::Command::new(assert_cmd::cargo::cargo_bin("rightsgate"))
        .args([
            "witness",
            "serve",
            "--key",
            wkey.to_str().unwrap(),
            "--log",
            &format!("{origin}={log_vkey}"),
        ])
        .arg("--state")
        .arg(dir.path().join("ws"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed().as_secs() < 30, "the witness did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let cosigned = rg(&[
        "ledger",
        "checkpoint",
        "--key",
        key.to_str().unwrap(),
        "--witness",
        &format!("{wvkey}=http://127.0.0.1:{port}/add-checkpoint"),
    ])
    .output()
    .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    assert!(cosigned.status.success(), "{}", String::from_utf8_lossy(&cosigned.stderr));

    let out = dir.path().join("report");
    let made = rg(&[
        "report",
        "--cosigned",
        "--from",
        "2020-01-01",
        "--to",
        "2030-12-31",
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
    ])
    .output()
    .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let report = out.join("report.json");
    let ok =
        rg(&["report", "verify", report.to_str().unwrap(), "--witness", &wvkey]).output().unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("\"cosigned_by\":[\"witness.example\"]"));
    let other =
        ledger::Cosigner::from_seed("witness.other", [6; 32]).unwrap().verifier().to_string();
    let refused =
        rg(&["report", "verify", report.to_str().unwrap(), "--witness", &other]).output().unwrap();
    assert_eq!(refused.status.code(), Some(3), "{}", String::from_utf8_lossy(&refused.stderr));
}
