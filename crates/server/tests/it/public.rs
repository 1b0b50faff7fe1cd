//! The public transparency page: it shows exactly what a published report shows (no count from 1 to k − 1,
//! the same tables as `app::report` builds from the same ledger), `/transparency.json` is that report and
//! verifies, and the cached page follows the ledger as it grows.

use axum::body::Body;
use axum::http::Request;
use domain::case::Role;
use domain::stats::Period;
use domain::Day;
use serde_json::{json, Value};

use crate::common::Harness;

async fn page(h: &Harness) -> String {
    let res = h.send(Request::builder().uri("/transparency").body(Body::empty()).unwrap()).await;
    assert_eq!(res.status().as_u16(), 200);
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The texts of the `<td>` cells of the table with id `stats-<id>`, row by row.
fn cells(html: &str, id: &str) -> Vec<Vec<String>> {
    let start = html.find(&format!("id=\"stats-{id}\"")).unwrap_or_else(|| panic!("no table {id}"));
    let table = &html[start..start + html[start..].find("</table>").unwrap()];
    let body = &table[table.find("<tbody>").unwrap()..];
    body.split("</tr>")
        .filter(|row| row.contains("<td>"))
        .map(|row| {
            row.split("<td>")
                .skip(1)
                .map(|c| c[..c.find("</td>").unwrap()].replace("&lt;", "<"))
                .collect()
        })
        .collect()
}

/// Every count the document publishes: table cells, totals, decided cases and identifiers.
fn counts(doc: &Value) -> Vec<u64> {
    let mut out: Vec<u64> = doc["tables"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["rows"].as_array().unwrap().iter())
        .flat_map(|r| r["values"].as_array().unwrap().iter().filter_map(Value::as_u64))
        .collect();
    out.extend(doc["totals"].as_object().unwrap().values().filter_map(Value::as_u64));
    out.extend(doc["days_to_decision"]["decided"].as_u64());
    out.extend(doc["identifiers_affected"].as_u64());
    out
}

/// Checks that the public page and `/transparency.json` publish no count from 1 to k − 1 and show exactly
/// what `app::report` builds from the same ledger; returns the page, the document and its tree size.
async fn page_is_the_report(h: &Harness) -> (String, Value, u64) {
    let html = page(h).await;
    let (status, doc) = h.json("GET", "/transparency.json", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(doc["schema"], "rightsgate/report/v1");
    let k = doc["disclosure_control"]["k"].as_u64().unwrap();
    assert_eq!(k, 5);

    // No count from 1 to k − 1 anywhere, neither in the document nor on the page.
    let published = counts(&doc);
    assert!(published.iter().all(|n| *n == 0 || *n >= k), "{published:?}");
    for table in doc["tables"].as_array().unwrap() {
        for row in cells(&html, table["id"].as_str().unwrap()) {
            for cell in row {
                let n: Option<u64> = cell.parse().ok();
                assert!(n.is_none_or(|n| n == 0 || n >= k), "`{cell}` on the page");
                assert!(n.is_some() || cell == "<5" || cell == "x", "`{cell}` on the page");
            }
        }
    }

    // The page shows exactly the tables `app::report` builds from the same ledger.
    let store = h.state.store();
    let size = doc["checkpoint"]["tree_size"].as_u64().unwrap();
    assert_eq!(size, store.tree_size().await.unwrap());
    let day = |p: &str| Day::parse(doc.pointer(p).unwrap().as_str().unwrap()).unwrap();
    let period = Period::new(day("/period/from"), day("/period/to")).unwrap();
    let (stats, _) = app::report::compute(store, period, size).await.unwrap();
    let expected = app::report::publish(&stats, app::report::Control::exact(), None);
    for key in expected.as_object().unwrap().keys() {
        assert_eq!(doc[key], expected[key], "`{key}`");
    }
    for table in app::report::tables(&doc) {
        let shown: Vec<Vec<String>> =
            table.rows.iter().map(|r| r.cells.iter().map(|c| c.text(k)).collect()).collect();
        assert_eq!(cells(&html, &table.id), shown, "table `{}`", table.id);
    }
    (html, doc, size)
}

#[tokio::test]
async fn the_demo_page_withholds_small_counts_and_is_its_report() {
    let h = Harness::demo().await;
    let (html, doc, _) = page_is_the_report(&h).await;
    assert_eq!(doc["totals"]["received"], json!(200));
    // The demo decides enough cases for days to decision to be published, and only then.
    let decided = doc["days_to_decision"]["decided"].as_u64().unwrap();
    assert!(decided >= 5, "{decided}");
    assert!(html.contains("median"), "days to decision are shown");
}

#[tokio::test]
async fn the_public_page_is_the_published_report_of_the_same_ledger() {
    let h = Harness::new().await;
    // Six requests from one state and two from another, one of them decided: small counts everywhere.
    let mut cases = Vec::new();
    for i in 0..6 {
        cases.push(h.submit("001-fraud-approve.json", &format!("P-{i}")).await);
    }
    for i in 0..2 {
        h.submit("003-vn-anti-state-propaganda.json", &format!("V-{i}")).await;
    }
    let (s, b) = h
        .json(
            "POST",
            &format!("/api/v1/cases/{}/actions", cases[0]),
            Some(Role::Reviewer),
            Some(&json!({"action": "start_review"})),
        )
        .await;
    assert!(s < 300, "{s} {b}");
    let (s, b) = h
        .json(
            "POST",
            &format!("/api/v1/cases/{}/actions", cases[0]),
            Some(Role::Approver),
            Some(&json!({"action": "decide", "resolution": "approved"})),
        )
        .await;
    assert!(s < 300, "{s} {b}");

    let (html, doc, size) = page_is_the_report(&h).await;
    assert!(counts(&doc).contains(&8), "eight received");
    assert_eq!(doc["days_to_decision"]["decided"], Value::Null, "one decision is withheld");
    assert!(!html.contains("median"), "no days to decision while fewer than k are decided");
    let store = h.state.store();
    // One approved (withheld, with a zero as its complement), seven pending, eight received.
    assert_eq!(cells(&html, "totals"), vec![vec!["<5", "x", "0", "0", "7", "8"]]);
    let verified = app::report::verify(&doc, store, None).await.unwrap();
    assert_eq!(verified.tree_size, size);

    // The cache follows the ledger: a new request shows up on the next GET.
    h.submit("001-fraud-approve.json", "P-9").await;
    let (_, again) = h.json("GET", "/transparency.json", None, None).await;
    assert_eq!(again["checkpoint"]["tree_size"].as_u64(), Some(size + 2));
    assert_eq!(again["totals"]["received"], json!(9));
    assert!(page(&h).await.contains(&format!("{} entries", size + 2)));
}

/// After a restart the page takes up the tally kept in the store and counts only the leaves appended since:
/// it still shows exactly what counting every leaf shows.
#[tokio::test]
async fn after_a_restart_the_page_takes_up_the_kept_tally() {
    let mut h = Harness::new().await;
    for i in 0..6 {
        h.submit("001-fraud-approve.json", &format!("K-{i}")).await;
    }
    let today = Day::from(time::OffsetDateTime::now_utc().date());
    let period = Period::new(Day::from_ymd(2000, 1, 1).unwrap(), today).unwrap();
    let store = h.state.store().clone();
    let (_, kept_root) = app::report::current(&store, period).await.unwrap();
    assert_eq!(store.kept_tally(period.from()).await.unwrap().unwrap().root, kept_root);
    h.restart();
    for i in 0..3 {
        h.submit("003-vn-anti-state-propaganda.json", &format!("K-V-{i}")).await;
    }
    let (_, doc, size) = page_is_the_report(&h).await;
    assert!(size > kept_root.size());
    assert_eq!(doc["totals"]["received"], json!(9));
}
