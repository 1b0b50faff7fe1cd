//! The scale-out path (issue 11, goal 5): two `rightsgate serve` processes on two ports share one PostgreSQL
//! database and take intake concurrently; afterwards every acknowledged request is stored exactly once, the
//! same reference sent to both at once is stored once, and the ledger verifies. Runs when `TEST_DATABASE_URL`
//! is set (and must, with `RIGHTSGATE_REQUIRE_POSTGRES=1`).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use store::{Filter, Store};

use crate::crash::{corpus, rightsgate};

/// Initializes the data directory `data`, adds an intake officer with an API token to `db` (the data
/// directory's store when `None`) and generates `n` requests with `seed`: the token and the requests' lines.
pub(crate) fn loader(data: &Path, db: Option<&str>, n: usize, seed: u64) -> (String, Vec<String>) {
    assert!(rightsgate(data).arg("init").stdout(Stdio::null()).status().unwrap().success());
    let mut add = rightsgate(data);
    add.args(["user", "add", "loader", "--role", "intake_officer", "--token"]);
    if let Some(db) = db {
        add.args(["--db", db]);
    }
    let added = add.output().unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let token = String::from_utf8(added.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("API token (shown once): ").map(str::to_owned))
        .unwrap();
    let generated = rightsgate(data)
        .args(["gen", "--n", &n.to_string(), "--seed", &seed.to_string(), "--lawpacks"])
        .arg(corpus().join("lawpacks"))
        .arg("--policy")
        .arg(corpus().join("policies/default.toml"))
        .output()
        .unwrap();
    let lines: Vec<String> =
        String::from_utf8(generated.stdout).unwrap().lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), n, "{}", String::from_utf8_lossy(&generated.stderr));
    (token, lines)
}

/// A server on a free port of `db` (the data directory's store when `None`); returns the process and its address.
pub(crate) fn serve(data: &Path, db: Option<&str>) -> (Child, String) {
    let mut cmd = rightsgate(data);
    cmd.env("RIGHTSGATE_LOG", "warn").args(["serve", "--addr", "127.0.0.1:0"]);
    if let Some(db) = db {
        cmd.args(["--db", db]);
    }
    let mut child = cmd
        .arg("--lawpacks")
        .arg(corpus().join("lawpacks"))
        .arg("--policy")
        .arg(corpus().join("policies/default.toml"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines.next().expect("the server printed its address").unwrap();
        if let Some(rest) = line.strip_prefix("rightsgate listening on http://") {
            break rest.trim_end_matches('/').to_owned();
        }
    };
    (child, addr)
}

pub(crate) type HttpClient =
    Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

/// Submits one request to `POST /api/v1/requests`; the status once the answer is read whole, or `None` when
/// the connection failed (the server died).
pub(crate) async fn submit(
    client: &HttpClient,
    addr: &str,
    token: &str,
    body: String,
) -> Option<u16> {
    let request = axum::http::Request::post(format!("http://{addr}/api/v1/requests"))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(Full::new(Bytes::from(body)))
        .ok()?;
    let res = client.request(request).await.ok()?;
    let status = res.status().as_u16();
    res.into_body().collect().await.ok()?;
    Some(status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_one_postgres_database() {
    let required = std::env::var("RIGHTSGATE_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
    let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
        assert!(!required, "RIGHTSGATE_REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set");
        return;
    };
    let schema = format!("scale_out_{}", std::process::id());
    let db = store::postgres_fresh_schema(&base, &schema).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (token, generated) = loader(&data, Some(&db), 120, 3);
    let requests: Vec<serde_json::Value> =
        generated.iter().map(|l| serde_json::from_str(l).unwrap()).collect();

    let (mut one, addr_one) = serve(&data, Some(&db));
    let (mut two, addr_two) = serve(&data, Some(&db));
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    // Each request goes to one server; every fourth is also sent to the other at the same moment.
    let mut tasks = Vec::new();
    for (i, mut request) in requests.into_iter().enumerate() {
        let reference = format!("SCALE-{i:04}");
        request["reference"] = reference.clone().into();
        let body = request.to_string();
        let targets: Vec<String> = match (i % 2, i % 4) {
            (_, 0) => vec![addr_one.clone(), addr_two.clone()],
            (0, _) => vec![addr_one.clone()],
            _ => vec![addr_two.clone()],
        };
        for addr in targets {
            let (client, token, body, reference) =
                (client.clone(), token.clone(), body.clone(), reference.clone());
            tasks.push(tokio::spawn(async move {
                (reference, submit(&client, &addr, &token, body).await.expect("the server answers"))
            }));
        }
    }
    let mut answers: BTreeMap<String, Vec<u16>> = BTreeMap::new();
    for task in tasks {
        let (reference, status) = task.await.unwrap();
        answers.entry(reference).or_default().push(status);
    }
    one.kill().unwrap();
    two.kill().unwrap();
    one.wait().unwrap();
    two.wait().unwrap();

    assert_eq!(answers.len(), 120);
    assert_eq!(
        answers.values().map(Vec::len).sum::<usize>(),
        150,
        "30 references sent to both servers"
    );
    for (reference, statuses) in &answers {
        assert!(statuses.iter().all(|s| *s == 201 || *s == 200), "{reference}: {statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{reference}: {statuses:?}");
    }
    let store = Store::connect(&db).await.unwrap();
    let cases = store.cases(&Filter { limit: Some(10_000), ..Filter::default() }).await.unwrap();
    let mut stored: BTreeMap<String, usize> = BTreeMap::new();
    for case in &cases {
        *stored.entry(case.reference.clone()).or_default() += 1;
    }
    assert_eq!(stored.len(), answers.len(), "every acknowledged request is stored");
    assert!(stored.values().all(|n| *n == 1), "none is stored twice");
    let report = store.verify_ledger(None).await.unwrap();
    assert_eq!(report.root.size(), 2 * cases.len() as u64, "two intake leaves per case");
    store.close().await;
}
