//! `rightsgate user`: disabling and enabling accounts, issuing, listing and revoking API tokens, and database
//! passwords kept out of error messages.

use assert_cmd::Command;

struct Db {
    url: String,
    dir: tempfile::TempDir,
}

fn db() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("u.db").display());
    Db { url, dir }
}

impl Db {
    /// Runs `rightsgate user ARGS --db URL`; returns the exit code, stdout and stderr.
    fn user(&self, args: &[&str], stdin: &str) -> (i32, String, String) {
        let out = Command::cargo_bin("rightsgate")
            .unwrap()
            .env("RIGHTSGATE_DATA_DIR", self.dir.path())
            .arg("user")
            .args(args)
            .args(["--db", &self.url])
            .write_stdin(stdin)
            .output()
            .unwrap();
        let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
        (out.status.code().unwrap(), text(out.stdout), text(out.stderr))
    }

    async fn token_works(&self, token: &str) -> bool {
        let store = store::Store::connect(&self.url).await.unwrap();
        let found = store.api_token_user(token).await.unwrap().is_some();
        store.close().await;
        found
    }
}

#[tokio::test]
async fn disable_enable_and_tokens() {
    let db = db();
    let (code, _, err) =
        db.user(&["add", "ana", "--role", "approver", "--password-stdin"], "a long password 1\n");
    assert_eq!(code, 0, "{err}");

    // A token is printed once with its public id, listed by id, and revoked by id.
    let (code, out, err) = db.user(&["token", "create", "ana", "--label", "ci"], "");
    assert_eq!(code, 0, "{err}");
    let id = out.split('`').nth(1).unwrap().to_owned();
    let token = out.trim().rsplit(' ').next().unwrap().to_owned();
    assert_eq!(id, store::api_token_id(&token), "{out}");
    assert!(db.token_works(&token).await);
    let (code, out, _) = db.user(&["token", "list", "ana"], "");
    assert_eq!(code, 0);
    assert!(out.starts_with(&format!("{id}\tci\t")) && out.trim_end().ends_with("live"), "{out}");
    assert!(!out.contains(&token), "the token itself is never listed: {out}");
    let (code, _, err) = db.user(&["token", "revoke", "ana", &id], "");
    assert_eq!(code, 0, "{err}");
    assert!(!db.token_works(&token).await);
    let (_, out, _) = db.user(&["token", "list", "ana"], "");
    assert!(out.contains("\trevoked "), "{out}");
    let (code, _, err) = db.user(&["token", "revoke", "ana", "00000000"], "");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("account `ana` has no token `00000000`"), "{err}");

    // Disabling ends the live tokens at once and shows in the list; a disabled account gets no new token.
    let (_, out, _) = db.user(&["token", "create", "ana"], "");
    let second = out.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(db.token_works(&second).await);
    let (code, _, err) = db.user(&["disable", "ana"], "");
    assert_eq!(code, 0, "{err}");
    assert!(!db.token_works(&second).await);
    let (_, out, _) = db.user(&["list"], "");
    assert!(out.starts_with("ana\tapprover\tdisabled "), "{out}");
    let (code, _, err) = db.user(&["token", "create", "ana"], "");
    assert_eq!((code, err.trim()), (2, "rightsgate: account `ana` is disabled"));

    let (code, _, _) = db.user(&["enable", "ana"], "");
    assert_eq!(code, 0);
    let (_, out, _) = db.user(&["list"], "");
    assert_eq!(out, "ana\tapprover\n");
    for args in [&["disable", "nobody"][..], &["enable", "nobody"], &["token", "list", "nobody"]] {
        let (code, _, err) = db.user(args, "");
        assert_eq!((code, err.trim()), (2, "rightsgate: no account `nobody`"), "{args:?}");
    }
}

#[test]
fn database_passwords_stay_out_of_errors() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on port 9 of the loopback address, so the connection fails without a network.
    for url in ["postgres://rg:s3cret@127.0.0.1:9/rg?connect_timeout=2", "mysql://rg:s3cret@db/rg"]
    {
        let out = Command::cargo_bin("rightsgate")
            .unwrap()
            .env("RIGHTSGATE_DATA_DIR", dir.path())
            .args(["user", "list", "--db", url])
            .output()
            .unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
        assert!(err.contains("rg:***@"), "{err}");
    }
}
