//! The API and pages in process: the route × role table, the bad-input table, the case flow with proofs and
//! four eyes, login, CSRF and rate limiting, OpenAPI and the schemas.

use axum::body::Body;
use axum::http::{header, Request};
use domain::case::Role;
use serde_json::json;

use crate::common::{request, Harness, PASSWORD};

/// (method, path, body, roles allowed, whether anonymous callers are allowed)
type ApiRow = (&'static str, String, Option<serde_json::Value>, Vec<Role>, bool);
/// (what, uri, token, content type, body, expected status, a field the problem must name)
type BadRow<'a> = (&'static str, String, &'a str, &'static str, Vec<u8>, u16, &'static str);

/// Who may call what. `None` is an anonymous caller. "Allowed" means neither 401/403 nor a redirect to the
/// sign-in page; an allowed call may still fail for other reasons (a state conflict, four eyes).
#[tokio::test]
async fn route_role_table() {
    let h = Harness::new().await;
    let case = h.submit("001-fraud-approve.json", "RR-1").await;
    const ALL: &[Role] = Role::ALL;
    // Case handlers read cases (personal data); oversight reads the ledger of every case instead.
    let readers: Vec<Role> = ALL
        .iter()
        .copied()
        .filter(|r| !matches!(r, Role::AuditorPublic | Role::Oversight))
        .collect();
    let ledger_readers: Vec<Role> =
        ALL.iter().copied().filter(|r| *r != Role::AuditorPublic).collect();
    let everyone: Vec<Option<Role>> =
        std::iter::once(None).chain(ALL.iter().copied().map(Some)).collect();
    let eval_body = request("001-fraud-approve.json", "RR-EVAL");
    let act_review = json!({ "action": "start_review" });
    let act_decide = json!({ "action": "decide", "resolution": "approved" });
    // (method, path, body, roles allowed; anonymous is allowed only where the list says public)
    let api: Vec<ApiRow> = vec![
        ("GET", "/api/v1/health".into(), None, ALL.to_vec(), true),
        ("GET", "/api/v1/openapi.json".into(), None, ALL.to_vec(), true),
        ("GET", "/api/v1/checkpoint".into(), None, ALL.to_vec(), true),
        ("GET", "/schemas/request.v1.json".into(), None, ALL.to_vec(), true),
        ("GET", "/metrics".into(), None, ALL.to_vec(), true),
        ("POST", "/api/v1/evaluate".into(), Some(eval_body.clone()), readers.clone(), false),
        ("GET", "/api/v1/cases".into(), None, readers.clone(), false),
        ("GET", format!("/api/v1/cases/{case}"), None, readers.clone(), false),
        ("GET", format!("/api/v1/ledger/cases/{case}"), None, ledger_readers.clone(), false),
        (
            "POST",
            format!("/api/v1/cases/{case}/actions"),
            Some(act_review),
            vec![Role::Reviewer, Role::LegalAdviser, Role::Approver],
            false,
        ),
        (
            "POST",
            format!("/api/v1/cases/{case}/actions"),
            Some(act_decide),
            vec![Role::Approver],
            false,
        ),
    ];
    let mut n = 0;
    for (method, path, body, allowed, public) in &api {
        for who in &everyone {
            let expect = match who {
                None => *public,
                Some(r) => allowed.contains(r),
            };
            let (status, got) = h.json(method, path, *who, body.as_ref()).await;
            let denied = status == 401 || status == 403;
            assert_eq!(!denied, expect, "{method} {path} as {who:?}: {status} {got}");
            assert!(status < 500, "{method} {path} as {who:?}: {status}");
            n += 1;
        }
    }
    // Intake writes: one new reference per allowed call.
    for who in &everyone {
        let body = request("001-fraud-approve.json", &format!("RR-IN-{who:?}"));
        let (status, _) = h.json("POST", "/api/v1/requests", *who, Some(&body)).await;
        let expect = *who == Some(Role::IntakeOfficer);
        assert_eq!(status == 201, expect, "POST /api/v1/requests as {who:?}: {status}");
        if !expect {
            assert!(status == 401 || status == 403);
        }
        n += 1;
    }

    // Pages, with sessions: signed-out callers are sent to the sign-in page.
    let pages: Vec<(String, Vec<Role>, bool)> = vec![
        ("/queue".into(), readers.clone(), false),
        ("/intake".into(), vec![Role::IntakeOfficer], false),
        (format!("/cases/{case}"), readers.clone(), false),
        ("/oversight".into(), ledger_readers.clone(), false),
        ("/assessment".into(), vec![Role::LegalAdviser, Role::Oversight], false),
        ("/transparency".into(), ALL.to_vec(), true),
        ("/transparency.json".into(), ALL.to_vec(), true),
        ("/login".into(), ALL.to_vec(), true),
    ];
    for (path, allowed, public) in &pages {
        for who in &everyone {
            let mut req = Request::builder().uri(path);
            if let Some(role) = who {
                req = req.header(header::COOKIE, h.session(*role).await.0);
            }
            let res = h.send(req.body(Body::empty()).unwrap()).await;
            let status = res.status().as_u16();
            let to_login = res.headers().get(header::LOCATION).is_some_and(|l| l == "/login");
            let ok = !(status == 401 || status == 403 || to_login);
            let expect = match who {
                None => *public,
                Some(r) => allowed.contains(r),
            };
            assert_eq!(ok, expect, "GET {path} as {who:?}: {status}");
            n += 1;
        }
    }
    // Page actions: the role check comes before the case's state.
    for role in ALL {
        let (cookie, csrf) = h.session(*role).await;
        let req = Request::builder()
            .method("POST")
            .uri(format!("/cases/{case}/act"))
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf={csrf}&action=request_information")))
            .unwrap();
        let status = h.send(req).await.status().as_u16();
        let expect = matches!(role, Role::Reviewer | Role::LegalAdviser | Role::Approver);
        assert_eq!(status != 403, expect, "POST /cases/{{id}}/act as {role:?}: {status}");
        n += 1;
    }
    assert!(n > 90, "{n} checks");
}

/// Bad input over HTTP: always a 4xx problem document naming the field, never a 500, and nothing stored.
#[tokio::test]
async fn bad_input_table() {
    let h = Harness::new().await;
    let case = h.submit("001-fraud-approve.json", "BAD-0").await;
    let store = h.state.store();
    let (cases_before, leaves_before) =
        (store.case_count().await.unwrap(), store.tree_size().await.unwrap());
    let good = request("001-fraud-approve.json", "BAD-1");
    let with = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = good.clone();
        f(&mut v);
        serde_json::to_vec(&v).unwrap()
    };
    let big = {
        let mut v = good.clone();
        v["facts"] = "x".repeat(1024 * 1024 + 1).into();
        serde_json::to_vec(&v).unwrap()
    };
    let token = h.token(Role::IntakeOfficer).to_owned();
    let approver = h.token(Role::Approver).to_owned();
    let json_ct = "application/json";
    // (what, uri, token, content type, body, status, a field the problem must name)
    let table: Vec<BadRow<'_>> = vec![
        (
            "malformed JSON",
            "/api/v1/requests".into(),
            &token,
            json_ct,
            b"{\"schema\": ".to_vec(),
            400,
            "",
        ),
        ("empty body", "/api/v1/requests".into(), &token, json_ct, Vec::new(), 400, ""),
        ("not an object", "/api/v1/requests".into(), &token, json_ct, b"[1, 2]".to_vec(), 422, ""),
        (
            "unknown top-level field",
            "/api/v1/requests".into(),
            &token,
            json_ct,
            with(&|v| v["colour"] = "blue".into()),
            422,
            "colour",
        ),
        (
            "unknown nested field",
            "/api/v1/requests".into(),
            &token,
            json_ct,
            with(&|v| v["requesting"]["rank"] = "x".into()),
            422,
            "rank",
        ),
        (
            "invalid measure",
            "/api/v1/requests".into(),
            &token,
            json_ct,
            with(&|v| v["measure"] = "teleport".into()),
            422,
            "/measure",
        ),
        (
            "invalid category",
            "/api/v1/requests".into(),
            &token,
            json_ct,
            with(&|v| v["data"]["categories"][0] = "thoughts".into()),
            422,
            "/data/categories/0",
        ),
        (
            "missing field",
            "/api/v1/requests".into(),
            &token,
            json_ct,
            with(&|v| {
                v.as_object_mut().unwrap().remove("facts");
            }),
            422,
            "facts",
        ),
        (
            "wrong type",
            "/api/v1/requests".into(),
            &token,
            json_ct,
            with(&|v| v["assurances"]["use_limited_to_proceedings"] = "yes".into()),
            422,
            "/assurances/use_limited_to_proceedings",
        ),
        (
            "a NUL in a field kept in clear",
            "/api/v1/requests".into(),
            &token,
            json_ct,
            with(&|v| v["reference"] = "BAD-\u{0}".into()),
            422,
            "/reference",
        ),
        (
            "wrong content type",
            "/api/v1/requests".into(),
            &token,
            "text/plain",
            serde_json::to_vec(&good).unwrap(),
            415,
            "",
        ),
        (
            "form content type",
            "/api/v1/evaluate".into(),
            &token,
            "application/x-www-form-urlencoded",
            b"a=b".to_vec(),
            415,
            "",
        ),
        ("over 1 MiB", "/api/v1/requests".into(), &token, json_ct, big.clone(), 413, ""),
        ("over 1 MiB to evaluate", "/api/v1/evaluate".into(), &token, json_ct, big, 413, ""),
        (
            "invalid enum to evaluate",
            "/api/v1/evaluate".into(),
            &token,
            json_ct,
            with(&|v| v["urgency"] = "yesterday".into()),
            422,
            "/urgency",
        ),
        (
            "unknown action",
            format!("/api/v1/cases/{case}/actions"),
            &approver,
            json_ct,
            br#"{"action":"shred"}"#.to_vec(),
            422,
            "/action",
        ),
        (
            "invalid resolution",
            format!("/api/v1/cases/{case}/actions"),
            &approver,
            json_ct,
            br#"{"action":"decide","resolution":"maybe"}"#.to_vec(),
            422,
            "/resolution",
        ),
        (
            "unknown action field",
            format!("/api/v1/cases/{case}/actions"),
            &approver,
            json_ct,
            br#"{"action":"close","why":"x"}"#.to_vec(),
            422,
            "why",
        ),
        (
            "malformed action JSON",
            format!("/api/v1/cases/{case}/actions"),
            &approver,
            json_ct,
            b"{".to_vec(),
            400,
            "",
        ),
        (
            "unknown case",
            "/api/v1/cases/nope/actions".into(),
            &approver,
            json_ct,
            br#"{"action":"start_review"}"#.to_vec(),
            404,
            "",
        ),
    ];
    for (what, uri, token, ct, body, status, field) in table {
        let req = Request::builder()
            .method("POST")
            .uri(&uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap();
        let res = h.send(req).await;
        assert_eq!(res.status().as_u16(), status, "{what}");
        assert_eq!(res.headers()[header::CONTENT_TYPE], "application/problem+json", "{what}");
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
        let problem: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(problem["status"], status, "{what}");
        let text = problem.to_string();
        assert!(text.contains(field), "{what}: the problem must name `{field}`: {text}");
        for leak in ["sqlx", "panicked", "SELECT", "src/"] {
            assert!(!text.contains(leak), "{what}: leaks `{leak}`: {text}");
        }
    }
    // Query fields.
    for (uri, field) in [
        ("/api/v1/cases?state=lost", "state"),
        ("/api/v1/cases?limit=0", "limit"),
        ("/api/v1/cases?open=perhaps", "open"),
        ("/api/v1/cases?colour=blue", "colour"),
    ] {
        let (status, problem) = h.json("GET", uri, Some(Role::Reviewer), None).await;
        assert_eq!(status, 422, "{uri}");
        assert_eq!(problem["errors"][0]["pointer"], field, "{uri}");
    }
    assert_eq!(store.case_count().await.unwrap(), cases_before, "nothing half-stored");
    assert_eq!(store.tree_size().await.unwrap(), leaves_before, "no ledger leaf written");
}

/// The flow over the API: submit, read with proofs that verify, review, and a four-eyes decision.
#[tokio::test]
async fn case_flow_with_proofs_and_four_eyes() {
    let h = Harness::new().await;
    // Evaluate stores nothing.
    let (status, decision) = h
        .json(
            "POST",
            "/api/v1/evaluate",
            Some(Role::Reviewer),
            Some(&request("003-vn-anti-state-propaganda.json", "E-1")),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(decision["outcome"], "refuse");
    assert_eq!(h.state.store().case_count().await.unwrap(), 0);

    let id = h.submit("001-fraud-approve.json", "FLOW-1").await;
    // Submitting the same reference again stores nothing.
    let (status, again) = h
        .json(
            "POST",
            "/api/v1/requests",
            Some(Role::IntakeOfficer),
            Some(&request("001-fraud-approve.json", "FLOW-1")),
        )
        .await;
    assert_eq!((status, &again["already_stored"]), (200, &json!(true)));

    let (status, list) = h.json("GET", "/api/v1/cases?open=true", Some(Role::Reviewer), None).await;
    assert_eq!(status, 200);
    assert_eq!(list["cases"].as_array().unwrap().len(), 1);

    let (status, view) =
        h.json("GET", &format!("/api/v1/cases/{id}"), Some(Role::Reviewer), None).await;
    assert_eq!(status, 200);
    assert_eq!(view["decision"]["outcome"], "approve");
    let timeline = view["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), 2);
    for t in timeline {
        let p = &t["proof"];
        let leaf_hash =
            ledger::Digest::from_slice(&hex::decode(p["leaf_hash"].as_str().unwrap()).unwrap())
                .unwrap();
        let root = ledger::RootHash::new(
            p["size"].as_u64().unwrap(),
            ledger::Digest::from_slice(&hex::decode(p["root"].as_str().unwrap()).unwrap()).unwrap(),
        );
        let bytes: Vec<u8> = p["hashes"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|x| hex::decode(x.as_str().unwrap()).unwrap())
            .collect();
        let proof = ledger::InclusionProof::try_from_bytes(&bytes).unwrap();
        root.verify_inclusion_hash(&leaf_hash, p["index"].as_u64().unwrap(), &proof).unwrap();
    }

    let act = |body: serde_json::Value| body;
    let uri = format!("/api/v1/cases/{id}/actions");
    assert_eq!(
        h.json("POST", &uri, Some(Role::Reviewer), Some(&act(json!({"action": "start_review"}))))
            .await
            .0,
        200
    );
    // A transition the state does not allow is a 409 naming the state.
    let (status, p) =
        h.json("POST", &uri, Some(Role::Reviewer), Some(&json!({"action": "start_review"}))).await;
    assert_eq!(status, 409, "{p}");
    // A refusal needs a consultation first (UNCC Art. 40).
    let (status, p) = h
        .json("POST", &uri, Some(Role::LegalAdviser), Some(&json!({"action": "open_consultation"})))
        .await;
    assert_eq!(status, 200, "{p}");
    // Departing from the recommendation (approve → refuse) needs a reason and a second approver.
    let (status, p) = h
        .json(
            "POST",
            &uri,
            Some(Role::Approver),
            Some(&json!({"action": "decide", "resolution": "refused"})),
        )
        .await;
    assert_eq!(status, 422, "{p}");
    let (status, p) = h
        .json(
            "POST",
            &uri,
            Some(Role::Approver),
            Some(&json!({"action": "decide", "resolution": "refused",
            "reason": "the facts describe a civil dispute",
            "second_approver": {"name": "approver-2", "password": "wrong password"}})),
        )
        .await;
    assert_eq!(status, 422, "{p}");
    assert_eq!(p["errors"][0]["pointer"], "/second_approver/password");
    let (status, p) = h
        .json(
            "POST",
            &uri,
            Some(Role::Approver),
            Some(&json!({"action": "decide", "resolution": "refused",
            "reason": "the facts describe a civil dispute",
            "second_approver": {"name": "approver", "password": PASSWORD}})),
        )
        .await;
    assert_eq!(status, 422, "the same person cannot sign twice: {p}");
    let (status, p) = h
        .json(
            "POST",
            &uri,
            Some(Role::Approver),
            Some(&json!({"action": "decide", "resolution": "refused",
            "reason": "the facts describe a civil dispute",
            "second_approver": {"name": "approver-2", "password": PASSWORD}})),
        )
        .await;
    assert_eq!((status, p["state"].as_str()), (200, Some("refused")), "{p}");

    let (_, cp) = h.json("GET", "/api/v1/checkpoint", None, None).await;
    assert_eq!(cp["size"], 5);
    let (_, metrics) = {
        let res = h.send(Request::builder().uri("/metrics").body(Body::empty()).unwrap()).await;
        let b = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
        ((), String::from_utf8(b.to_vec()).unwrap())
    };
    assert!(metrics.contains("rightsgate_cases 1"), "{metrics}");
    assert!(!metrics.contains(&id), "metrics never name a case");
}

/// Sign-in: the login CSRF cookie, the session cookie's attributes, CSRF on forms, and rate limiting.
#[tokio::test]
async fn login_sessions_csrf_and_rate_limit() {
    let h = Harness::new().await;
    let res = h.send(Request::builder().uri("/login").body(Body::empty()).unwrap()).await;
    let set = res.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
    let login_csrf = set.split(';').next().unwrap().strip_prefix("rg_login=").unwrap().to_owned();
    let post = |body: String, cookie: String, proto: Option<&'static str>| {
        let mut b = Request::builder()
            .method("POST")
            .uri("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookie);
        if let Some(p) = proto {
            b = b.header("x-forwarded-proto", p);
        }
        b.body(Body::from(body)).unwrap()
    };
    // Without the cookie's token the form is refused.
    let res = h
        .send(post(
            format!("csrf=forged&name=reviewer&password={PASSWORD}"),
            format!("rg_login={login_csrf}"),
            None,
        ))
        .await;
    assert_eq!(res.status(), 403);
    // Right password: a session cookie, HttpOnly, SameSite=Strict, Secure behind TLS.
    let body = format!("csrf={login_csrf}&name=reviewer&password={}", PASSWORD.replace(' ', "+"));
    let res = h.send(post(body.clone(), format!("rg_login={login_csrf}"), Some("https"))).await;
    assert_eq!(res.status(), 303);
    let cookie = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("rg_session="))
        .unwrap();
    for attr in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    let res = h.send(post(body, format!("rg_login={login_csrf}"), None)).await;
    let plain = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("rg_session="))
        .unwrap();
    assert!(!plain.contains("Secure"), "{plain}");
    let session = cookie.split(';').next().unwrap().to_owned();
    let res = h
        .send(
            Request::builder()
                .uri("/queue")
                .header(header::COOKIE, &session)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), 200);

    // A form without the session's CSRF token is refused; an API POST with the cookie needs the header.
    let id = h.submit("001-fraud-approve.json", "CSRF-1").await;
    let form = |csrf: &str| {
        Request::builder()
            .method("POST")
            .uri(format!("/cases/{id}/act"))
            .header(header::COOKIE, &session)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf={csrf}&action=start_review")))
            .unwrap()
    };
    assert_eq!(h.send(form("forged")).await.status(), 403);
    let api = Request::builder()
        .method("POST")
        .uri(format!("/api/v1/cases/{id}/actions"))
        .header(header::COOKIE, &session)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"action":"start_review"}"#))
        .unwrap();
    assert_eq!(h.send(api).await.status(), 403);

    // Throttling: after the free failures this client must wait, even with the right password (other clients
    // are not slowed: see `security.rs`).
    for _ in 0..store::LOGIN_FREE_FAILURES {
        let res = h
            .send(post(
                format!("csrf={login_csrf}&name=oversight&password=wrong"),
                format!("rg_login={login_csrf}"),
                None,
            ))
            .await;
        assert_eq!(res.status(), 401);
    }
    let body = format!("csrf={login_csrf}&name=oversight&password={}", PASSWORD.replace(' ', "+"));
    let res = h.send(post(body, format!("rg_login={login_csrf}"), None)).await;
    assert_eq!(res.status(), 429);
}

/// The OpenAPI document is 3.1, lists every API route and documents what the server does; the schemas accept the
/// conformance requests.
#[tokio::test]
async fn openapi_and_schemas() {
    let h = Harness::new().await;
    let (status, doc) = h.json("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/evaluate",
        "/api/v1/requests",
        "/api/v1/cases",
        "/api/v1/cases/{id}",
        "/api/v1/cases/{id}/actions",
        "/api/v1/checkpoint",
        "/api/v1/health",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing from the OpenAPI document");
    }
    // The document tells the truth about what the server answers and accepts (issue 14): every error answer
    // is documented as a problem document, the shared answers (401, 400, 413, 415) are where they can happen,
    // request schemas refuse unknown fields as the readers do, and nullable fields say so.
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let at = format!("{method} {path}");
            let responses = op["responses"].as_object().unwrap();
            for (status, response) in responses {
                let content = response["content"].as_object();
                if status.starts_with('4') || status.starts_with('5') {
                    let content = content.unwrap_or_else(|| panic!("{at} {status}: no content"));
                    let types: Vec<&String> = content.keys().collect();
                    assert_eq!(types, ["application/problem+json"], "{at} {status}");
                    assert_eq!(
                        content["application/problem+json"]["schema"]["$ref"],
                        "#/components/schemas/Problem",
                        "{at} {status}"
                    );
                }
            }
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            let mut expected = vec!["500"];
            if secured {
                expected.push("401");
            }
            if op.get("requestBody").is_some() {
                expected.extend(["400", "413", "415"]);
            }
            for status in expected {
                assert!(responses.contains_key(status), "{at} does not document {status}");
            }
            operations += 1;
        }
    }
    assert_eq!(operations, 8);

    // Request schemas are strict wherever the server reads with unknown fields refused.
    let schemas = &doc["components"]["schemas"];
    let mut objects = 0;
    for name in ["Request", "RequestToScreen", "ActionBody"] {
        strict(schemas, &schemas[name], name, &mut objects);
    }
    assert!(objects > 25, "{objects} object schemas checked");
    // Intake's schema says what the store refuses, U+0000 in the fields it keeps in clear; evaluate's does not,
    // since screening reads such a request.
    for (name, nul_refused) in [("Request", true), ("RequestToScreen", false)] {
        let props = &schemas[name]["properties"];
        for field in [&props["reference"], &props["requesting"]["properties"]["authority"]] {
            let pattern = field["pattern"].as_str().map(|p| regex::Regex::new(p).unwrap());
            assert_eq!(pattern.is_some(), nul_refused, "{name}: {field}");
            if let Some(re) = pattern {
                assert!(re.is_match("Parquet de Paris — REQ/2026\u{1f}é"), "{name}: {field}");
                assert!(!re.is_match("REQ-\u{0}-1"), "{name}: {field}");
            }
        }
    }
    // The deployment's own constraints: screening refuses other states.
    let request = &schemas["Request"]["properties"];
    assert_eq!(request["requested_state"]["enum"], json!([crate::common::ctx().policy().state]));
    let states = request["requesting"]["properties"]["state"]["enum"].as_array().unwrap();
    assert_eq!(states.len(), crate::common::ctx().lawpacks().count());
    // Nullable fields say so.
    let timeline = &schemas["TimelineItem"]["properties"];
    assert_eq!(timeline["detail"]["type"], json!(["object", "null"]), "{timeline}");
    let actions = schemas["ActionBody"]["oneOf"].as_array().unwrap();
    let disclosed = &actions[2]["properties"]["disclosed"];
    assert_eq!(disclosed["items"]["required"], json!(["category"]), "{disclosed}");

    let (status, schema) = h.json("GET", "/schemas/request.v1.json", None, None).await;
    assert_eq!(status, 200);
    let (_, dschema) = h.json("GET", "/schemas/decision.v1.json", None, None).await;
    let ctx = crate::common::ctx();
    let dir = crate::common::conformance().join("cases");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let case: serde_json::Value =
            serde_json::from_slice(&std::fs::read(entry.unwrap().path()).unwrap()).unwrap();
        let request = &case["request"];
        conforms(&schema, request, "$");
        let bytes = serde_json::to_vec(request).unwrap();
        if let Ok(r) = domain::Request::parse("r", &bytes) {
            if let Ok(d) = rules::screen(&r, &rules::sha256_hex(&bytes), &ctx) {
                conforms(&dschema, &serde_json::to_value(&d).unwrap(), "$");
                // What this deployment screens, its OpenAPI request schemas admit.
                conforms(&schemas["Request"], request, "$");
                conforms(&schemas["RequestToScreen"], request, "$");
            }
        }
        n += 1;
    }
    assert!(n >= 30);
}

/// The server refuses what the OpenAPI document's schemas forbid, and accepts what they allow (issue 14).
#[tokio::test]
async fn issue_14_server_refuses_what_the_schemas_forbid() {
    let h = Harness::new().await;
    // The server refuses what the schemas forbid, and accepts what they allow.
    let case = h.submit("001-fraud-approve.json", "OA-1").await;
    let act = format!("/api/v1/cases/{case}/actions");
    for (body, pointer) in [
        (json!({"action": "start_review", "resolution": "approved"}), "/resolution"),
        (json!({"action": "decide", "resolution": "approved", "disclosed": []}), "/disclosed"),
        (json!({"action": "execute", "disclosed": [["content"]]}), "/disclosed/0"),
        (
            json!({"action": "decide", "resolution": "refused", "second_approver": ["a", "b"]}),
            "/second_approver",
        ),
    ] {
        let (status, problem) = h.json("POST", &act, Some(Role::Approver), Some(&body)).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{body}: {problem}");
    }
    let mut arrays = request_body("OA-2");
    arrays["emergency"] = json!([null, null]);
    arrays["requesting"] = json!(["DE", "x", "court"]);
    let (status, problem) =
        h.json("POST", "/api/v1/evaluate", Some(Role::Reviewer), Some(&arrays)).await;
    assert_eq!(status, 422, "{problem}");
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(pointers, ["/requesting", "/emergency"], "{problem}");
    // JSON has one number type: `30.0` is the integer the schema asks for.
    let mut whole = request_body("OA-3");
    whole["assurances"]["retention_days"] = json!(30.0);
    whole["review"] = serde_json::Value::Null;
    let (status, decision) =
        h.json("POST", "/api/v1/evaluate", Some(Role::Reviewer), Some(&whole)).await;
    assert_eq!(status, 200, "{decision}");
    // Screening reads a reference holding U+0000, as `RequestToScreen` says; intake refuses it with a 422, as
    // `Request` says (the NUL row of `errors`).
    let nul = request_body("OA-\u{0}-4");
    let (status, decision) =
        h.json("POST", "/api/v1/evaluate", Some(Role::Reviewer), Some(&nul)).await;
    assert_eq!(status, 200, "{decision}");
    // A problem is sent as documented.
    let res = h
        .send(
            Request::builder()
                .uri("/api/v1/cases/nope")
                .header(header::AUTHORIZATION, format!("Bearer {}", h.token(Role::Reviewer)))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "application/problem+json");
}

fn request_body(reference: &str) -> serde_json::Value {
    request("001-fraud-approve.json", reference)
}

/// Asserts that every object schema under `schema` (following `$ref`s into `schemas`) refuses unknown fields.
fn strict(schemas: &serde_json::Value, schema: &serde_json::Value, at: &str, n: &mut usize) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.strip_prefix("#/components/schemas/").unwrap();
        return strict(schemas, &schemas[name], &format!("{at}->{name}"), n);
    }
    let types = match &schema["type"] {
        serde_json::Value::String(t) => vec![t.as_str()],
        serde_json::Value::Array(ts) => ts.iter().filter_map(|t| t.as_str()).collect(),
        _ => vec![],
    };
    if types.contains(&"object") {
        assert_eq!(schema["additionalProperties"], false, "{at} accepts unknown fields");
        *n += 1;
    }
    for (k, v) in schema["properties"].as_object().into_iter().flatten() {
        strict(schemas, v, &format!("{at}.{k}"), n);
    }
    if schema.get("items").is_some() {
        strict(schemas, &schema["items"], &format!("{at}[]"), n);
    }
    for (i, v) in schema["oneOf"].as_array().into_iter().flatten().enumerate() {
        strict(schemas, v, &format!("{at}|{i}"), n);
    }
}

/// A small checker for the subset of JSON Schema the published schemas use: type, const, enum, pattern
/// (anchored ASCII classes only checked for length), required, properties, additionalProperties, items.
fn conforms(schema: &serde_json::Value, value: &serde_json::Value, at: &str) {
    if let Some(c) = schema.get("const") {
        assert_eq!(c, value, "{at}");
    }
    if let Some(e) = schema.get("enum") {
        assert!(e.as_array().unwrap().contains(value), "{at}: {value} not in {e}");
    }
    match schema.get("type").and_then(|t| t.as_str()) {
        Some("object") => {
            let obj = value.as_object().unwrap_or_else(|| panic!("{at}: expected an object"));
            for r in schema.get("required").and_then(|r| r.as_array()).into_iter().flatten() {
                assert!(obj.contains_key(r.as_str().unwrap()), "{at}: missing {r}");
            }
            let props = schema.get("properties").and_then(|p| p.as_object());
            for (k, v) in obj {
                match props.and_then(|p| p.get(k)) {
                    Some(s) => conforms(s, v, &format!("{at}.{k}")),
                    None => match schema.get("additionalProperties") {
                        Some(serde_json::Value::Bool(false)) => {
                            panic!("{at}: unexpected field {k}")
                        }
                        Some(s @ serde_json::Value::Object(_)) => {
                            conforms(s, v, &format!("{at}.{k}"))
                        }
                        _ => {}
                    },
                }
            }
        }
        Some("array") => {
            for (i, v) in value
                .as_array()
                .unwrap_or_else(|| panic!("{at}: expected an array"))
                .iter()
                .enumerate()
            {
                if let Some(items) = schema.get("items") {
                    conforms(items, v, &format!("{at}[{i}]"));
                }
            }
        }
        Some("string") => assert!(value.is_string(), "{at}: expected a string"),
        Some("boolean") => assert!(value.is_boolean(), "{at}: expected a boolean"),
        Some("integer") => assert!(value.is_u64() || value.is_i64(), "{at}: expected an integer"),
        _ => {}
    }
}
