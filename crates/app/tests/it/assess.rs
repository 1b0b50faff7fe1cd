//! What `assess` gathers from a store in practice: counts from the ledger of the living demo, and the items
//! that read them.

use std::path::Path;

use rules::assess::Status;
use store::{Sealer, Store};
use time::macros::datetime;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

#[tokio::test]
async fn practice_evidence_comes_from_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("demo.db").display());
    let store = Store::connect(&url).await.unwrap();
    let ctx =
        app::inputs::load_context(&root().join("lawpacks"), &root().join("policies/default.toml"))
            .unwrap();
    let sealer = Sealer::new(&[5; 32]);
    let now = datetime!(2026-12-01 12:00 UTC);
    let mut n = 0;
    app::demo::seed(&store, &sealer, &ctx, 60, now, || {
        n += 1;
        format!("demo password {n:04}")
    })
    .await
    .unwrap();

    let today = domain::Day::from(now.date());
    let practice = app::assess::practice(&store, today).await.unwrap();
    assert_eq!(practice.received, 60);
    assert_eq!(practice.tree_size, store.tree_size().await.unwrap());
    assert!(practice.refused > 0 && practice.decided >= practice.refused, "{practice:?}");
    assert!(practice.departures > 0, "the demo records departures: {practice:?}");
    let by_ground: u64 = practice.refusals_by_ground.values().sum();
    assert!(by_ground + practice.refused_without_ground >= practice.refused, "{practice:?}");
    assert!(practice.cosigned.is_none());

    let loaded = app::assess::load(
        "DE",
        &root().join("lawpacks"),
        &root().join("policies/default.toml"),
        None,
    )
    .unwrap();
    let assessment = loaded.assess(Some(&practice));
    let status = |id: &str| assessment.items.iter().find(|i| i.id == id).unwrap().status;
    // A store with no co-signed checkpoint: the ledger is not witnessed.
    assert_eq!(status("stmt-witnessed-ledger"), Status::NotMet);
    // Without a framework, the published statistics are the gate's alone.
    assert_eq!(status("stmt-statistics"), Status::PartlyMet);
    assert_ne!(status("uncc-40-reasons"), Status::Unknown);
    store.close().await;
}
