//! `POST /add-checkpoint` through the router: statuses, the 409 body and its content type.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;
use witness::{router, State, Witness};

use crate::{cosignature_time, cosigner, logs, Log};

fn clock() -> u64 {
    1_700_000_000
}

async fn post(w: &Witness, body: impl Into<Body>) -> (StatusCode, Option<String>, String) {
    let request =
        Request::builder().method(Method::POST).uri("/add-checkpoint").body(body.into()).unwrap();
    let response = router(w.clone(), clock).oneshot(request).await.unwrap();
    let status = response.status();
    let kind = response.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, kind, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn add_checkpoint_answers_with_the_spec_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let w = Witness::new(cosigner(), logs(), State::open(dir.path()).await.unwrap());
    let log = Log::honest(20);
    let fork = Log::branch(20, 3, "fork");

    let (status, _, lines) = post(&w, log.request(0, 10)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(lines.starts_with("\u{2014} oversight.example/witness ") && lines.ends_with('\n'));
    assert_eq!(cosignature_time(&log.note(10), &lines), clock());

    let (status, kind, body) = post(&w, log.request(4, 12)).await;
    assert_eq!(
        (status, kind.as_deref(), body.as_str()),
        (StatusCode::CONFLICT, Some("text/x.tlog.size"), "10\n")
    );
    let (status, kind, body) = post(&w, fork.request(10, 10)).await;
    assert_eq!(
        (status, kind.as_deref(), body.as_str()),
        (StatusCode::CONFLICT, Some("text/x.tlog.size"), "10\n")
    );
    assert_eq!(post(&w, fork.request(10, 20)).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(post(&w, "old 1\n\nnot a note\n").await.0, StatusCode::BAD_REQUEST);
    let tampered = log.request(10, 12).replacen("\n12\n", "\n13\n", 1);
    assert_eq!(post(&w, tampered).await.0, StatusCode::FORBIDDEN);
    let other = ledger::NoteSigner::from_seed("other.example/log", [1; 32]).unwrap();
    let note = ledger::Checkpoint::new("other.example/log", log.tree.root_at(3).unwrap())
        .unwrap()
        .sign(&other)
        .unwrap();
    assert_eq!(post(&w, format!("old 0\n\n{note}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(post(&w, vec![b'x'; witness::MAX_BODY + 1]).await.0, StatusCode::PAYLOAD_TOO_LARGE);

    let (status, _, _) = post(&w, log.request(10, 20)).await;
    assert_eq!(status, StatusCode::OK);
    let get = Request::builder().uri("/add-checkpoint").body(Body::empty()).unwrap();
    assert_eq!(
        router(w, clock).oneshot(get).await.unwrap().status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
}
