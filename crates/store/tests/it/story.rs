//! One story of the case workflow, run on SQLite and on PostgreSQL: intake with duplicate detection and
//! resumability, the roles, illegal transitions, the four-eyes rule, execution, purge, and a ledger that
//! verifies throughout and never holds personal data.

use std::path::Path;

pub(crate) static DEADLINES: domain::case::Deadlines = domain::case::Deadlines {
    emergency_hours: 8,
    urgent_days: 5,
    routine_days: 30,
    preservation_days: 90,
};

use domain::case::{CaseState, FourEyesError, Resolution, Role};
use domain::leaf::Leaf;
use domain::Request;
use store::{Act, Actor, Filter, Intake, Received, Sealer, Store, StoreError};
use time::macros::datetime;

use crate::db::{self, TestDb};

pub(crate) fn ctx() -> rules::Context {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/tests/conformance");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(root.join("lawpacks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap())
        })
        .collect();
    files.sort();
    let sources: Vec<rules::Source<'_>> =
        files.iter().map(|(n, b)| rules::Source { name: n, bytes: b }).collect();
    let policy = std::fs::read(root.join("policies/default.toml")).unwrap();
    rules::from_sources(rules::Source { name: "default.toml", bytes: &policy }, &sources).unwrap()
}

/// A public case's request with a new reference and, optionally, another first identifier.
pub(crate) fn request(case: &str, reference: &str, first_identifier: Option<&str>) -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/tests/conformance/cases");
    let value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join(case)).unwrap()).unwrap();
    let mut request = value["request"].clone();
    request["reference"] = reference.into();
    if let Some(id) = first_identifier {
        request["data"]["identifiers"][0]["value"] = id.into();
    }
    serde_json::to_vec(&request).unwrap()
}

pub(crate) struct Screened {
    bytes: Vec<u8>,
    request: Request,
    decision: domain::Decision,
}

impl Screened {
    pub(crate) fn request(&self) -> &Request {
        &self.request
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

pub(crate) fn screen(ctx: &rules::Context, bytes: Vec<u8>) -> Screened {
    let request = Request::parse("r.json", &bytes).unwrap();
    let decision = rules::screen(&request, &rules::sha256_hex(&bytes), ctx).unwrap();
    Screened { bytes, request, decision }
}

pub(crate) async fn take_in(store: &Store, sealer: &Sealer, items: &[Screened]) -> Vec<Received> {
    take_in_at(store, sealer, items, datetime!(2026-11-02 09:00 UTC)).await
}

/// [`take_in`], taken in at `now`.
pub(crate) async fn take_in_at(
    store: &Store,
    sealer: &Sealer,
    items: &[Screened],
    now: time::OffsetDateTime,
) -> Vec<Received> {
    try_take_in_at(store, sealer, items, now).await.unwrap()
}

/// [`take_in_at`], returning the store's error.
pub(crate) async fn try_take_in_at(
    store: &Store,
    sealer: &Sealer,
    items: &[Screened],
    now: time::OffsetDateTime,
) -> Result<Vec<Received>, store::StoreError> {
    let sections = vec!["07".to_owned()];
    let batch: Vec<Intake<'_>> = items
        .iter()
        .map(|s| Intake {
            request: &s.request,
            bytes: &s.bytes,
            decision: &s.decision,
            offence_sections: &sections,
            deadlines: &DEADLINES,
            now,
            actor: "ines",
        })
        .collect();
    store.intake(sealer, &batch).await
}

/// Adds a reviewer (`rui`) and an approver (`ana`), who take case `id` through review to approval at `now`, so
/// that it leaves the open states.
pub(crate) async fn review_and_approve(
    store: &Store,
    sealer: &Sealer,
    id: &str,
    now: time::OffsetDateTime,
) {
    for (name, role) in [("rui", Role::Reviewer), ("ana", Role::Approver)] {
        store.add_user(name, role, "a long enough password", now).await.unwrap();
    }
    let desk = store::Desk { sealer, deadlines: &DEADLINES };
    let reviewer = Actor { name: "rui", role: Role::Reviewer };
    let ana = Actor { name: "ana", role: Role::Approver };
    store.act(&desk, id, &reviewer, &Act::StartReview, now).await.unwrap();
    let approve =
        Act::Decide { resolution: Resolution::Approved, second_approver: None, reason: None };
    store.act(&desk, id, &ana, &approve, now).await.unwrap();
}

pub(crate) fn new_id(r: &Received) -> (String, Option<String>) {
    match r {
        Received::New { id, duplicate_of } => (id.clone(), duplicate_of.clone()),
        other => panic!("expected a new case, got {other:?}"),
    }
}

async fn story(db: TestDb) {
    let store = db.store().await;
    let sealer = Sealer::new(&[42; 32]);
    let ctx = ctx();
    let reviewer = Actor { name: "rui", role: Role::Reviewer };
    let adviser = Actor { name: "lea", role: Role::LegalAdviser };
    let approver = Actor { name: "ana", role: Role::Approver };
    let now = datetime!(2026-11-03 10:00 UTC);
    let desk = store::Desk { sealer: &sealer, deadlines: &DEADLINES };
    for (name, role) in [
        ("rui", Role::Reviewer),
        ("lea", Role::LegalAdviser),
        ("ana", Role::Approver),
        ("bo", Role::Approver),
    ] {
        store.add_user(name, role, "a long enough password", now).await.unwrap();
    }

    // Intake: a fraud request, an anti-state request, a content request, and a duplicate of the first.
    let fraud = screen(&ctx, request("001-fraud-approve.json", "A-1", None));
    let propaganda = screen(
        &ctx,
        request("003-vn-anti-state-propaganda.json", "V-1", Some("critic@example.org")),
    );
    let content = screen(
        &ctx,
        request("002-sabotage-bilateral-content.json", "U-1", Some("ops@example.net")),
    );
    let again = screen(&ctx, request("001-fraud-approve.json", "A-2", None));
    let received = take_in(&store, &sealer, &[fraud, propaganda, content, again]).await;
    let (a, dup_a) = new_id(&received[0]);
    let (v, _) = new_id(&received[1]);
    let (u, _) = new_id(&received[2]);
    let (a2, dup_a2) = new_id(&received[3]);
    assert_eq!(dup_a, None);
    assert_eq!(
        dup_a2.as_deref(),
        Some(a.as_str()),
        "same authority, overlapping identifier, open case"
    );
    // Resumable: the same reference again writes nothing.
    let again =
        take_in(&store, &sealer, &[screen(&ctx, request("001-fraud-approve.json", "A-1", None))])
            .await;
    assert_eq!(again, vec![Received::AlreadyStored { id: a.clone() }]);
    assert_eq!(store.case_count().await.unwrap(), 4);
    assert_eq!(store.tree_size().await.unwrap(), 8, "two leaves per case");

    // The fraud case: roles are enforced, and an approval matching the recommendation needs one approver.
    let err = store.act(&desk, &a, &reviewer, &Act::Close, now).await.unwrap_err();
    assert!(matches!(err, StoreError::Forbidden { .. }), "{err}");
    assert_eq!(
        store.act(&desk, &a, &reviewer, &Act::StartReview, now).await.unwrap(),
        CaseState::InReview
    );
    let decide = |r| Act::Decide { resolution: r, second_approver: None, reason: None };
    let err =
        store.act(&desk, &a, &reviewer, &decide(Resolution::Approved), now).await.unwrap_err();
    assert_eq!(err.to_string(), "a `reviewer` may not `decided_approved`");
    let state = store.act(&desk, &a, &approver, &decide(Resolution::Approved), now).await.unwrap();
    assert_eq!(state, CaseState::Decided(Resolution::Approved));
    let granted = store.case(&sealer, &a).await.unwrap().decision.unwrap().granted;
    store.act(&desk, &a, &approver, &Act::Execute { disclosed: granted }, now).await.unwrap();
    assert_eq!(store.act(&desk, &a, &approver, &Act::Close, now).await.unwrap(), CaseState::Closed);

    // The anti-state case: no refusal without consultation, and the error names state and event.
    store.act(&desk, &v, &reviewer, &Act::StartReview, now).await.unwrap();
    let err = store.act(&desk, &v, &approver, &decide(Resolution::Refused), now).await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("a case that is `in_review` cannot take the event `decided_refused`"),
        "{err}"
    );
    store.act(&desk, &v, &adviser, &Act::OpenConsultation, now).await.unwrap();
    store.act(&desk, &v, &approver, &decide(Resolution::Refused), now).await.unwrap();
    store.act(&desk, &v, &approver, &Act::Close, now).await.unwrap();

    // The content case: four eyes, and the second approver must be someone else.
    store.act(&desk, &u, &reviewer, &Act::StartReview, now).await.unwrap();
    let err =
        store.act(&desk, &u, &approver, &decide(Resolution::Approved), now).await.unwrap_err();
    assert!(matches!(err, StoreError::FourEyes(FourEyesError::SecondApproverMissing(_))), "{err}");
    let confirm = |first, second| {
        store.confirm_second_approver(first, second, "a long enough password", "test", now)
    };
    let err = confirm("ana", "ana").await.unwrap_err();
    assert!(matches!(err, store::ConfirmError::SameAccount), "{err}");
    let bo = confirm("ana", "bo").await.unwrap();
    // A confirmation is for one first approver: used by the second approver themselves, it is refused.
    let bo_acting = Actor { name: "bo", role: Role::Approver };
    let same = Act::Decide {
        resolution: Resolution::Approved,
        second_approver: Some(bo.clone()),
        reason: None,
    };
    let err = store.act(&desk, &u, &bo_acting, &same, now).await.unwrap_err();
    assert!(matches!(err, StoreError::FourEyes(FourEyesError::SameApprover(_))), "{err}");
    let two = Act::Decide {
        resolution: Resolution::Approved,
        second_approver: Some(bo.clone()),
        reason: None,
    };
    store.act(&desk, &u, &approver, &two, now).await.unwrap();

    // The duplicate: approving less than recommended departs, so it needs a reason and a second approver.
    store.act(&desk, &a2, &reviewer, &Act::StartReview, now).await.unwrap();
    let no_reason = Act::Decide {
        resolution: Resolution::ApprovedInPart,
        second_approver: Some(bo.clone()),
        reason: None,
    };
    let err = store.act(&desk, &a2, &approver, &no_reason, now).await.unwrap_err();
    assert!(matches!(err, StoreError::FourEyes(FourEyesError::ReasonMissing(_))), "{err}");
    let with_reason = Act::Decide {
        resolution: Resolution::ApprovedInPart,
        second_approver: Some(bo.clone()),
        reason: Some("only subscriber data is needed to identify the account holder".into()),
    };
    store.act(&desk, &a2, &approver, &with_reason, now).await.unwrap();
    let view = store.case(&sealer, &a2).await.unwrap();
    let last = view.timeline.last().unwrap();
    assert_eq!(last.detail.as_ref().unwrap()["departure"], "more_restrictive");
    assert_eq!(view.timeline.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![0, 1, 2, 3]);

    // Lists are sorted by due date; open cases only.
    let open = store.cases(&Filter { open_only: true, ..Filter::default() }).await.unwrap();
    assert!(open.is_empty(), "{open:?}");
    let all = store.cases(&Filter::default()).await.unwrap();
    assert_eq!(all.len(), 4);

    // The ledger verifies, every event is a leaf, and no leaf holds personal data.
    let size = store.tree_size().await.unwrap();
    assert_eq!(size, 8 + 4 + 4 + 2 + 2);
    store.verify_ledger(None).await.unwrap();
    for i in 0..size {
        let bytes = store.leaf(i).await.unwrap();
        let leaf = Leaf::decode(&bytes).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        for personal in [
            "payments-desk@example.org",
            "203.0.113.17",
            "critic@example.org",
            "mule accounts",
            "A-1",
        ] {
            assert!(!text.contains(personal), "leaf {i} holds {personal}: {text}");
        }
        assert_eq!(leaf.commitment.len(), 64);
    }
    let timeline = store.case(&sealer, &a).await.unwrap().timeline;
    for entry in &timeline {
        let leaf = Leaf::decode(&store.leaf(entry.leaf_index).await.unwrap()).unwrap();
        assert_eq!(
            (leaf.case.as_str(), leaf.seq, leaf.event.as_str()),
            (a.as_str(), entry.seq, entry.event.as_str())
        );
    }

    // Purge: personal data of closed cases goes, the ledger stays and still verifies.
    let purged = store
        .purge(datetime!(2026-12-01 00:00 UTC), datetime!(2026-12-01 00:00 UTC))
        .await
        .unwrap();
    assert_eq!(purged, 2, "the fraud and the anti-state cases were closed");
    let view = store.case(&sealer, &a).await.unwrap();
    assert!(view.request.is_none() && view.decision.is_none() && view.summary.purged);
    assert!(view.timeline.iter().all(|e| e.detail.is_none()));
    assert_eq!(store.tree_size().await.unwrap(), size);
    store.verify_ledger(None).await.unwrap();
    // A later run finds nothing more to purge, and what was purged stays purged.
    let again = store
        .purge(datetime!(2026-12-02 00:00 UTC), datetime!(2026-12-02 00:00 UTC))
        .await
        .unwrap();
    assert_eq!(again, 0);
    assert_eq!(store.case(&sealer, &a).await.unwrap(), view);

    // A wrong key cannot open personal data.
    let err = store.case(&Sealer::new(&[1; 32]), &u).await.unwrap_err();
    assert!(matches!(err, StoreError::Crypto(_)), "{err}");
}

#[tokio::test]
async fn story_on_sqlite() {
    story(db::sqlite()).await;
}

#[tokio::test]
async fn story_on_postgres() {
    if let Some(db) = db::postgres("story").await {
        story(db).await;
    }
}
