//! Interop with an implementation nobody here wrote: the Go team's `golang.org/x/mod/sumdb/note`
//! and `golang.org/x/mod/sumdb/tlog`, driven by `interop/go/tlogcheck`, verify an exported ledger
//! (checkpoint signature, every tile against the root, inclusion of every entry, consistency with
//! an older checkpoint) and the server's `/ledger` routes over HTTP, and reject tampered files.
//!
//! Needs `go` and Debian's `golang-golang-x-mod-dev`. With `RIGHTSGATE_REQUIRE_GO=1` (CI) a missing
//! toolchain fails the tests; otherwise they say they are skipped and pass.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use crate::export::{append, export, keygen};

/// Where Debian's golang-golang-x-mod-dev installs its sources (a GOPATH).
const GOPATH: &str = "/usr/share/gocode";

/// The built `tlogcheck`, or `None` (after saying why) when Go is not installed and not required.
fn tlogcheck() -> Option<&'static Path> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let built = BUILT.get_or_init(build);
    let required = std::env::var("RIGHTSGATE_REQUIRE_GO").is_ok_and(|v| v == "1");
    match built {
        Ok(path) => Some(path),
        Err(why) => {
            assert!(!required, "RIGHTSGATE_REQUIRE_GO=1 but {why}");
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED Go interop tests: {why}; install the Debian packages `golang-go` and `golang-golang-x-mod-dev` to run them"
            );
            None
        }
    }
}

fn build() -> Result<PathBuf, String> {
    let has_go = Command::new("go").arg("version").output().is_ok_and(|o| o.status.success());
    if !has_go {
        return Err("`go` is not installed".to_owned());
    }
    if !Path::new(GOPATH).join("src/golang.org/x/mod/sumdb/tlog").is_dir() {
        return Err(format!("`{GOPATH}/src/golang.org/x/mod` is missing"));
    }
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let out = tmp.join("tlogcheck");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../interop/go/tlogcheck");
    let o = Command::new("go")
        .args(["build", "-o"])
        .arg(&out)
        .arg(".")
        .current_dir(&src)
        .env("GOPATH", GOPATH)
        .env("GO111MODULE", "off")
        .env("GOCACHE", tmp.join("gocache"))
        .env("GOFLAGS", "")
        .output()
        .map_err(|e| format!("running `go build`: {e}"))?;
    // A build failure of our own program is a failure, never a skip.
    assert!(o.status.success(), "go build failed: {}", String::from_utf8_lossy(&o.stderr));
    Ok(out)
}

fn run(tool: &Path, args: &[&str]) -> Output {
    Command::new(tool).args(args).output().unwrap()
}

fn ok(o: &Output) -> String {
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "tlogcheck failed: {out}{err}");
    out.into_owned()
}

fn fails(o: &Output, says: &str) {
    fails_saying_one_of(o, &[says]);
}

fn fails_saying_one_of(o: &Output, says: &[&str]) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "tlogcheck should fail: {err}");
    assert!(says.iter().any(|s| err.contains(s)), "tlogcheck should say one of {says:?}: {err}");
}

/// Flips one byte of `path` at `at`; returns the original bytes.
fn flip(path: &Path, at: usize) -> Vec<u8> {
    let orig = std::fs::read(path).unwrap();
    let mut bytes = orig.clone();
    bytes[at] ^= 0x01;
    std::fs::write(path, bytes).unwrap();
    orig
}

#[test]
fn go_tlog_verifies_an_exported_ledger_and_its_growth() {
    let Some(tool) = tlogcheck() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("l.db").display());
    let (key, vkey) = keygen(dir.path(), "example.org/rightsgate");
    let www = dir.path().join("www");
    let www_s = www.to_str().unwrap();

    append(dir.path(), &db, 0, 1000);
    export(&db, &key, &www);
    let out = ok(&run(tool, &["-vkey", &vkey, "-dir", www_s]));
    assert!(out.contains("size=1000 ") && out.contains("entries_checked=1000 "), "{out}");
    let old = dir.path().join("old-checkpoint");
    std::fs::copy(www.join("checkpoint"), &old).unwrap();

    // Past 65,536 leaves: full level-1 tiles and a partial level-2 tile.
    append(dir.path(), &db, 1000, 66_000);
    export(&db, &key, &www);
    let out = ok(&run(
        tool,
        &["-vkey", &vkey, "-dir", www_s, "-old", old.to_str().unwrap(), "-sample", "97"],
    ));
    assert!(out.contains("size=66000 ") && out.contains("consistent_from=1000"), "{out}");
}

#[test]
fn go_tlog_rejects_tampered_files() {
    let Some(tool) = tlogcheck() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("l.db").display());
    let (key, vkey) = keygen(dir.path(), "example.org/rightsgate");
    let www = dir.path().join("www");
    let www_s = www.to_str().unwrap();
    append(dir.path(), &db, 0, 1000);
    export(&db, &key, &www);
    let check = || run(tool, &["-vkey", &vkey, "-dir", www_s]);
    ok(&check());

    // Any byte of a tile of hashes: tlog's tile reader finds the tiles no longer hash up to the
    // signed root, or (where x/mod 0.7.0's reader leaves a full tile unauthenticated, when the
    // root's tiles are fewer than the root's subtrees) the proof built from it fails against it.
    for (file, at) in [("tile/0/001", 0), ("tile/0/000", 8191), ("tile/0/003.p/232", 100)] {
        let path = www.join(file);
        let orig = flip(&path, at);
        fails_saying_one_of(&check(), &["inconsistent tile", "is not in the tree"]);
        std::fs::write(&path, orig).unwrap();
    }
    // A byte of an entry: the entry is not in the tree.
    let bundle = www.join("tile/entries/001");
    let orig = flip(&bundle, 10);
    fails(&check(), "entry 256 is not in the tree");
    std::fs::write(&bundle, orig).unwrap();
    // A missing tile.
    let tile = www.join("tile/1/000.p/3");
    let orig = std::fs::read(&tile).unwrap();
    std::fs::remove_file(&tile).unwrap();
    fails(&check(), "reading tile/1/000.p/3");
    std::fs::write(&tile, orig).unwrap();
    // The checkpoint: a changed root breaks the signature; another key does not verify it.
    let cp = www.join("checkpoint");
    let text = std::fs::read_to_string(&cp).unwrap();
    let root_line = text.lines().nth(2).unwrap().to_owned();
    let other_root = if root_line.starts_with('A') { "B" } else { "A" };
    std::fs::write(&cp, text.replacen(&root_line, &format!("{other_root}{}", &root_line[1..]), 1))
        .unwrap();
    fails(&check(), "checkpoint signature");
    std::fs::write(&cp, &text).unwrap();
    let (_, other_vkey) = keygen(dir.path(), "example.org/other");
    fails(&run(tool, &["-vkey", &other_vkey, "-dir", www_s]), "checkpoint signature");
    ok(&check());

    // An older checkpoint, signed by the same key, of a different ledger: not a prefix.
    let fork_db = format!("sqlite://{}?mode=rwc", dir.path().join("fork.db").display());
    append(dir.path(), &fork_db, 7, 507);
    let fork = dir.path().join("fork");
    export(&fork_db, &key, &fork);
    let out = run(
        tool,
        &["-vkey", &vkey, "-dir", www_s, "-old", fork.join("checkpoint").to_str().unwrap()],
    );
    fails(&out, "is not a prefix of the current tree");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_tlog_verifies_the_server_over_http() {
    let Some(tool) = tlogcheck() else { return };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("s.db").display());
    let store = store::Store::connect(&url).await.unwrap();
    let leaves: Vec<Vec<u8>> = (0..700u32).map(|i| format!("leaf {i}").into_bytes()).collect();
    store.append_leaves(&leaves).await.unwrap();
    let signer = ledger::NoteSigner::from_seed("example.org/rightsgate", [5; 32]).unwrap();
    let vkey = signer.verifier().to_string();
    let conformance = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/tests/conformance");
    let ctx = app::inputs::load_context(
        &conformance.join("lawpacks"),
        &conformance.join("policies/default.toml"),
    )
    .unwrap();
    let config = server::Config {
        signer: Some(signer),
        origin: "example.org/rightsgate".to_owned(),
        ..server::Config::default()
    };
    let state = server::AppState::new(store, store::Sealer::new(&[1; store::KEY_LEN]), ctx, config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            server::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    let base = format!("http://{addr}/ledger");
    let tool = tool.to_owned();
    let out = tokio::task::spawn_blocking(move || run(&tool, &["-vkey", &vkey, "-url", &base]))
        .await
        .unwrap();
    let out = ok(&out);
    assert!(out.contains("size=700 ") && out.contains("entries_checked=700 "), "{out}");
}
