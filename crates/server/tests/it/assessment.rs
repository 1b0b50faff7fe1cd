//! The assessment pages: the desk page for oversight and legal advisers (with what the ledger shows), and the
//! published assessment, linked from the public page only when the framework commits to publishing it.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{header, Request};
use domain::case::Role;
use server::Config;

use crate::common::Harness;

pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn loaded(framework: &Path) -> app::assess::Loaded {
    app::assess::load(
        "DE",
        &root().join("lawpacks"),
        &root().join("policies/default.toml"),
        Some(framework),
    )
    .unwrap()
}

/// A server whose assessment pages read the demo state's files and `framework`.
pub(crate) async fn harness(framework: &Path) -> Harness {
    Harness::with_config(Config { assessment: Some(loaded(framework)), ..Config::default() }).await
}

async fn get(h: &Harness, role: Option<Role>, uri: &str) -> (u16, String) {
    let mut req = Request::builder().uri(uri);
    if let Some(role) = role {
        req = req.header(header::COOKIE, h.session(role).await.0);
    }
    let res = h.send(req.body(Body::empty()).unwrap()).await;
    let status = res.status().as_u16();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn the_desk_shows_every_item_to_oversight_and_legal_advisers() {
    let framework = root().join("frameworks/DE.toml");
    let h = harness(&framework).await;
    h.submit("001-fraud-approve.json", "ASSESS-1").await;
    let items = loaded(&framework).assess(None).items;
    for role in [Role::LegalAdviser, Role::Oversight] {
        let (status, page) = get(&h, Some(role), "/assessment").await;
        assert_eq!(status, 200, "{role}");
        for item in &items {
            assert!(
                page.contains(&format!("<tr id=\"{}\">", item.id)),
                "{role}: {} missing",
                item.id
            );
        }
        assert!(page.contains("id=\"assessment-summary\""));
        // What the ledger shows: the request just taken in.
        assert!(page.contains("In practice: 1 requests received"), "{page}");
        assert!(
            page.contains("<a href=\"/assessment\">Assessment</a>"),
            "no navigation link for {role}"
        );
    }
    let (status, _) = get(&h, Some(Role::Reviewer), "/assessment").await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn the_published_assessment_is_linked_from_the_public_page() {
    let framework = root().join("frameworks/DE.toml");
    let h = harness(&framework).await;
    let (status, body) = get(&h, None, "/assessment.json").await;
    assert_eq!(status, 200);
    // The published document is the one `rightsgate assess` prints from the same files: no practice figures.
    assert_eq!(body, app::assess::json(&loaded(&framework).assess(None)));
    let (status, html) = get(&h, None, "/assessment.html").await;
    assert_eq!(status, 200);
    assert!(html.contains("<section id=\"uncc-42-preservation-reservation\">"));
    let (_, page) = get(&h, None, "/transparency").await;
    assert!(page.contains("id=\"assessment-link\""), "{page}");

    // A framework that does not commit to publishing it: nothing public, no link.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(&framework).unwrap();
    assert!(text.contains("assessment = true"));
    let unpublished = dir.path().join("DE.toml");
    std::fs::write(&unpublished, text.replace("assessment = true", "assessment = false")).unwrap();
    let h = harness(&unpublished).await;
    assert_eq!(get(&h, None, "/assessment.json").await.0, 404);
    assert_eq!(get(&h, None, "/assessment.html").await.0, 404);
    let (_, page) = get(&h, None, "/transparency").await;
    assert!(!page.contains("id=\"assessment-link\""));
    // The desk still shows it.
    assert_eq!(get(&h, Some(Role::Oversight), "/assessment").await.0, 200);
}
