//! Upgrading a store: the open-identifier migration keeps duplicate detection for cases that were open before
//! it ran and drops the keys of finished cases.

use std::path::Path;

use sqlx::sqlite::SqlitePoolOptions;
use sqlx::Executor as _;

/// Runs the SQLite migrations before `0006` on a fresh file, as an older release left it.
async fn before_open_identifiers(url: &str) {
    let all = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let old = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&all).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.as_str() < "0006" {
            std::fs::copy(&path, old.path().join(&name)).unwrap();
        }
    }
    let pool = SqlitePoolOptions::new().connect(url).await.unwrap();
    sqlx::migrate::Migrator::new(old.path()).await.unwrap().run(&pool).await.unwrap();
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
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT case_id, requesting_state, authority, taken_in_at FROM case_open_identifiers",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(rows, vec![("c-open".to_owned(), "BR".to_owned(), "PF".to_owned(), 1500)]);
    let old: Option<(String,)> =
        sqlx::query_as("SELECT name FROM sqlite_master WHERE name = 'case_identifiers'")
            .fetch_optional(&pool)
            .await
            .unwrap();
    assert_eq!(old, None, "the keys of every case are no longer kept");
}
