//! Security properties of the HTTP layer: sign-in throttling that never locks a person out, disabled accounts,
//! second approvers, escaped error pages, `Cache-Control`, and bounded metric labels.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, Response};
use domain::case::Role;
use serde_json::json;
use server::{AppState, Config};
use tower::ServiceExt as _;

use crate::common::{name, Harness, PASSWORD};

/// A sign-in form post from `peer` (when given), with extra headers.
fn login(user: &str, password: &str, peer: Option<&str>, extra: &[(&str, &str)]) -> Request<Body> {
    let mut b = Request::builder()
        .method("POST")
        .uri("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, "rg_login=t0ken");
    for (k, v) in extra {
        b = b.header(*k, *v);
    }
    let body = format!("csrf=t0ken&name={user}&password={}", password.replace(' ', "+"));
    let mut req = b.body(Body::from(body)).unwrap();
    if let Some(peer) = peer {
        let addr: SocketAddr = format!("{peer}:40000").parse().unwrap();
        req.extensions_mut().insert(ConnectInfo(addr));
    }
    req
}

async fn text(res: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// A guessing client is slowed, told how long to wait, and never told the account is locked; the owner,
/// from their own address, signs in at once.
#[tokio::test]
async fn sign_in_throttling_never_locks_out_the_owner() {
    let h = Harness::new().await;
    let (attacker, owner) = ("203.0.113.9", "198.51.100.7");
    for _ in 0..store::LOGIN_FREE_FAILURES {
        let res = h.send(login("approver", "a wrong guess", Some(attacker), &[])).await;
        assert_eq!(res.status(), 401);
    }
    let res = h.send(login("approver", PASSWORD, Some(attacker), &[])).await;
    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    let page = text(res).await;
    assert!(page.contains("Wait ") && page.contains("second"), "{page}");
    assert!(!page.to_lowercase().contains("lock"), "{page}");

    let res = h.send(login("approver", PASSWORD, Some(owner), &[])).await;
    assert_eq!(res.status(), 303, "the owner signs in while the account is under attack");

    // Without `trust_forwarded_for`, `X-Forwarded-For` is ignored: the attacker cannot pose as someone new.
    let res = h
        .send(login("approver", PASSWORD, Some(attacker), &[("x-forwarded-for", "192.0.2.1")]))
        .await;
    assert_eq!(res.status(), 429);
}

/// Behind a trusted proxy the last `X-Forwarded-For` entry is the client; earlier entries are the caller's
/// claims and change nothing.
#[tokio::test]
async fn trusted_proxy_throttles_by_the_last_forwarded_hop() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let store = store::Store::connect(&url).await.unwrap();
    store.add_user("ana", Role::Approver, PASSWORD, time::OffsetDateTime::now_utc()).await.unwrap();
    let sealer = store::Sealer::new(&[7u8; store::KEY_LEN]);
    let config = Config { trust_forwarded_for: true, ..Config::default() };
    let state = AppState::new(store, sealer, crate::common::ctx(), config);
    let send = |req| server::router(state.clone()).oneshot(req);
    let proxy = Some("10.0.0.2");
    for i in 0..store::LOGIN_FREE_FAILURES {
        let claimed = format!("192.0.2.{i}, 203.0.113.9");
        let res = send(login("ana", "a wrong guess", proxy, &[("x-forwarded-for", &claimed)]))
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
    let spoofed = [("x-forwarded-for", "192.0.2.200, 203.0.113.9")];
    assert_eq!(send(login("ana", PASSWORD, proxy, &spoofed)).await.unwrap().status(), 429);
    let owner = [("x-forwarded-for", "198.51.100.7")];
    assert_eq!(send(login("ana", PASSWORD, proxy, &owner)).await.unwrap().status(), 303);
}

/// Disabling an account ends its sessions and tokens at once and stops it signing in.
#[tokio::test]
async fn a_disabled_account_is_out_at_once() {
    let h = Harness::new().await;
    let (cookie, _) = h.session(Role::Reviewer).await;
    let queue =
        || Request::builder().uri("/queue").header(header::COOKIE, &cookie).body(Body::empty());
    assert_eq!(h.send(queue().unwrap()).await.status(), 200);
    assert_eq!(h.json("GET", "/api/v1/cases", Some(Role::Reviewer), None).await.0, 200);

    let now = time::OffsetDateTime::now_utc();
    h.state.store().disable_user(&name(Role::Reviewer), now).await.unwrap();
    let res = h.send(queue().unwrap()).await;
    assert_eq!(res.headers()[header::LOCATION], "/login", "the session no longer works");
    assert_eq!(h.json("GET", "/api/v1/cases", Some(Role::Reviewer), None).await.0, 401);
    let res = h.send(login(&name(Role::Reviewer), PASSWORD, Some("198.51.100.7"), &[])).await;
    assert_eq!(res.status(), 403);
    assert!(text(res).await.contains("disabled"));
}

/// Second approvers are checked as accounts; each failure names its field, and a guesser's throttling does
/// not keep the second approver from confirming someone else's decision.
#[tokio::test]
async fn second_approver_errors_name_the_field() {
    let h = Harness::new().await;
    let store = h.state.store();
    let now = time::OffsetDateTime::now_utc();
    store.add_user("approver-3", Role::Approver, PASSWORD, now).await.unwrap();
    let third = store.create_api_token("approver-3", "test", now).await.unwrap();
    store.add_user("approver-off", Role::Approver, PASSWORD, now).await.unwrap();
    store.disable_user("approver-off", now).await.unwrap();

    let id = h.submit("001-fraud-approve.json", "FOUR-EYES-1").await;
    let uri = format!("/api/v1/cases/{id}/actions");
    for (role, action) in
        [(Role::Reviewer, "start_review"), (Role::LegalAdviser, "open_consultation")]
    {
        let (status, p) = h.json("POST", &uri, Some(role), Some(&json!({"action": action}))).await;
        assert_eq!(status, 200, "{p}");
    }
    let decide = |second: &str, password: &str| {
        json!({"action": "decide", "resolution": "refused", "reason": "a civil dispute",
               "second_approver": {"name": second, "password": password}})
    };
    for (second, password, pointer) in [
        ("approver", PASSWORD, "/second_approver/name"),
        ("reviewer", PASSWORD, "/second_approver/name"),
        ("approver-off", PASSWORD, "/second_approver/name"),
        ("approver-2", "a wrong guess", "/second_approver/password"),
        ("approver-2", "a wrong guess", "/second_approver/password"),
    ] {
        let (status, p) =
            h.json("POST", &uri, Some(Role::Approver), Some(&decide(second, password))).await;
        assert_eq!((status, p["errors"][0]["pointer"].as_str()), (422, Some(pointer)), "{p}");
    }
    // Failures count per second approver, so two of the free ones are spent on `approver-2`.
    for _ in 2..store::LOGIN_FREE_FAILURES {
        let (status, _) =
            h.json("POST", &uri, Some(Role::Approver), Some(&decide("approver-2", "guess"))).await;
        assert_eq!(status, 422);
    }
    let req = Request::builder()
        .method("POST")
        .uri(&uri)
        .header(header::AUTHORIZATION, format!("Bearer {}", h.token(Role::Approver)))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(decide("approver-2", PASSWORD).to_string()))
        .unwrap();
    let res = h.send(req).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key(header::RETRY_AFTER));
    let p: serde_json::Value = serde_json::from_str(&text(res).await).unwrap();
    assert_eq!(p["errors"][0]["pointer"], "/second_approver/password", "{p}");

    // Another first approver is not slowed by that guessing.
    let req = Request::builder()
        .method("POST")
        .uri(&uri)
        .header(header::AUTHORIZATION, format!("Bearer {third}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(decide("approver-2", PASSWORD).to_string()))
        .unwrap();
    let res = h.send(req).await;
    let status = res.status();
    assert_eq!(status, 200, "{}", text(res).await);
}

/// Authenticated pages and API responses, and the sign-in page, are never stored by caches; public pages and
/// assets fetched anonymously may be.
#[tokio::test]
async fn cache_control() {
    let h = Harness::new().await;
    let (cookie, _) = h.session(Role::Reviewer).await;
    let get = |uri: &str, cookie: Option<&str>, bearer: Option<&str>| {
        let mut b = Request::builder().uri(uri);
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        if let Some(t) = bearer {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        b.body(Body::empty()).unwrap()
    };
    let reviewer = h.token(Role::Reviewer).to_owned();
    for (req, expect) in [
        (get("/login", None, None), "no-store"),
        (get("/queue", Some(&cookie), None), "no-store"),
        (get("/transparency", Some(&cookie), None), "no-store"),
        (get("/api/v1/cases", None, Some(&reviewer)), "no-store"),
        (get("/api/v1/cases", None, None), "no-store"),
        (get("/api/v1/health", None, None), "no-store"),
        (get("/no/such/page", None, None), "no-store"),
        (get("/metrics", None, None), "no-store"),
        (get("/transparency", None, None), "public, max-age=300"),
        (get("/static/style.css", None, None), "public, max-age=300"),
    ] {
        let uri = req.uri().to_string();
        let res = h.send(req).await;
        assert_eq!(res.headers()[header::CACHE_CONTROL], expect, "{uri} ({})", res.status());
    }
}

/// Junk methods and paths add no metric series: routes are labelled by their template or `unmatched`, and
/// methods outside a fixed set as `other`.
#[tokio::test]
async fn metric_labels_are_bounded() {
    let h = Harness::new().await;
    let series = |body: String| -> BTreeSet<String> {
        body.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.rsplit_once(' ').map(|(labels, _)| labels.to_owned()))
            .collect()
    };
    let junk = |i: usize| {
        let (method, uri) = match i % 4 {
            0 => (format!("JUNK{i}"), "/queue".to_owned()),
            1 => ("GET".to_owned(), format!("/junk/{i}")),
            2 => (format!("X{i}"), format!("/api/v1/junk/{i}")),
            _ => ("GET".to_owned(), format!("/api/v1/cases/{i}x/actions/junk")),
        };
        Request::builder().method(method.as_str()).uri(uri).body(Body::empty()).unwrap()
    };
    for i in 0..8 {
        h.send(junk(i)).await;
    }
    let metrics = || Request::builder().uri("/metrics").body(Body::empty()).unwrap();
    h.send(metrics()).await;
    let before = series(text(h.send(metrics()).await).await);
    for i in 8..1008 {
        h.send(junk(i)).await;
    }
    let after = series(text(h.send(metrics()).await).await);
    assert_eq!(after, before, "{:#?}", after.difference(&before).collect::<Vec<_>>());
    assert!(after.iter().all(|s| !s.contains("JUNK") && !s.contains("/junk/")), "{after:#?}");
}
