//! The case invariants the store enforces whoever calls it (issue 10), on SQLite and on PostgreSQL: the acting
//! account must exist, be enabled and hold its role; a second approver is another enabled approver account; a
//! disclosure lies within the grant; preservation expiry and renewal follow the policy; a refused action writes
//! nothing.

use domain::case::{CaseState, Deadlines, FourEyesError, Resolution, Role};
use domain::decision::Grant;
use domain::leaf::Leaf;
use domain::vocab::Category;
use store::{Act, Actor, ConfirmError, Desk, Filter, Sealer, SecondApprover, Store, StoreError};
use time::macros::datetime;
use time::Duration;

use crate::db::{self, TestDb};
use crate::story::{ctx, new_id, request, screen, take_in, DEADLINES};

/// A policy whose preservations last 30 days, not the default 90.
static SHORT: Deadlines =
    Deadlines { emergency_hours: 8, urgent_days: 5, routine_days: 30, preservation_days: 30 };

async fn accounts(store: &Store) {
    let now = datetime!(2026-11-01 00:00 UTC);
    for (name, role) in [
        ("rui", Role::Reviewer),
        ("ana", Role::Approver),
        ("bo", Role::Approver),
        ("cy", Role::Approver),
        ("lea", Role::LegalAdviser),
    ] {
        store.add_user(name, role, "a long enough password", now).await.unwrap();
    }
}

fn decide(resolution: Resolution, second: Option<&SecondApprover>) -> Act {
    Act::Decide { resolution, second_approver: second.cloned(), reason: None }
}

async fn invariants(db: TestDb) {
    let store = db.store().await;
    accounts(&store).await;
    let sealer = Sealer::new(&[7; 32]);
    let desk = Desk { sealer: &sealer, deadlines: &SHORT };
    let ctx = ctx();
    let now = datetime!(2026-11-03 10:00 UTC);
    let reviewer = Actor { name: "rui", role: Role::Reviewer };
    let ana = Actor { name: "ana", role: Role::Approver };

    let received = take_in(
        &store,
        &sealer,
        &[
            screen(&ctx, request("002-sabotage-bilateral-content.json", "U-9", None)),
            screen(&ctx, request("001-fraud-approve.json", "F-9", None)),
            screen(&ctx, request("029-vn-preservation.json", "P-9", None)),
        ],
    )
    .await;
    let (content, _) = new_id(&received[0]);
    let (fraud, _) = new_id(&received[1]);
    let (preserve, _) = new_id(&received[2]);

    // Due dates run from our time of receipt (the intake time), never from the requester's `received` date.
    let intake_time = datetime!(2026-11-02 09:00 UTC);
    for id in [&content, &fraud, &preserve] {
        let view = store.case(&sealer, id).await.unwrap();
        let request = domain::Request::parse("r", view.request.as_deref().unwrap()).unwrap();
        assert_ne!(request.received, intake_time);
        assert_eq!(view.summary.due_at, DEADLINES.due(request.urgency, intake_time), "{id}");
    }

    // The acting account is re-read inside the transaction: unknown, wrong role, disabled are refused.
    let ghost = Actor { name: "ghost", role: Role::Reviewer };
    let err = store.act(&desk, &content, &ghost, &Act::StartReview, now).await.unwrap_err();
    assert_eq!(err.to_string(), "no account `ghost`");
    let pretender = Actor { name: "rui", role: Role::Approver };
    let err = store.act(&desk, &content, &pretender, &Act::StartReview, now).await.unwrap_err();
    assert_eq!(err.to_string(), "account `rui` holds the role `reviewer`, not `approver`");
    let size = store.tree_size().await.unwrap();
    for id in [&content, &fraud, &preserve] {
        store.act(&desk, id, &reviewer, &Act::StartReview, now).await.unwrap();
    }
    assert_eq!(store.tree_size().await.unwrap(), size + 3, "refused actions wrote no leaf");

    // Four eyes: the second approver is another approver account, existing and enabled, confirmed by its own
    // password; only that confirmation makes a `SecondApprover`.
    let size = store.tree_size().await.unwrap();
    let confirm = |second: &'static str, password: &'static str| {
        store.confirm_second_approver("ana", second, password, "test", now)
    };
    let pw = "a long enough password";
    let err = store
        .act(&desk, &content, &ana, &decide(Resolution::Approved, None), now)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::FourEyes(FourEyesError::SecondApproverMissing(_))), "{err}");
    assert!(matches!(confirm("ana", pw).await, Err(ConfirmError::SameAccount)));
    assert!(matches!(confirm("nobody", pw).await, Err(ConfirmError::WrongCredentials)));
    assert!(matches!(
        confirm("bo", "not bo's password").await,
        Err(ConfirmError::WrongCredentials)
    ));
    assert!(matches!(confirm("lea", pw).await, Err(ConfirmError::NotApprover)));
    // Confirmed, then disabled before the decision is written: the transaction re-reads the account.
    let cy_confirmed = confirm("cy", pw).await.unwrap();
    store.disable_user("cy", now).await.unwrap();
    let err = store
        .act(&desk, &content, &ana, &decide(Resolution::Approved, Some(&cy_confirmed)), now)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "second approver `cy` is disabled");
    assert!(matches!(confirm("cy", pw).await, Err(ConfirmError::Disabled)));
    let cy = Actor { name: "cy", role: Role::Approver };
    let err =
        store.act(&desk, &fraud, &cy, &decide(Resolution::Approved, None), now).await.unwrap_err();
    assert_eq!(err.to_string(), "account `cy` is disabled");
    assert_eq!(store.tree_size().await.unwrap(), size, "refused decisions wrote no leaf");
    let bo = confirm("bo", pw).await.unwrap();
    store.act(&desk, &content, &ana, &decide(Resolution::Approved, Some(&bo)), now).await.unwrap();

    // Disclosure: only within the granted categories and windows.
    let granted = store.case(&sealer, &content).await.unwrap().decision.unwrap().granted;
    assert!(!granted.is_empty());
    let size = store.tree_size().await.unwrap();
    let outside = vec![Grant { category: Category::Content, from: None, to: None }]
        .into_iter()
        .filter(|g| !granted.iter().any(|x| x.category == g.category))
        .chain(std::iter::once(Grant { category: Category::Subscriber, from: None, to: None }))
        .filter(|g| !granted.iter().any(|x| x.category == g.category))
        .collect::<Vec<_>>();
    if let Some(first) = outside.first() {
        let err = store
            .act(&desk, &content, &ana, &Act::Execute { disclosed: vec![*first] }, now)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Invalid { field, .. } if field == "/disclosed/0/category"),
            "{err}"
        );
    }
    let windowed = granted.iter().find(|g| g.from.is_some()).copied();
    if let Some(g) = windowed {
        let early = Grant { from: g.from.map(|d| d.minus_days(1)), ..g };
        let err = store
            .act(&desk, &content, &ana, &Act::Execute { disclosed: vec![g, early] }, now)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Invalid { field, .. } if field == "/disclosed/1/from"),
            "{err}"
        );
    }
    assert_eq!(store.tree_size().await.unwrap(), size, "refused executions wrote no leaf");
    assert_eq!(
        store.act(&desk, &content, &ana, &Act::Execute { disclosed: granted }, now).await.unwrap(),
        CaseState::Executed
    );

    // Preservation: expiry from the policy (30 days here), renewal recorded on the ledger, none after expiry.
    let err = store.act(&desk, &fraud, &ana, &Act::RenewPreservation, now).await.unwrap_err();
    assert!(err.to_string().starts_with("a case that is `in_review` cannot take"), "{err}");
    store.act(&desk, &preserve, &ana, &decide(Resolution::Approved, None), now).await.unwrap();
    let listed = store.cases(&Filter { preservations: true, ..Filter::default() }).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, preserve);
    assert_eq!(listed[0].preservation_expires_at, Some(now + Duration::days(30)));
    let later = now + Duration::days(20);
    let size = store.tree_size().await.unwrap();
    store.act(&desk, &preserve, &ana, &Act::RenewPreservation, later).await.unwrap();
    let summary = store.case(&sealer, &preserve).await.unwrap().summary;
    assert_eq!(summary.preservation_expires_at, Some(later + Duration::days(30)));
    assert_eq!(summary.state, CaseState::Decided(Resolution::Approved));
    let leaf = Leaf::decode(&store.leaf(size).await.unwrap()).unwrap();
    assert_eq!(
        (leaf.case.as_str(), leaf.event.as_str()),
        (preserve.as_str(), "preservation_renewed")
    );
    assert_eq!(leaf.meta["preservation_days"], 30);
    let reviewer_renews =
        store.act(&desk, &preserve, &reviewer, &Act::RenewPreservation, later).await;
    assert!(matches!(reviewer_renews, Err(StoreError::Forbidden { .. })));
    let expired = later + Duration::days(31);
    let err =
        store.act(&desk, &preserve, &ana, &Act::RenewPreservation, expired).await.unwrap_err();
    assert!(err.to_string().contains("expired on 2026-12-23: it cannot be renewed"), "{err}");
    // A non-preservation case cannot be renewed.
    store.act(&desk, &fraud, &ana, &decide(Resolution::Approved, None), now).await.unwrap();
    let err = store.act(&desk, &fraud, &ana, &Act::RenewPreservation, now).await.unwrap_err();
    assert!(matches!(&err, StoreError::Invalid { field, .. } if field == "/action"), "{err}");

    // Duplicates are detected among open cases only: the fraud case is decided, so a new request sharing its
    // identifiers is not flagged; one sharing the preservation's, still open at intake, is (the preservation was
    // approved, so it no longer is). A second request for the fraud's identifiers flags the first new one.
    let again = take_in(
        &store,
        &sealer,
        &[
            screen(&ctx, request("001-fraud-approve.json", "F-10", None)),
            screen(&ctx, request("001-fraud-approve.json", "F-11", None)),
        ],
    )
    .await;
    let (first, dup_first) = new_id(&again[0]);
    let (_, dup_second) = new_id(&again[1]);
    assert_eq!(dup_first, None, "the original was decided");
    assert_eq!(dup_second.as_deref(), Some(first.as_str()), "flagged within the batch");
    let later =
        take_in(&store, &sealer, &[screen(&ctx, request("001-fraud-approve.json", "F-12", None))])
            .await;
    assert_eq!(
        new_id(&later[0]).1.as_deref(),
        Some(first.as_str()),
        "flagged against the stored open case"
    );
    // What oversight sees of a case: its leaves in event order, the same indices the timeline names, read
    // without the sealing key.
    let view = store.case(&sealer, &fraud).await.unwrap();
    let from_timeline: Vec<u64> = view.timeline.iter().map(|t| t.leaf_index).collect();
    assert!(from_timeline.len() >= 2);
    assert_eq!(store.case_leaves(&fraud).await.unwrap(), from_timeline);
    assert!(matches!(store.case_leaves("NO-SUCH-CASE").await, Err(store::StoreError::NotFound)));
    store.verify_ledger(None).await.unwrap();

    // Key rotation (issue 14): every case, with its events' sealed details, opens with the new key and no
    // longer with the old one, and duplicate detection keeps working under the new key.
    let (before_rotation, _) = new_id(
        &take_in(
            &store,
            &sealer,
            &[screen(&ctx, request("001-fraud-approve.json", "ROT-1", None))],
        )
        .await[0],
    );
    let all = store.cases(&Filter { limit: Some(1000), ..Filter::default() }).await.unwrap();
    let mut views = Vec::new();
    for case in &all {
        views.push(store.case(&sealer, &case.id).await.unwrap());
    }
    assert!(
        views.iter().any(|v| v.timeline.iter().any(|t| t.detail.is_some())),
        "some event has a sealed detail"
    );
    let rotated = Sealer::new(&[9; 32]);
    let first = store.reseal(&sealer, &rotated, 2, |_| {}).await.unwrap();
    assert_eq!((first.cases, first.resealed), (all.len() as u64, all.len() as u64));
    assert!(first.details > 0 && first.identifier_keys > 0, "{first:?}");
    let second = store.reseal(&sealer, &rotated, 2, |_| {}).await.unwrap();
    assert_eq!(
        (second.resealed, second.already),
        (0, all.len() as u64),
        "a second pass finds nothing to do"
    );
    for view in &views {
        let id = &view.summary.id;
        assert_eq!(
            &store.case(&rotated, id).await.unwrap(),
            view,
            "{id} reads the same under the new key"
        );
        assert!(
            matches!(store.case(&sealer, id).await, Err(StoreError::Crypto(_))),
            "{id} opens with the old key"
        );
    }
    let after = take_in(
        &store,
        &rotated,
        &[screen(&ctx, request("001-fraud-approve.json", "ROT-2", None))],
    )
    .await;
    let (_, duplicate_of) = new_id(&after[0]);
    assert!(
        duplicate_of.is_some(),
        "an open case sharing identifiers is still found after rotation"
    );
    assert!(store.case(&rotated, &before_rotation).await.is_ok());
    store.verify_ledger(None).await.unwrap();
}

#[tokio::test]
async fn invariants_on_sqlite() {
    invariants(db::sqlite()).await;
}

#[tokio::test]
async fn invariants_on_postgres() {
    if let Some(db) = db::postgres("invariants").await {
        invariants(db).await;
    }
}
