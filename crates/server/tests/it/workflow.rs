//! The workflow invariants through HTTP, on top of the store-level tests: a disclosure outside the grant is a
//! 422 naming the field (API) or an error on the case page (form), execution from the form records the ticked
//! granted items, and preservations show their expiry, renew, and have their own queue.

use axum::body::Body;
use axum::http::{header, Request};
use domain::case::Role;
use serde_json::json;

use crate::common::Harness;

async fn page_post(h: &Harness, role: Role, uri: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let (cookie, csrf) = h.session(role).await;
    let mut body = form_urlencoded::Serializer::new(String::new());
    body.append_pair("csrf", &csrf);
    for (k, v) in fields {
        body.append_pair(k, v);
    }
    let req = Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.finish()))
        .unwrap();
    let res = h.send(req).await;
    let status = res.status().as_u16();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

async fn page_get(h: &Harness, role: Role, uri: &str) -> String {
    let (cookie, _) = h.session(role).await;
    let req =
        Request::builder().uri(uri).header(header::COOKIE, cookie).body(Body::empty()).unwrap();
    let res = h.send(req).await;
    assert_eq!(res.status(), 200);
    String::from_utf8_lossy(&axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap())
        .into_owned()
}

#[tokio::test]
async fn disclosure_within_the_grant_and_preservation_renewal() {
    let h = Harness::new().await;
    let h = &h;
    let act = |id: &str, body: serde_json::Value| {
        let uri = format!("/api/v1/cases/{id}/actions");
        async move { h.json("POST", &uri, Some(Role::Approver), Some(&body)).await }
    };
    // The fraud case is approved for subscriber and traffic data only.
    let fraud = h.submit("001-fraud-approve.json", "W-1").await;
    assert_eq!(act(&fraud, json!({"action": "start_review"})).await.0, 200);
    assert_eq!(act(&fraud, json!({"action": "decide", "resolution": "approved"})).await.0, 200);
    let (status, body) =
        act(&fraud, json!({"action": "execute", "disclosed": [{"category": "content"}]})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["pointer"], "/disclosed/0/category", "{body}");
    // The form: ticking an item that is not listed is refused; the listed ones are recorded.
    let uri = format!("/cases/{fraud}/execute");
    let (status, page) =
        page_post(h, Role::Approver, &uri, &[("action", "execute"), ("disclosed", "7")]).await;
    assert_eq!(status, 422);
    assert!(page.contains("tick only the listed categories"), "{page}");
    let (_, case) =
        h.json("GET", &format!("/api/v1/cases/{fraud}"), Some(Role::Reviewer), None).await;
    let first = &case["decision"]["granted"][0];
    let (from, to) = (first["from"].as_str().unwrap_or(""), first["to"].as_str().unwrap_or(""));
    let fields = [("action", "execute"), ("disclosed", "0"), ("from_0", from), ("to_0", to)];
    let (status, page) = page_post(h, Role::Approver, &uri, &fields).await;
    assert_eq!(status, 303, "{page}");
    let (_, case) =
        h.json("GET", &format!("/api/v1/cases/{fraud}"), Some(Role::Reviewer), None).await;
    assert_eq!(case["summary"]["state"], "executed");
    let executed = case["timeline"].as_array().unwrap().last().unwrap();
    assert_eq!(executed["detail"]["disclosed"].as_array().unwrap().len(), 1, "{executed}");

    // A preservation: expiry from the policy, shown on the case and in the queue's own table, renewable.
    let kept = h.submit("029-vn-preservation.json", "W-2").await;
    assert_eq!(act(&kept, json!({"action": "start_review"})).await.0, 200);
    assert_eq!(act(&kept, json!({"action": "decide", "resolution": "approved"})).await.0, 200);
    let (_, list) = h.json("GET", "/api/v1/cases?state=approved", Some(Role::Reviewer), None).await;
    let expires = list["cases"][0]["preservation_expires_at"].as_str().unwrap().to_owned();
    let queue = page_get(h, Role::Reviewer, "/queue").await;
    assert!(queue.contains("Preservations") && queue.contains("W-2"), "{queue}");
    let (status, body) = h
        .json(
            "POST",
            &format!("/api/v1/cases/{kept}/actions"),
            Some(Role::Reviewer),
            Some(&json!({"action": "renew_preservation"})),
        )
        .await;
    assert_eq!(status, 403, "only approvers renew: {body}");
    assert_eq!(act(&kept, json!({"action": "renew_preservation"})).await.0, 200);
    let (_, case) =
        h.json("GET", &format!("/api/v1/cases/{kept}"), Some(Role::Reviewer), None).await;
    let last = case["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["event"], "preservation_renewed");
    assert!(case["summary"]["preservation_expires_at"].as_str().unwrap() >= expires.as_str());
    let (status, body) = act(&fraud, json!({"action": "renew_preservation"})).await;
    assert_eq!((status, body["errors"][0]["pointer"].as_str()), (422, Some("/action")), "{body}");
}

/// Issue 13's oversight role: an oversight account reads the ledger leaves of any case with proofs that verify
/// against the checkpoint, never the request or anything personal, and cannot read or act on cases.
#[tokio::test]
async fn oversight_sees_every_cases_proofs_and_never_personal_data() {
    use base64::Engine as _;
    let h = Harness::new().await;
    let id = h.submit("001-fraud-approve.json", "OV-SECRET-REF").await;
    let (status, _) = h
        .json(
            "POST",
            &format!("/api/v1/cases/{id}/actions"),
            Some(Role::Approver),
            Some(&json!({"action": "start_review"})),
        )
        .await;
    assert_eq!(status, 200);

    for uri in [format!("/api/v1/cases/{id}"), "/api/v1/cases".to_owned()] {
        let (status, body) = h.json("GET", &uri, Some(Role::Oversight), None).await;
        assert_eq!(status, 403, "{uri}: {body}");
    }
    let (status, body) = h
        .json(
            "POST",
            &format!("/api/v1/cases/{id}/actions"),
            Some(Role::Oversight),
            Some(&json!({"action": "start_review"})),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, _) =
        h.json("GET", &format!("/api/v1/ledger/cases/{id}"), Some(Role::AuditorPublic), None).await;
    assert_eq!(status, 403);
    let (status, _) =
        h.json("GET", "/api/v1/ledger/cases/NO-SUCH-CASE", Some(Role::Oversight), None).await;
    assert_eq!(status, 404);

    let (status, view) =
        h.json("GET", &format!("/api/v1/ledger/cases/{id}"), Some(Role::Oversight), None).await;
    assert_eq!(status, 200, "{view}");
    let text = view.to_string();
    for personal in [
        "OV-SECRET-REF",
        "payments-desk@example.org",
        "203.0.113.17",
        "mule accounts",
        "Investigating judge",
    ] {
        assert!(!text.contains(personal), "the oversight view shows {personal:?}: {text}");
    }
    let events = view["events"].as_array().expect("events");
    let names: Vec<&str> = events.iter().filter_map(|e| e["leaf"]["event"].as_str()).collect();
    assert_eq!(names, ["received", "screened", "review_started"], "{view}");
    let size = view["checkpoint"]["size"].as_u64().expect("a size");
    let root = base64::engine::general_purpose::STANDARD
        .decode(view["checkpoint"]["root"].as_str().expect("a root"))
        .expect("base64");
    let root = ledger::RootHash::new(size, ledger::Digest::from_slice(&root).expect("32 bytes"));
    for e in events {
        // The leaf as served re-encodes to the stored canonical bytes (sorted keys, no white space).
        let leaf = serde_json::to_vec(&e["leaf"]).expect("JSON");
        let hashes: Vec<ledger::Digest> = e["proof"]["hashes"]
            .as_array()
            .expect("hashes")
            .iter()
            .map(|x| {
                ledger::Digest::from_slice(&hex::decode(x.as_str().expect("hex")).expect("hex"))
                    .expect("32")
            })
            .collect();
        let index = e["leaf_index"].as_u64().expect("an index");
        root.verify_inclusion(&leaf, index, &ledger::InclusionProof::from_hashes(hashes))
            .unwrap_or_else(|err| panic!("leaf {index} does not verify: {err}"));
    }

    // The desk: oversight lands on its page, which shows the checkpoint and the case's leaves.
    let page = page_get(&h, Role::Oversight, &format!("/oversight?case={id}")).await;
    assert!(page.contains(&format!("Leaves of case <code>{id}</code>")), "{page}");
    assert!(page.contains("review_started") && !page.contains("OV-SECRET-REF"), "{page}");
    let page = page_get(&h, Role::Oversight, "/oversight?case=NO-SUCH-CASE").await;
    assert!(page.contains("No case with id"), "{page}");
    assert!(page.contains("No checkpoint has been co-signed by witnesses"), "{page}");
    // Once witnesses co-signed, the page names them and how far the tree has grown since.
    let store = h.state.store();
    let size = store.tree_size().await.unwrap();
    let signer = ledger::NoteSigner::from_seed("rightsgate/ledger", [4; 32]).unwrap();
    let note = ledger::Checkpoint::new("rightsgate/ledger", store.root_at(size - 1).await.unwrap())
        .unwrap()
        .sign(&signer)
        .unwrap();
    let cosigned = format!("{note}— witness.example AAAAAAAAAAAAAAAA\n");
    store
        .save_cosigned_checkpoint(size - 1, &cosigned, time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    let page = page_get(&h, Role::Oversight, "/oversight").await;
    assert!(
        page.contains("<code>witness.example</code>") && page.contains("1 behind the current tree"),
        "{page}"
    );
    let (cookie, _) = h.session(Role::Oversight).await;
    let res = h
        .send(
            Request::builder().uri("/").header(header::COOKIE, cookie).body(Body::empty()).unwrap(),
        )
        .await;
    assert_eq!(
        res.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()),
        Some("/oversight")
    );
}
