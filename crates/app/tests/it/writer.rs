//! The intake writer's group commit: when a group's transaction fails, each of its requests is retried alone,
//! so a request the store cannot keep fails alone and the others of its group are stored once; when another
//! writer holds the database past the store's wait, the whole group is answered busy at once.

use std::path::Path;

use app::intake::{Receipt, WriteError, Writer};
use store::{Received, Sealer, Store};
use time::macros::datetime;

fn request(reference: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../rules/tests/conformance/cases/001-fraud-approve.json");
    let value: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut request = value["request"].clone();
    request["reference"] = reference.into();
    serde_json::to_vec(&request).unwrap()
}

/// A fresh store in `dir`, and its URL for a second connection.
async fn fresh_store(dir: &tempfile::TempDir) -> (Store, String) {
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("w.db").display());
    (Store::connect(&url).await.unwrap(), url)
}

fn context() -> rules::Context {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/tests/conformance");
    app::inputs::load_context(&root.join("lawpacks"), &root.join("policies/default.toml")).unwrap()
}

/// Screens and prepares each reference's request and sends them all to the writer before it runs (the test
/// runtime has one thread, so they share one group); the outcomes come back in the references' order.
async fn store_all(
    writer: &Writer,
    ctx: &rules::Context,
    references: &[&str],
) -> Vec<Result<Received, WriteError>> {
    let sealer = Sealer::new(&[7; 32]);
    let now = datetime!(2026-10-06 09:00 UTC);
    let mut tasks = tokio::task::JoinSet::new();
    for (i, reference) in references.iter().enumerate() {
        let bytes = request(reference);
        let (r, d) = app::intake::screen("", &bytes, ctx).unwrap();
        let receipt = Receipt { now, actor: "ines", position: Some(i) };
        let prepared = app::intake::prepare(ctx, &sealer, (&r, &d), &bytes, receipt).unwrap();
        let writer = writer.clone();
        tasks.spawn(async move { (i, writer.store(prepared).await) });
    }
    let mut outcomes: Vec<_> = tasks.join_all().await;
    outcomes.sort_by_key(|(i, _)| *i);
    outcomes.into_iter().map(|(_, o)| o).collect()
}

#[tokio::test]
async fn a_request_that_fails_its_group_fails_alone_and_the_rest_are_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (store, url) = fresh_store(&dir).await;
    // A fault that only one request meets inside the transaction, after every check before it has passed.
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query(
        "CREATE TRIGGER poison BEFORE INSERT ON cases WHEN NEW.reference = 'W-POISON' \
         BEGIN SELECT RAISE(ABORT, 'poisoned'); END",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let references = ["W-1", "W-2", "W-POISON", "W-3"];
    let writer = Writer::start(store.clone(), 16);
    let outcomes = store_all(&writer, &context(), &references).await;
    for (reference, outcome) in references.into_iter().zip(outcomes) {
        match (reference, outcome) {
            ("W-POISON", Err(e)) => assert!(e.to_string().contains("poisoned"), "{e}"),
            (reference, Ok(Received::New { .. })) if reference != "W-POISON" => {}
            (reference, other) => panic!("{reference}: {other:?}"),
        }
    }
    assert_eq!(store.case_count().await.unwrap(), 3);
    assert_eq!(
        store.tree_size().await.unwrap(),
        6,
        "two leaves for each stored case, none for the other"
    );
    store.verify_ledger(None).await.unwrap();
}

/// Another process holds the write lock past the store's 10-second wait: the group is answered busy after one
/// wait, not one wait per request, and nothing is stored; once the lock is released the same requests are.
#[tokio::test]
async fn a_group_that_finds_the_database_busy_is_answered_busy_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (store, url) = fresh_store(&dir).await;
    let other = sqlx::SqlitePool::connect(&url).await.unwrap();
    let mut holder = other.acquire().await.unwrap();
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *holder).await.unwrap();

    let ctx = context();
    let writer = Writer::start(store.clone(), 16);
    let references = ["B-1", "B-2", "B-3"];
    let started = std::time::Instant::now();
    let outcomes = store_all(&writer, &ctx, &references).await;
    let waited = started.elapsed();
    for outcome in &outcomes {
        assert!(matches!(outcome, Err(WriteError::Contended)), "{outcome:?}");
    }
    assert!(waited < std::time::Duration::from_secs(19), "one wait for the group: {waited:?}");
    sqlx::query("ROLLBACK").execute(&mut *holder).await.unwrap();
    drop(holder);
    other.close().await;
    assert_eq!(store.case_count().await.unwrap(), 0);

    for outcome in store_all(&writer, &ctx, &references).await {
        assert!(matches!(outcome, Ok(Received::New { .. })), "{outcome:?}");
    }
    store.verify_ledger(None).await.unwrap();
}
