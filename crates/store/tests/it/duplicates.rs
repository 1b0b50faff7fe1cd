//! Duplicate detection, on SQLite and on PostgreSQL: a new case's original is the earliest open case from the
//! same requesting state and authority that shares an identifier and was taken in within the window; another
//! authority's cases, cases outside the window and cases that left the open states are never originals.

use store::Sealer;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::db::{self, TestDb};
use crate::story::{ctx, new_id, request, review_and_approve, screen, take_in_at, try_take_in_at};

fn day(n: i64) -> OffsetDateTime {
    datetime!(2026-03-02 09:00 UTC) + Duration::days(n)
}

/// The fraud case's request with a new reference, only the given identifier and, optionally, another authority.
fn fraud(reference: &str, identifier: &str, authority: Option<&str>) -> Vec<u8> {
    let bytes = request("001-fraud-approve.json", reference, Some(identifier));
    let mut value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    value["data"]["identifiers"].as_array_mut().unwrap().truncate(1);
    if let Some(a) = authority {
        value["requesting"]["authority"] = a.into();
    }
    serde_json::to_vec(&value).unwrap()
}

async fn duplicates(db: TestDb) {
    let store = db.store().await;
    let sealer = Sealer::new(&[5; 32]);
    let ctx = ctx();
    let one = |reference: &str, identifier: &str, authority: Option<&str>| {
        screen(&ctx, fraud(reference, identifier, authority))
    };
    let dup = |received: &[store::Received]| new_id(&received[0]).1;

    let a = take_in_at(&store, &sealer, &[one("D-1", "x@example.org", None)], day(0)).await;
    let (a, first) = new_id(&a[0]);
    assert_eq!(first, None);
    let b = take_in_at(&store, &sealer, &[one("D-2", "X@Example.org ", None)], day(1)).await;
    let (b, of_b) = new_id(&b[0]);
    assert_eq!(of_b.as_deref(), Some(a.as_str()), "identifiers compare normalized");
    let c = take_in_at(&store, &sealer, &[one("D-3", "x@example.org", None)], day(2)).await;
    assert_eq!(dup(&c).as_deref(), Some(a.as_str()), "the earliest open case, not the latest");
    let other = take_in_at(
        &store,
        &sealer,
        &[one("D-4", "x@example.org", Some("Another prosecutor"))],
        day(2),
    )
    .await;
    assert_eq!(dup(&other), None, "another authority's case is never the original");

    // A batch: the stored original wins over an earlier request of the same batch.
    let batch = take_in_at(
        &store,
        &sealer,
        &[
            one("D-5", "y@example.org", None),
            one("D-6", "y@example.org", None),
            one("D-7", "x@example.org", None),
        ],
        day(3),
    )
    .await;
    let (five, none) = new_id(&batch[0]);
    assert_eq!(none, None);
    assert_eq!(new_id(&batch[1]).1.as_deref(), Some(five.as_str()), "flagged within the batch");
    assert_eq!(new_id(&batch[2]).1.as_deref(), Some(a.as_str()), "flagged against the stored case");

    // The original leaves the open states: the next earliest open case takes its place.
    review_and_approve(&store, &sealer, &a, datetime!(2026-03-05 10:00 UTC)).await;
    let d = take_in_at(&store, &sealer, &[one("D-8", "x@example.org", None)], day(4)).await;
    assert_eq!(dup(&d).as_deref(), Some(b.as_str()), "a decided case is never the original");

    // The window: cases taken in more than 90 days before are not originals; the next one is.
    let late = take_in_at(&store, &sealer, &[one("D-9", "x@example.org", None)], day(120)).await;
    let (late, none) = new_id(&late[0]);
    assert_eq!(none, None, "outside the 90-day window");
    let later = take_in_at(&store, &sealer, &[one("D-10", "x@example.org", None)], day(121)).await;
    assert_eq!(dup(&later).as_deref(), Some(late.as_str()));
    store.verify_ledger(None).await.unwrap();
}

#[tokio::test]
async fn duplicates_on_sqlite() {
    duplicates(db::sqlite()).await;
}

#[tokio::test]
async fn duplicates_on_postgres() {
    if let Some(db) = db::postgres("duplicates").await {
        duplicates(db).await;
    }
}

/// References and identifiers go to the SQLite lookups inside a JSON array: whatever characters they hold, a
/// resubmitted reference is found again and a shared identifier is still a duplicate.
async fn any_characters(db: TestDb) {
    let store = db.store().await;
    let sealer = Sealer::new(&[5; 32]);
    let ctx = ctx();
    let odd = "R-\"q\"\\u0041/\n\t\u{1}é😀'; --";
    let identifier = "\"odd\"\\@example.org";
    let first =
        take_in_at(&store, &sealer, &[screen(&ctx, fraud(odd, identifier, None))], day(0)).await;
    let (id, none) = new_id(&first[0]);
    assert_eq!(none, None);
    let again = take_in_at(
        &store,
        &sealer,
        &[screen(&ctx, fraud(odd, identifier, None)), screen(&ctx, fraud("R-2", identifier, None))],
        day(1),
    )
    .await;
    assert_eq!(again[0], store::Received::AlreadyStored { id: id.clone() });
    assert_eq!(new_id(&again[1]).1.as_deref(), Some(id.as_str()));
    assert_eq!(store.case_count().await.unwrap(), 2);
}

#[tokio::test]
async fn any_characters_on_sqlite() {
    any_characters(db::sqlite()).await;
}

#[tokio::test]
async fn any_characters_on_postgres() {
    if let Some(db) = db::postgres("any_characters").await {
        any_characters(db).await;
    }
}

/// PostgreSQL's text cannot hold U+0000: a request with it in a column kept in clear is refused alone, naming the
/// field, on both backends, and nothing of its batch is written.
async fn nul_refused(db: TestDb) {
    let store = db.store().await;
    let sealer = Sealer::new(&[5; 32]);
    let ctx = ctx();
    let cases =
        [("R-\0", None, "/reference"), ("R-3", Some("Pro\0secutor"), "/requesting/authority")];
    for (reference, authority, field) in cases {
        let batch = [
            screen(&ctx, fraud("R-ok", "z@example.org", None)),
            screen(&ctx, fraud(reference, "z@example.org", authority)),
        ];
        match try_take_in_at(&store, &sealer, &batch, day(0)).await {
            Err(store::StoreError::Invalid { field: named, detail }) => {
                assert_eq!(named, field);
                assert!(detail.contains("U+0000"), "{detail}");
            }
            other => panic!("expected the request to be refused, got {other:?}"),
        }
    }
    assert_eq!(store.case_count().await.unwrap(), 0);
}

#[tokio::test]
async fn nul_refused_on_sqlite() {
    nul_refused(db::sqlite()).await;
}

#[tokio::test]
async fn nul_refused_on_postgres() {
    if let Some(db) = db::postgres("nul_refused").await {
        nul_refused(db).await;
    }
}

/// Intake's lookups stay index probes on a PostgreSQL store that was never analyzed (filled faster than autovacuum
/// runs, or with autovacuum off): PostgreSQL's generic plan for the reference lookup used to scan every case
/// there, so each group's cost grew with the store.
#[tokio::test]
async fn intake_scans_no_whole_table_without_statistics_on_postgres() {
    let Some(db) = db::postgres("probes").await else { return };
    db.store().await.close().await;
    let db::Raw::Postgres(raw) = db.raw().await else { unreachable!() };
    // 100,000 bare closed cases, as a bulk load leaves them before any ANALYZE.
    db.insert_bare_cases(
        "SELECT 'c-bulk-' || i, 'BR', 'PF', 'BULK-' || i, 'stored_data', 'routine', 'central_authority', \
         'approve', 'closed', 1000, 2000, NULL::bigint, 2, 1000000 + i FROM generate_series(1, 100000) AS i",
    )
    .await;
    let before = db::case_reads(&raw, 100_000).await;
    let store = db.store().await;
    let sealer = Sealer::new(&[7; 32]);
    let ctx = ctx();
    // Groups as large as the server's under load, and enough of them for PostgreSQL to weigh a generic plan (after
    // five custom ones): without statistics it then scanned every case for each group.
    let (groups, size) = (10, 16);
    for g in 0..groups {
        let items: Vec<_> = (0..size)
            .map(|i| {
                screen(&ctx, fraud(&format!("P-{g}-{i}"), &format!("+3519{g:04}{i:04}"), None))
            })
            .collect();
        take_in_at(&store, &sealer, &items, day(g)).await;
    }
    store.close().await;
    let after = db::case_reads(&raw, before.inserted + groups * size).await;
    assert_eq!(
        after.scans,
        before.scans,
        "intake scanned the whole case table {} times",
        after.scans - before.scans
    );
    raw.close().await;
}
