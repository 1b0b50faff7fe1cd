//! Upgrading a store: the open-identifier migration (0006) keeps duplicate detection for cases that were open
//! before it ran and drops the keys of finished cases; the open-key migration (0009) carries the open cases'
//! keys over, so a request taken in after the upgrade is still flagged against them. Cases sealed in the first
//! layout (uncompressed JSON) still open, act and rotate.

use std::path::Path;

use sqlx::sqlite::SqlitePoolOptions;
use sqlx::Executor as _;

/// A pool on `url` after the SQLite migrations whose names sort before `first_not_run`, as an older release left it.
async fn migrated_before(first_not_run: &str, url: &str) -> sqlx::SqlitePool {
    let all = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let old = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&all).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.as_str() < first_not_run {
            std::fs::copy(&path, old.path().join(&name)).unwrap();
        }
    }
    let pool = SqlitePoolOptions::new().connect(url).await.unwrap();
    sqlx::migrate::Migrator::new(old.path()).await.unwrap().run(&pool).await.unwrap();
    pool
}

/// Runs the SQLite migrations before `0006` on a fresh file, as an older release left it.
async fn before_open_identifiers(url: &str) {
    let pool = migrated_before("0006", url).await;
    let case = |id: &str, state: &str| {
        format!(
            "INSERT INTO cases (id, requesting_state, authority, reference, measure, urgency, channel, recommended, \
             state, received_at, due_at, next_seq, sealed) VALUES ('{id}', 'BR', 'PF', '{id}', 'stored_data', \
             'routine', 'central_authority', 'approve', '{state}', 1000, 2000, 2, x'00'); \
             INSERT INTO case_events (case_id, seq, at, event, state, actor, role, leaf_index) \
             VALUES ('{id}', 0, 1500, 'received', 'received', 'ines', 'intake_officer', 0); \
             INSERT INTO case_identifiers (ident_key, case_id) VALUES (zeroblob(32), '{id}');"
        )
    };
    pool.execute(case("c-open", "in_review").as_str()).await.unwrap();
    pool.execute(case("c-done", "closed").as_str()).await.unwrap();
    pool.close().await;
}

#[tokio::test]
async fn open_cases_keep_their_keys_across_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    before_open_identifiers(&url).await;
    let store = store::Store::connect(&url).await.unwrap();
    store.close().await;
    let pool = SqlitePoolOptions::new().connect(&url).await.unwrap();
    let rows: Vec<(String, i64, Vec<u8>)> =
        sqlx::query_as("SELECT case_id, taken_in_at, open_key FROM case_open_keys")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!((rows[0].0.as_str(), rows[0].1), ("c-open", 1500));
    let kept: Vec<(String, Option<Vec<u8>>)> =
        sqlx::query_as("SELECT id, open_keys FROM cases ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        kept,
        vec![("c-done".to_owned(), None), ("c-open".to_owned(), Some(rows[0].2.clone()))],
        "the open case keeps its key, the closed one none"
    );
    let old: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE name IN ('case_identifiers', 'case_open_identifiers')",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(old, vec![], "the keys of every case are no longer kept");
}

/// Runs the SQLite migrations before `0009` and stores one open case as that release did: its identifier's
/// keyed hash beside the requesting state and authority in `case_open_identifiers`.
async fn before_open_keys(url: &str, sealer: &store::Sealer, request: &domain::Request, at: i64) {
    let pool = migrated_before("0009", url).await;
    let (state, authority) = (&request.requesting.state, &request.requesting.authority);
    sqlx::query(
        "INSERT INTO cases (id, requesting_state, authority, reference, measure, urgency, channel, recommended, \
         state, received_at, due_at, next_seq, sealed) VALUES ('c-old', ?, ?, 'OLD-1', 'stored_data', 'routine', \
         'central_authority', 'approve', 'in_review', 1000, 2000, 3, x'00')",
    )
    .bind(state)
    .bind(authority)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO case_events (case_id, seq, at, event, state, actor, role, leaf_index) \
         VALUES ('c-old', 0, ?, 'received', 'received', 'ines', 'intake_officer', 0)",
    )
    .bind(at)
    .execute(&pool)
    .await
    .unwrap();
    for x in &request.data.identifiers {
        sqlx::query(
            "INSERT INTO case_open_identifiers (ident_key, requesting_state, authority, taken_in_at, case_id) \
             VALUES (?, ?, ?, ?, 'c-old')",
        )
        .bind(sealer.identifier_key(x.kind.as_str(), &x.value).to_vec())
        .bind(state)
        .bind(authority)
        .bind(at)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;
}

#[tokio::test]
async fn a_request_after_the_open_key_upgrade_is_flagged_against_a_case_open_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    let sealer = store::Sealer::new(&[3; 32]);
    let ctx = crate::story::ctx();
    let old =
        crate::story::screen(&ctx, crate::story::request("001-fraud-approve.json", "OLD-1", None));
    let taken_in = time::macros::datetime!(2026-11-01 09:00 UTC).unix_timestamp();
    before_open_keys(&url, &sealer, old.request(), taken_in).await;

    let store = store::Store::connect(&url).await.unwrap();
    let again =
        crate::story::screen(&ctx, crate::story::request("001-fraud-approve.json", "NEW-1", None));
    let received = crate::story::take_in(&store, &sealer, &[again]).await;
    assert_eq!(crate::story::new_id(&received[0]).1.as_deref(), Some("c-old"));
    store.close().await;

    // Connecting again finds nothing left to carry over, and the keys are where the upgrade put them.
    let store = store::Store::connect(&url).await.unwrap();
    store.close().await;
    let pool = SqlitePoolOptions::new().connect(&url).await.unwrap();
    let (keys,): (Vec<u8>,) = sqlx::query_as("SELECT open_keys FROM cases WHERE id = 'c-old'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let (rows,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM case_open_keys WHERE case_id = 'c-old'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(keys.len(), 32 * old.request().data.identifiers.len());
    assert_eq!(rows as usize, old.request().data.identifiers.len());
}

/// A case sealed in the first layout (a JSON object, before compression) opens with its exact request and
/// decision, takes actions whose leaves carry the commitment of its own salt, and rotates to a new key.
#[tokio::test]
async fn cases_sealed_in_the_first_layout_still_open_act_and_rotate() {
    use sha2::{Digest, Sha256};
    use store::{Act, Actor, Sealer};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("s.db").display());
    let store = store::Store::connect(&url).await.unwrap();
    let sealer = Sealer::new(&[42; 32]);
    let ctx = crate::story::ctx();
    let screened =
        crate::story::screen(&ctx, crate::story::request("001-fraud-approve.json", "L-1", None));
    let received = crate::story::take_in(&store, &sealer, std::slice::from_ref(&screened)).await;
    let (id, _) = crate::story::new_id(&received[0]);
    let fresh = store.case(&sealer, &id).await.unwrap();
    assert_eq!(fresh.request.as_deref(), Some(screened.bytes()));

    let salt = [7u8; 32];
    let layout1 = serde_json::json!({
        "request": std::str::from_utf8(screened.bytes()).unwrap(),
        "decision": fresh.decision,
        "salt": hex::encode(salt),
    });
    let sealed = sealer.seal(&serde_json::to_vec(&layout1).unwrap(), id.as_bytes()).unwrap();
    let pool = SqlitePoolOptions::new().connect(&url).await.unwrap();
    sqlx::query("UPDATE cases SET sealed = ? WHERE id = ?")
        .bind(sealed)
        .bind(&id)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let old = store.case(&sealer, &id).await.unwrap();
    assert_eq!(old.request, fresh.request);
    assert_eq!(
        serde_json::to_value(&old.decision).unwrap(),
        serde_json::to_value(&fresh.decision).unwrap()
    );
    let now = time::macros::datetime!(2026-11-03 10:00 UTC);
    store
        .add_user("rui", domain::case::Role::Reviewer, "a long enough password", now)
        .await
        .unwrap();
    let desk = store::Desk { sealer: &sealer, deadlines: &crate::story::DEADLINES };
    let reviewer = Actor { name: "rui", role: domain::case::Role::Reviewer };
    store.act(&desk, &id, &reviewer, &Act::StartReview, now).await.unwrap();
    let last = store.tree_size().await.unwrap() - 1;
    let leaf = domain::leaf::Leaf::decode(&store.leaf(last).await.unwrap()).unwrap();
    let mut h = Sha256::new();
    h.update(salt);
    h.update(screened.bytes());
    assert_eq!(
        (leaf.event.as_str(), leaf.commitment),
        ("review_started", hex::encode(h.finalize()))
    );

    let rotated = Sealer::new(&[43; 32]);
    let report = store.reseal(&sealer, &rotated, 10, |_| {}).await.unwrap();
    assert_eq!(report.resealed, 1, "{report:?}");
    assert_eq!(store.case(&rotated, &id).await.unwrap().request, fresh.request);
    store.close().await;
}
