//! Case lists (`Store::cases`), on SQLite and on PostgreSQL: exactly the cases the filter names, earliest due
//! (or earliest preservation expiry) first, ties by id, at most the limit; and, counted by PostgreSQL, reading no
//! more rows than a list could show, however many cases match.

use domain::case::{CaseState, Resolution, ALL_STATES};
use store::Filter;

use crate::db::{self, Raw, TestDb};

/// A bare case row: id, state, requesting state, due, preservation expiry.
type Row = (String, CaseState, &'static str, i64, Option<i64>);

/// `n` cases over every state, two requesting states, and few distinct due times, so that ties are common.
fn rows(n: usize) -> Vec<Row> {
    (0..n)
        .map(|i| {
            let state = ALL_STATES[i % ALL_STATES.len()];
            let running = matches!(
                state,
                CaseState::Decided(Resolution::Approved | Resolution::ApprovedInPart)
                    | CaseState::Executed
            );
            // Some closed and refused cases keep an expiry too: a list of running preservations leaves them out.
            let expires =
                (i % 2 == 0 && (running || i % 5 == 0)).then_some(((i * 31) % 17) as i64 * 60);
            let due = ((i * 7919) % 23) as i64 * 3600;
            (format!("c-{i:05}"), state, if i % 3 == 0 { "AR" } else { "BR" }, due, expires)
        })
        .collect()
}

async fn fill(db: &TestDb, rows: &[Row]) {
    let values: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(leaf, (id, state, rs, due, expires))| {
            let expires = expires.map_or("NULL".to_owned(), |e| e.to_string());
            format!(
                "('{id}', '{rs}', 'PF', '{id}', 'stored_data', 'routine', 'central_authority', 'approve', '{}', \
                 0, {due}, {expires}, 2, {leaf})",
                state.as_str()
            )
        })
        .collect();
    db.insert_bare_cases(&format!("VALUES {}", values.join(", "))).await;
}

/// What `filter` should list from `rows`, by the rule itself.
fn expected(rows: &[Row], filter: &Filter) -> Vec<String> {
    let running = |s: CaseState| {
        matches!(
            s,
            CaseState::Decided(Resolution::Approved | Resolution::ApprovedInPart)
                | CaseState::Executed
        )
    };
    let mut picked: Vec<&Row> = rows
        .iter()
        .filter(|(_, s, rs, _, e)| {
            filter.state.is_none_or(|f| f == *s)
                && (!filter.open_only || s.is_open())
                && filter.requesting_state.as_deref().is_none_or(|f| f == *rs)
                && (!filter.preservations || (e.is_some() && running(*s)))
        })
        .collect();
    if filter.preservations {
        picked.sort_by(|a, b| (a.4, &a.0).cmp(&(b.4, &b.0)));
    } else {
        picked.sort_by(|a, b| (a.3, &a.0).cmp(&(b.3, &b.0)));
    }
    picked.into_iter().take(filter.limit.unwrap_or(100) as usize).map(|r| r.0.clone()).collect()
}

async fn listed(db: TestDb) {
    db.store().await.close().await;
    let rows = rows(400);
    fill(&db, &rows).await;
    let store = db.store().await;
    // The kept count follows inserts whoever makes them.
    assert_eq!(store.case_count().await.unwrap(), rows.len() as u64);
    let open = |limit| Filter { open_only: true, limit: Some(limit), ..Filter::default() };
    let filters = [
        Filter::default(),
        Filter { limit: Some(7), ..Filter::default() },
        open(1),
        open(9),
        open(1000),
        Filter { state: Some(CaseState::InReview), limit: Some(5), ..Filter::default() },
        Filter { state: Some(CaseState::Screened), open_only: true, ..Filter::default() },
        Filter { state: Some(CaseState::Closed), open_only: true, ..Filter::default() },
        Filter { requesting_state: Some("AR".into()), ..open(13) },
        Filter {
            requesting_state: Some("AR".into()),
            state: Some(CaseState::Closed),
            ..Filter::default()
        },
        Filter { preservations: true, limit: Some(4), ..Filter::default() },
        Filter { preservations: true, requesting_state: Some("BR".into()), ..Filter::default() },
        Filter { preservations: true, state: Some(CaseState::Executed), ..Filter::default() },
    ];
    for filter in &filters {
        let ids: Vec<String> =
            store.cases(filter).await.unwrap().into_iter().map(|s| s.id).collect();
        let want = expected(&rows, filter);
        assert!(
            !want.is_empty() || filter.state == Some(CaseState::Closed),
            "{filter:?} lists something"
        );
        assert_eq!(ids, want, "{filter:?}");
    }
    store.close().await;
}

#[tokio::test]
async fn lists_hold_what_their_filter_names_in_due_order_on_sqlite() {
    listed(db::sqlite()).await;
}

#[tokio::test]
async fn lists_hold_what_their_filter_names_in_due_order_on_postgres() {
    if let Some(db) = db::postgres("lists").await {
        listed(db).await;
    }
}

/// The open queue behind 99,000 closed cases that fell due before it, listed as a reviewer would: each list reads at
/// most its limit of rows per open state (PostgreSQL's own counts), never the cases it does not show, with no
/// statistics to plan by.
#[tokio::test]
async fn lists_read_no_more_than_they_show_on_postgres() {
    let Some(db) = db::postgres("bounded").await else { return };
    db.store().await.close().await;
    let Raw::Postgres(raw) = db.raw().await else { unreachable!() };
    db.insert_bare_cases(
        "SELECT 'c-' || i, 'BR', 'PF', 'R-' || i, 'stored_data', 'routine', 'central_authority', 'approve', \
         CASE WHEN i <= 99000 THEN 'closed' ELSE \
         (ARRAY['received', 'screened', 'in_review', 'information_requested', 'consultation'])[i % 5 + 1] END, \
         0, i, NULL::bigint, 2, i FROM generate_series(1, 100000) AS i",
    )
    .await;
    let before = db::case_reads(&raw, 100_000).await;
    let store = db.store().await;
    let (limit, rounds) = (20, 8);
    for _ in 0..rounds {
        let open = Filter { open_only: true, limit: Some(limit), ..Filter::default() };
        assert_eq!(store.cases(&open).await.unwrap().len(), limit as usize);
    }
    let in_review =
        Filter { state: Some(CaseState::InReview), limit: Some(limit), ..Filter::default() };
    assert_eq!(store.cases(&in_review).await.unwrap().len(), limit as usize);
    assert_eq!(
        store.cases(&Filter { limit: Some(limit), ..Filter::default() }).await.unwrap().len(),
        20
    );
    store.close().await;
    let after = db::case_reads(&raw, before.inserted).await;
    assert_eq!(after.scans, before.scans, "a list scanned the whole case table");
    let most = i64::from(limit) * (rounds * 5 + 2);
    assert!(
        after.fetched - before.fetched <= most,
        "lists read {} rows",
        after.fetched - before.fetched
    );
    raw.close().await;
}
