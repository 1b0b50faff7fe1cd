//! Upgrading a store: the open-identifier migration (0006) keeps duplicate detection for cases that were open
//! before it ran and drops the keys of finished cases; the open-key migration (0009) carries the open cases'
//! keys over, so a request taken in after the upgrade is still flagged against them. Cases sealed in the first
//! layout (uncompressed JSON) still open, act and rotate. The narrow-key migration (0010) writes, on SQLite and on
//! PostgreSQL, exactly the rows intake writes. After migration 0011, the database itself still refuses an event or
//! open key without its case, and the deletion or re-keying of a case, whoever writes.

use std::path::Path;

use sqlx::sqlite::SqlitePoolOptions;
use sqlx::Executor as _;

use crate::db::{self, Kind, TestDb};

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
    let case = |id: &str, state: &str, leaf: u64| {
        format!(
            "INSERT INTO cases (id, requesting_state, authority, reference, measure, urgency, channel, recommended, \
             state, received_at, due_at, next_seq, sealed) VALUES ('{id}', 'BR', 'PF', '{id}', 'stored_data', \
             'routine', 'central_authority', 'approve', '{state}', 1000, 2000, 2, x'00'); \
             INSERT INTO case_events (case_id, seq, at, event, state, actor, role, leaf_index) \
             VALUES ('{id}', 0, 1500, 'received', 'received', 'ines', 'intake_officer', {leaf}); \
             INSERT INTO case_identifiers (ident_key, case_id) VALUES (zeroblob(32), '{id}');"
        )
    };
    pool.execute(case("c-open", "in_review", 0).as_str()).await.unwrap();
    pool.execute(case("c-done", "closed", 1).as_str()).await.unwrap();
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
    let rows: Vec<(String, i64, Vec<u8>)> = sqlx::query_as(
        "SELECT c.id, k.taken_in_at, k.open_key FROM case_open_keys AS k \
         JOIN cases AS c ON c.received_leaf = k.case_leaf",
    )
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
    assert_eq!(kept[0], ("c-done".to_owned(), None), "the closed case keeps no key");
    assert_eq!(kept[1].0, "c-open");
    let whole = kept[1].1.clone().expect("the open case keeps its key");
    assert_eq!(
        (whole.len(), &whole[..16]),
        (32, &rows[0].2[..]),
        "the table holds the key's first 16 bytes"
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
    // This fixture writes no ledger leaves: the event names a leaf past the end, apart from those the test appends.
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
         VALUES ('c-old', 0, ?, 'received', 'received', 'ines', 'intake_officer', 1000000)",
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
        sqlx::query_as("SELECT count(*) FROM case_open_keys WHERE case_leaf = 1000000")
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

/// The SQL that takes a store back to the open keys of migration 0009 (whole 32-byte keys, case ids), rebuilt from
/// each open case's own keys, and forgets that migrations 0010 and 0011 ran, so that both run again in order.
const SQLITE_WIDE: &str = "DROP TRIGGER cases_never_deleted; DROP TRIGGER cases_keep_their_keys; \
     DROP TRIGGER case_events_stay; DROP TABLE case_open_keys; \
     CREATE TABLE case_open_keys (open_key BLOB NOT NULL CHECK (length(open_key) = 32), \
         taken_in_at INTEGER NOT NULL, case_id TEXT NOT NULL REFERENCES cases (id), \
         PRIMARY KEY (open_key, taken_in_at, case_id)) WITHOUT ROWID; \
     WITH RECURSIVE part(id, keys, at, i) AS ( \
         SELECT c.id, c.open_keys, e.at, 0 FROM cases AS c \
         JOIN case_events AS e ON e.case_id = c.id AND e.seq = 0 WHERE c.open_keys IS NOT NULL \
         UNION ALL SELECT id, keys, at, i + 1 FROM part WHERE (i + 1) * 32 < length(keys)) \
     INSERT INTO case_open_keys (open_key, taken_in_at, case_id) \
         SELECT substr(keys, i * 32 + 1, 32), at, id FROM part; \
     DROP INDEX cases_received_leaf; \
     ALTER TABLE cases DROP COLUMN received_leaf; \
     DELETE FROM _sqlx_migrations WHERE version IN (10, 11);";

/// [`SQLITE_WIDE`] on PostgreSQL.
const POSTGRES_WIDE: &str = "DROP FUNCTION case_rows_are_kept, case_events_have_cases, case_open_keys_have_cases \
         CASCADE; \
     ALTER TABLE case_events ADD CONSTRAINT case_events_case_id_fkey FOREIGN KEY (case_id) REFERENCES cases (id); \
     DROP TABLE case_open_keys; \
     CREATE TABLE case_open_keys (open_key BYTEA NOT NULL CHECK (length(open_key) = 32), \
         taken_in_at BIGINT NOT NULL, case_id TEXT NOT NULL REFERENCES cases (id), \
         PRIMARY KEY (open_key, taken_in_at, case_id)); \
     INSERT INTO case_open_keys (open_key, taken_in_at, case_id) \
         SELECT substring(c.open_keys FROM i * 32 + 1 FOR 32), e.at, c.id FROM cases AS c \
         JOIN case_events AS e ON e.case_id = c.id AND e.seq = 0 \
         CROSS JOIN LATERAL generate_series(0, length(c.open_keys) / 32 - 1) AS i \
         WHERE c.open_keys IS NOT NULL; \
     ALTER TABLE cases DROP CONSTRAINT cases_received_leaf; \
     ALTER TABLE cases DROP COLUMN received_leaf; \
     DELETE FROM _sqlx_migrations WHERE version IN (10, 11);";

/// `case_open_keys` as `(open key, taken in at, case leaf)`, in order (migration 0010's layout).
const NARROW_ROWS: &str =
    "SELECT open_key, taken_in_at, case_leaf FROM case_open_keys ORDER BY 1, 2, 3";

/// Migration 0010 narrows `case_open_keys`: a store whose open cases were keyed as the release before wrote them
/// (whole 32-byte keys, case ids) ends with exactly the rows intake writes now, and duplicate detection and
/// closing work on them.
async fn narrowed(db: TestDb) {
    let sealer = store::Sealer::new(&[9; 32]);
    let ctx = crate::story::ctx();
    let screen = |reference: &str| {
        crate::story::screen(&ctx, crate::story::request("001-fraud-approve.json", reference, None))
    };
    let store = db.store().await;
    let received = crate::story::take_in(&store, &sealer, &[screen("W-1"), screen("W-2")]).await;
    let (first, _) = crate::story::new_id(&received[0]);
    let (second, of_second) = crate::story::new_id(&received[1]);
    assert_eq!(of_second.as_deref(), Some(first.as_str()));
    store.close().await;

    let written: Vec<(Vec<u8>, i64, i64)> = db.fetch(NARROW_ROWS).await;
    assert!(written.len() >= 2, "{written:?}");
    db.execute(if db.kind == Kind::Sqlite { SQLITE_WIDE } else { POSTGRES_WIDE }).await;
    let whole: Vec<(i64,)> =
        db.fetch("SELECT count(*) FROM case_open_keys WHERE length(open_key) = 32").await;
    assert_eq!(whole[0].0 as usize, written.len(), "the old layout holds each key whole");

    let store = db.store().await;
    let migrated: Vec<(Vec<u8>, i64, i64)> = db.fetch(NARROW_ROWS).await;
    assert_eq!(migrated, written, "the migration writes the rows intake writes");

    let third = crate::story::take_in(&store, &sealer, &[screen("W-3")]).await;
    assert_eq!(crate::story::new_id(&third[0]).1.as_deref(), Some(first.as_str()));
    // Deciding the first case deletes its migrated rows; the second becomes the original.
    let now = time::macros::datetime!(2026-11-03 10:00 UTC);
    crate::story::review_and_approve(&store, &sealer, &first, now).await;
    let fourth = crate::story::take_in(&store, &sealer, &[screen("W-4")]).await;
    assert_eq!(crate::story::new_id(&fourth[0]).1.as_deref(), Some(second.as_str()));
    store.verify_ledger(None).await.unwrap();
    store.close().await;
}

#[tokio::test]
async fn open_keys_in_the_wide_layout_are_narrowed_exactly_on_sqlite() {
    narrowed(db::sqlite()).await;
}

#[tokio::test]
async fn open_keys_in_the_wide_layout_are_narrowed_exactly_on_postgres() {
    if let Some(db) = db::postgres("narrowed").await {
        narrowed(db).await;
    }
}

/// Writes that would break the link of an event or open key to its case, each refused by the database itself
/// (migration 0011: foreign keys on SQLite, statement triggers on PostgreSQL), with nothing of the statement
/// written.
async fn links_refused(db: TestDb) {
    let sealer = store::Sealer::new(&[9; 32]);
    let ctx = crate::story::ctx();
    let screen = |reference: &str| {
        crate::story::screen(&ctx, crate::story::request("001-fraud-approve.json", reference, None))
    };
    let store = db.store().await;
    let received = crate::story::take_in(&store, &sealer, &[screen("L-1"), screen("L-2")]).await;
    let (first, _) = crate::story::new_id(&received[0]);
    let (second, _) = crate::story::new_id(&received[1]);
    store.close().await;
    const COUNTS: &str =
        "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM case_events), \
         (SELECT count(*) FROM case_open_keys)";
    let before: Vec<(i64, i64, i64)> = db.fetch(COUNTS).await;
    assert!(before[0].2 > 0, "the cases hold open keys: {before:?}");

    let event = |case: &str, seq: u32| {
        format!(
            "('{case}', {seq}, 1500, 'screened', 'screened', 'ines', 'intake_officer', {})",
            1_000_000 + seq
        )
    };
    let key =
        if db.kind == Kind::Sqlite { "zeroblob(16)" } else { "decode(repeat('00', 16), 'hex')" };
    let refused = [
        // One row naming no case spoils a statement whose other row is sound.
        format!(
            "INSERT INTO case_events (case_id, seq, at, event, state, actor, role, leaf_index) VALUES {}, {}",
            event(&first, 90),
            event("c-none", 0)
        ),
        format!("INSERT INTO case_open_keys (open_key, taken_in_at, case_leaf) VALUES ({key}, 1500, 999999)"),
        format!("DELETE FROM cases WHERE id = '{first}'"),
        format!("UPDATE cases SET id = 'c-other' WHERE id = '{first}'"),
        format!("UPDATE cases SET received_leaf = received_leaf + 1000 WHERE id = '{first}'"),
        format!("UPDATE case_events SET case_id = '{second}', seq = 91 WHERE case_id = '{first}' AND seq = 1"),
        "UPDATE case_open_keys SET case_leaf = case_leaf + 1".to_owned(),
    ];
    for sql in &refused {
        let error = db.try_execute(sql).await.expect_err(sql);
        assert!(
            ["FOREIGN KEY", "foreign key", "refused", "kept"].iter().any(|w| error.contains(w)),
            "{sql}: {error}"
        );
    }
    assert_eq!(db.fetch::<(i64, i64, i64)>(COUNTS).await, before, "nothing was written");
    // What the rules allow still goes through: a new event of an existing case.
    db.execute(&format!(
        "INSERT INTO case_events (case_id, seq, at, event, state, actor, role, leaf_index) VALUES {}",
        event(&first, 92)
    ))
    .await;
    let store = db.store().await;
    store.verify_ledger(None).await.unwrap();
    store.close().await;
}

#[tokio::test]
async fn links_of_events_and_open_keys_to_their_case_are_kept_on_sqlite() {
    links_refused(db::sqlite()).await;
}

#[tokio::test]
async fn links_of_events_and_open_keys_to_their_case_are_kept_on_postgres() {
    if let Some(db) = db::postgres("links").await {
        links_refused(db).await;
    }
}
