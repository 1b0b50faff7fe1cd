//! The living demo: cases in every state of the workflow, due dates around now so only some are overdue,
//! departures with reasons, running and expired preservations; and a ledger that verifies.

use std::collections::BTreeMap;
use std::path::Path;

use domain::case::CaseState;
use store::{Filter, Sealer, Store};
use time::macros::datetime;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

async fn seeded(lawpacks: &str, policy: &str) -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("demo.db").display());
    let store = Store::connect(&url).await.unwrap();
    let ctx = app::inputs::load_context(&root().join(lawpacks), &root().join(policy)).unwrap();
    let sealer = Sealer::new(&[3; 32]);
    let mut n = 0;
    let now = datetime!(2026-12-01 12:00 UTC);
    let seeded = app::demo::seed(&store, &sealer, &ctx, 200, now, || {
        n += 1;
        format!("demo password {n:04}")
    })
    .await
    .unwrap();
    assert_eq!(seeded.cases, 200);
    assert_eq!(seeded.accounts.len(), 7, "one per role and a second approver");
    (store, dir)
}

async fn check(store: &Store) {
    let now = datetime!(2026-12-01 12:00 UTC);
    let all = store.cases(&Filter { limit: Some(1000), ..Filter::default() }).await.unwrap();
    let mut by_state: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &all {
        *by_state.entry(c.state.as_str()).or_default() += 1;
    }
    for state in [
        "screened",
        "in_review",
        "information_requested",
        "consultation",
        "approved",
        "approved_in_part",
        "refused",
        "withdrawn",
        "executed",
        "closed",
    ] {
        assert!(by_state.contains_key(state), "no `{state}` case in the demo: {by_state:?}");
    }
    let open: Vec<_> = all.iter().filter(|c| c.state.is_open()).collect();
    let overdue = open.iter().filter(|c| c.due_at < now).count();
    assert!(overdue > 0 && overdue < open.len(), "{overdue} of {} open cases overdue", open.len());
    let preserved =
        store.cases(&Filter { preservations: true, ..Filter::default() }).await.unwrap();
    let expired =
        preserved.iter().filter(|c| c.preservation_expires_at.is_some_and(|t| t <= now)).count();
    assert!(
        expired > 0 && expired < preserved.len(),
        "{expired} of {} preservations expired",
        preserved.len()
    );
    // Departures carry their reasons in the sealed timeline.
    let sealer = Sealer::new(&[3; 32]);
    let mut departures = 0;
    for c in all.iter().filter(|c| matches!(c.state, CaseState::Decided(_) | CaseState::Closed)) {
        let view = store.case(&sealer, &c.id).await.unwrap();
        for e in &view.timeline {
            if let Some(d) = &e.detail {
                if d["departure"] != "none" && d.get("departure").is_some() {
                    assert!(d["reason"].as_str().is_some_and(|r| !r.is_empty()));
                    assert!(d["second_approver"].as_str().is_some());
                    departures += 1;
                }
            }
        }
    }
    assert!(departures > 0, "no departure in the demo");
    store.verify_ledger(None).await.unwrap();
}

#[tokio::test]
async fn the_demo_holds_every_state_with_the_shipped_law_packs() {
    let (store, _dir) = seeded("lawpacks", "policies/default.toml").await;
    check(&store).await;
}

#[tokio::test]
async fn the_demo_holds_every_state_with_the_fixture_law_packs() {
    let (store, _dir) = seeded(
        "crates/rules/tests/conformance/lawpacks",
        "crates/rules/tests/conformance/policies/default.toml",
    )
    .await;
    check(&store).await;
}
