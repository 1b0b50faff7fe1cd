//! The intake writer's group commit: when a group's transaction fails, each of its requests is retried alone,
//! so a request the store cannot keep fails alone and the others of its group are stored once.

use std::path::Path;

use app::intake::{Receipt, Writer};
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

#[tokio::test]
async fn a_request_that_fails_its_group_fails_alone_and_the_rest_are_stored() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("w.db").display());
    let store = Store::connect(&url).await.unwrap();
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

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/tests/conformance");
    let ctx =
        app::inputs::load_context(&root.join("lawpacks"), &root.join("policies/default.toml"))
            .unwrap();
    let sealer = Sealer::new(&[7; 32]);
    let now = datetime!(2026-10-06 09:00 UTC);
    let references = ["W-1", "W-2", "W-POISON", "W-3"];
    let writer = Writer::start(store.clone(), 16);
    // Queued before the writer task runs (this runtime has one thread), so all four share one group.
    let mut tasks = tokio::task::JoinSet::new();
    for (i, reference) in references.iter().enumerate() {
        let bytes = request(reference);
        let (r, d) = app::intake::screen("", &bytes, &ctx).unwrap();
        let receipt = Receipt { now, actor: "ines", position: Some(i) };
        let prepared = app::intake::prepare(&ctx, &sealer, (&r, &d), &bytes, receipt).unwrap();
        let writer = writer.clone();
        tasks.spawn(async move { (i, writer.store(prepared).await) });
    }
    let mut outcomes: Vec<_> = tasks.join_all().await;
    outcomes.sort_by_key(|(i, _)| *i);
    for (i, outcome) in outcomes {
        match (references[i], outcome) {
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
