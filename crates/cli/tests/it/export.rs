//! `rightsgate ledger export DIR`: the ledger as C2SP tlog-tiles static files, which a reader
//! verifies from the files alone; incremental (full tiles are written once), and refused when the
//! directory holds a checkpoint the ledger does not extend.

use std::path::Path;

use assert_cmd::Command;
use ledger::{tiles, Checkpoint, MemoryTree, TilePath, TileSet, VerifierKey};

fn rightsgate() -> Command {
    Command::cargo_bin("rightsgate").unwrap()
}

fn leaf(i: u64) -> String {
    format!("{{\"leaf\":{i}}}")
}

/// Appends leaves `from..to` through `ledger append`.
pub(crate) fn append(dir: &Path, db: &str, from: u64, to: u64) {
    let file = dir.join(format!("leaves-{from}.txt"));
    let text: String = (from..to).map(|i| leaf(i) + "\n").collect();
    std::fs::write(&file, text).unwrap();
    rightsgate().args(["ledger", "append", "--db", db]).arg(&file).assert().success();
}

/// Generates a key named `origin`; returns its file and verifier key.
pub(crate) fn keygen(dir: &Path, origin: &str) -> (std::path::PathBuf, String) {
    let key = dir.join(format!("{}.key", origin.replace('/', "_")));
    let out = rightsgate()
        .args(["ledger", "keygen", "--origin", origin, "--out"])
        .arg(&key)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    (key, String::from_utf8(out).unwrap().trim().to_owned())
}

/// Runs `ledger export` and returns its JSON summary.
pub(crate) fn export(db: &str, key: &Path, out: &Path) -> serde_json::Value {
    let stdout = rightsgate()
        .args(["ledger", "export", "--db", db, "--key"])
        .arg(key)
        .arg(out)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&stdout).unwrap()
}

/// Checks the exported directory from its files alone: the checkpoint's signature, every tile and
/// bundle against the reference tree, and the root computed from the tiles.
fn check_dir(out: &Path, vkey: &str, size: u64) {
    let vkey: VerifierKey = vkey.parse().unwrap();
    let note = std::fs::read_to_string(out.join("checkpoint")).unwrap();
    let cp = Checkpoint::from_signed_note(&note, &vkey).unwrap();
    assert_eq!(cp.root().size(), size);
    let mut tree = MemoryTree::new();
    for i in 0..size {
        tree.push(leaf(i).as_bytes());
    }
    assert_eq!(*cp.root(), tree.root());
    let mut set = TileSet::new(size);
    for tile in tiles(size) {
        let bytes = std::fs::read(out.join(tile.path())).unwrap();
        set.insert(tile, &bytes).unwrap();
        if tile.level() == 0 {
            let bundle =
                std::fs::read(out.join(TilePath::entries(tile).unwrap().to_string())).unwrap();
            let entries = ledger::decode_bundle(tile, &bundle).unwrap();
            let hashes = ledger::decode_hashes(tile, &bytes).unwrap();
            let first = tile.first_leaf().unwrap();
            for (k, (e, h)) in entries.iter().zip(&hashes).enumerate() {
                assert_eq!(*e, leaf(first + k as u64).as_bytes());
                assert_eq!(ledger::leaf_hash(e), *h);
            }
        }
    }
    assert_eq!(set.root().unwrap(), *cp.root());
}

#[test]
fn export_writes_a_verifiable_tiled_log_incrementally() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("l.db").display());
    let (key, vkey) = keygen(dir.path(), "example.org/rightsgate");
    let out = dir.path().join("www");

    // An empty ledger: a checkpoint of size 0 and no tiles.
    let s = export(&db, &key, &out);
    assert_eq!((s["tree_size"].as_u64(), s["written"].as_u64()), (Some(0), Some(1)));
    check_dir(&out, &vkey, 0);

    append(dir.path(), &db, 0, 600);
    let s = export(&db, &key, &out);
    // Tiles 0/000, 0/001, 0/002.p/88 and 1/000.p/2, three bundles, the checkpoint.
    assert_eq!((s["written"].as_u64(), s["skipped"].as_u64()), (Some(8), Some(0)));
    check_dir(&out, &vkey, 600);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(out.join("tile/0/000")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }

    // Again: full tiles and bundles are left alone, the right edge and checkpoint rewritten.
    let s = export(&db, &key, &out);
    assert_eq!((s["written"].as_u64(), s["skipped"].as_u64()), (Some(4), Some(4)));

    append(dir.path(), &db, 600, 800);
    let s = export(&db, &key, &out);
    // New: tile and bundle 0/002 (now full), 0/003.p/32 and its bundle, 1/000.p/3, the checkpoint.
    assert_eq!((s["written"].as_u64(), s["skipped"].as_u64()), (Some(6), Some(4)));
    check_dir(&out, &vkey, 800);
    // No temporary file is left behind.
    let leftovers = walk(&out).into_iter().filter(|p| p.contains(".export-")).count();
    assert_eq!(leftovers, 0);
}

#[test]
fn export_refuses_a_directory_of_another_log() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("a.db").display());
    let other = format!("sqlite://{}?mode=rwc", dir.path().join("b.db").display());
    let (key, _) = keygen(dir.path(), "example.org/rightsgate");
    let out = dir.path().join("www");
    append(dir.path(), &db, 0, 10);
    append(dir.path(), &other, 5, 20);
    export(&db, &key, &out);
    let before = std::fs::read(out.join("checkpoint")).unwrap();
    let files = walk(&out);
    // Another ledger does not extend this directory's checkpoint: exit 3, nothing written.
    rightsgate()
        .args(["ledger", "export", "--db", &other, "--key"])
        .arg(&key)
        .arg(&out)
        .assert()
        .code(3)
        .stderr(predicates::str::contains("is not a checkpoint of this ledger"));
    assert_eq!(std::fs::read(out.join("checkpoint")).unwrap(), before);
    assert_eq!(walk(&out), files);
    // A checkpoint signed by another key is refused too.
    let (key2, _) = keygen(dir.path(), "example.org/other");
    rightsgate()
        .args(["ledger", "export", "--db", &db, "--key"])
        .arg(&key2)
        .arg(&out)
        .assert()
        .code(3)
        .stderr(predicates::str::contains("is not a checkpoint signed by key `example.org/other`"));
    // A missing key file is an operational failure naming it; a malformed one is invalid input.
    rightsgate()
        .args(["ledger", "export", "--db", &db, "--key"])
        .arg(dir.path().join("nope.key"))
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("nope.key"));
    let bad = dir.path().join("bad.key");
    std::fs::write(&bad, "not a key\n").unwrap();
    rightsgate()
        .args(["ledger", "export", "--db", &db, "--key"])
        .arg(&bad)
        .arg(&out)
        .assert()
        .code(2);
}

/// Every file under `dir`, relative, sorted.
pub(crate) fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}
