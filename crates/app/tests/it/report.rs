//! A report over a SQLite store of real cases (taken in and decided through the store): computed,
//! incrementally and at once alike, published, signed, verified, and refused once a number or the key is
//! changed.

use std::path::Path;

use app::report::{self, verify::Signature, Control, Tally, VerifyError};
use domain::case::{Resolution, Role};
use domain::stats::Period;
use domain::Day;
use ledger::{Checkpoint, NoteSigner};
use serde_json::{json, Value};
use store::{Act, Actor, Desk, Received, Sealer, Store};
use time::macros::datetime;

fn ctx() -> rules::Context {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/tests/conformance");
    app::inputs::load_context(&root.join("lawpacks"), &root.join("policies/default.toml")).unwrap()
}

/// A public conformance case's request with a new reference.
fn request(case: &str, reference: &str) -> Vec<u8> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/tests/conformance/cases").join(case);
    let value: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut request = value["request"].clone();
    request["reference"] = reference.into();
    serde_json::to_vec(&request).unwrap()
}

fn document(stats: &domain::stats::Report, root: ledger::RootHash, signer: &NoteSigner) -> Value {
    let checkpoint = Checkpoint::new(signer.name(), root).unwrap();
    let note = checkpoint.sign(signer).unwrap();
    let verifier = signer.verifier().to_string();
    let published = report::publish(stats, Control::exact(), None);
    report::document(stats.period, &checkpoint, &note, Some(&verifier), published)
}

#[tokio::test]
async fn a_report_of_real_cases_verifies_and_a_changed_number_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let store = Store::connect(&url).await.unwrap();
    let sealer = Sealer::new(&[7; 32]);
    let ctx = ctx();
    // Six fraud requests (one approved) and two others, all received on 2026-10-05.
    let mut requests: Vec<Vec<u8>> =
        (0..6).map(|i| request("001-fraud-approve.json", &format!("F-{i}"))).collect();
    requests
        .extend((0..2).map(|i| request("003-vn-anti-state-propaganda.json", &format!("V-{i}"))));
    let now = datetime!(2026-10-06 09:00 UTC);
    let received =
        app::intake::take_in(&store, &sealer, &ctx, &requests, now, "ines").await.unwrap();
    let Some(Ok(Received::New { id, .. })) = received.first() else { panic!("{received:?}") };
    store.add_user("rui", Role::Reviewer, "a long enough password", now).await.unwrap();
    store.add_user("ana", Role::Approver, "a long enough password", now).await.unwrap();
    let reviewer = Actor { name: "rui", role: Role::Reviewer };
    let approver = Actor { name: "ana", role: Role::Approver };
    let desk = Desk { sealer: &sealer, deadlines: &ctx.policy().deadlines };
    store.act(&desk, id, &reviewer, &Act::StartReview, now).await.unwrap();
    let decide =
        Act::Decide { resolution: Resolution::Approved, second_approver: None, reason: None };
    store.act(&desk, id, &approver, &decide, now).await.unwrap();

    let period = Period::half_year(Day::parse("2026-10-05").unwrap());
    let size = store.tree_size().await.unwrap();
    assert_eq!(size, 8 * 2 + 2);

    // Fed in two steps, the tally gives what one pass gives, and snapshots do not disturb it.
    let (stats, root) = report::current(&store, period).await.unwrap();
    let mut tally = Tally::new(period);
    tally.advance(&store, 5).await.unwrap();
    let (partial, partial_root) = tally.snapshot();
    assert_eq!(partial_root.size(), 5);
    assert_eq!(report::compute(&store, period, 5).await.unwrap(), (partial, partial_root));
    tally.advance(&store, size).await.unwrap();
    assert_eq!(tally.finish(), (stats.clone(), root));

    let signer = NoteSigner::from_seed("example.org/log", [9; 32]).unwrap();
    let doc = document(&stats, root, &signer);
    assert_eq!(
        doc["totals"],
        json!({"approved": null, "approved_in_part": null, "refused": 0, "withdrawn": 0, "pending": 7, "received": 8})
    );
    assert_eq!(doc["days_to_decision"]["decided"], Value::Null);
    let verified = report::verify(&doc, &store, None).await.unwrap();
    assert_eq!(verified.tree_size, size);
    assert_eq!(verified.signature, Signature::ReportKey);

    // Later cases do not disturb a report of an earlier checkpoint.
    let more = [request("001-fraud-approve.json", "F-9")];
    app::intake::take_in(&store, &sealer, &ctx, &more, now, "ines").await.unwrap();
    report::verify(&doc, &store, None).await.unwrap();

    // A changed number is named.
    let mut tampered = doc.clone();
    tampered["totals"]["received"] = json!(9);
    let err = report::verify(&tampered, &store, None).await.unwrap_err();
    assert_eq!(err.to_string(), "`totals.received`: published `9`, recomputed from the ledger `8`");
    assert!(matches!(err, VerifyError::Mismatch(_)));
    // A withheld count published after all is a difference too.
    let mut tampered = doc.clone();
    tampered["totals"]["approved"] = json!(1);
    let err = report::verify(&tampered, &store, None).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "`totals.approved`: published `1`, recomputed from the ledger `null`"
    );

    // Another key than the one that signed does not verify the checkpoint; a bad key is invalid input.
    let other = NoteSigner::from_seed("example.org/log", [8; 32]).unwrap().verifier().to_string();
    let err = report::verify(&doc, &store, Some(&other)).await.unwrap_err();
    assert!(matches!(err, VerifyError::Mismatch(_)), "{err}");
    assert!(err.to_string().starts_with("checkpoint signature: "), "{err}");
    let err = report::verify(&doc, &store, Some("nonsense")).await.unwrap_err();
    assert!(err.is_invalid_input(), "{err}");
}

/// Counting from a kept tally gives what counting every leaf gives: at once, after more cases, after the day
/// (and so the period's end) moves on; a kept tally of other bytes or another release is not taken up.
#[tokio::test]
async fn a_kept_tally_is_taken_up_and_counts_what_every_leaf_counts() {
    use report::Start;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let store = Store::connect(&url).await.unwrap();
    let sealer = Sealer::new(&[7; 32]);
    let ctx = ctx();
    let now = datetime!(2026-10-06 09:00 UTC);
    let take_in = |prefix: &'static str, n: usize| {
        let requests: Vec<Vec<u8>> =
            (0..n).map(|i| request("001-fraud-approve.json", &format!("{prefix}-{i}"))).collect();
        let (store, sealer, ctx) = (&store, &sealer, &ctx);
        async move { app::intake::take_in(store, sealer, ctx, &requests, now, "ines").await.unwrap() }
    };
    let day = |d: &str| Day::parse(d).unwrap();
    let october = Period::new(day("2026-01-01"), day("2026-10-06")).unwrap();
    let every_leaf = |period| {
        let store = &store;
        async move {
            let size = store.tree_size().await.unwrap();
            report::counted(store, period, size, Start::First).await.unwrap()
        }
    };
    take_in("A", 5).await;
    assert_eq!(report::resume(&store, october, 100).await.size(), 0);
    let first = report::current(&store, october).await.unwrap();
    assert_eq!(first, every_leaf(october).await);
    let kept = store.kept_tally(october.from()).await.unwrap().unwrap();
    assert_eq!(kept.root, first.1);
    // Taken up: it starts at the kept size, and counting on gives what every leaf gives.
    take_in("B", 3).await;
    assert_eq!(report::resume(&store, october, u64::MAX).await.size(), first.1.size());
    let second = report::current(&store, october).await.unwrap();
    assert_eq!(second, every_leaf(october).await);
    assert_eq!(second.0.table("totals").unwrap().with_margins()[0][5], 8);
    // Not taken up for a count of fewer leaves than it holds, nor for a period ending earlier.
    assert_eq!(report::resume(&store, october, 3).await.size(), 0);
    let september = Period::new(october.from(), day("2026-09-30")).unwrap();
    assert_eq!(report::resume(&store, september, u64::MAX).await.size(), 0);
    // The next day: widened, since no case after 6 October was skipped.
    let later = Period::new(october.from(), day("2026-12-01")).unwrap();
    assert_eq!(report::resume(&store, later, u64::MAX).await.size(), second.1.size());
    assert_eq!(report::current(&store, later).await.unwrap(), every_leaf(later).await);
    // A kept form of another release, or bytes that are not one, are refused with a reason.
    let tally = report::resume(&store, later, u64::MAX).await;
    let mut bytes = tally.to_kept();
    assert_eq!(Tally::from_kept(&bytes).unwrap().to_kept(), bytes);
    // The release string follows the version number (one varint byte) and its own length byte.
    bytes[2] ^= 0x20;
    assert!(matches!(Tally::from_kept(&bytes), Err(report::KeptError::Release { .. })));
    assert!(matches!(Tally::from_kept(b"\xff\xff"), Err(report::KeptError::Format(_))));
}
