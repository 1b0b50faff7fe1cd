//! End-to-end in headless Chromium over WebDriver (fantoccini): sign in, submit a request through the form
//! (first with a field-level error), read the refusal reasons of a protected-activity case, approve a content
//! case with a second approver, and check the public page.
//!
//! Needs the Debian packages `chromium` and `chromium-driver`. With `RIGHTSGATE_REQUIRE_BROWSER=1` (CI) a
//! missing browser fails the test; otherwise the test says it is skipped and passes.

use std::io::Write as _;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use domain::case::Role;
use fantoccini::{Client, ClientBuilder, Locator};

use crate::common::PASSWORD;

fn find(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths).map(|d| d.join(program)).find(|p| p.is_file())
    })
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start_browser(profile: &std::path::Path) -> Option<(Driver, Client)> {
    let required = std::env::var("RIGHTSGATE_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let (Some(driver), Some(chromium)) = (find("chromedriver"), find("chromium")) else {
        assert!(
            !required,
            "RIGHTSGATE_REQUIRE_BROWSER=1 but chromium or chromedriver is not installed"
        );
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED browser tests: install the Debian packages `chromium` and `chromium-driver` to run them"
        );
        return None;
    };
    let port = free_port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting chromedriver");
    let driver = Driver(child);
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        &format!("--user-data-dir={}", profile.display()),
        "--window-size=1280,900",
    ];
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        serde_json::json!({ "binary": chromium, "args": args }),
    );
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector).capabilities(caps.clone()).connect(&url).await {
            Ok(client) => return Some((driver, client)),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    panic!("chromedriver did not start on port {port}");
}

/// Finds an element, waiting for the page that holds it to load (the machine may be busy).
async fn element(c: &Client, locator: Locator<'_>) -> fantoccini::elements::Element {
    c.wait().at_most(Duration::from_secs(30)).for_element(locator).await.unwrap()
}

/// Clicks a control that loads a new page, and waits until the old page is gone, so that what the test reads
/// next comes from the new page however busy the machine is.
async fn submit(c: &Client, locator: Locator<'_>) {
    let page = c.find(Locator::Css("html")).await.unwrap();
    element(c, locator).await.click().await.unwrap();
    for _ in 0..600 {
        if page.tag_name().await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the page did not change within 30 s of the click");
}

async fn fill(c: &Client, id: &str, text: &str) {
    let e = element(c, Locator::Id(id)).await;
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

async fn select(c: &Client, id: &str, value: &str) {
    element(c, Locator::Id(id)).await.select_by_value(value).await.unwrap();
}

async fn text(c: &Client, css: &str) -> String {
    element(c, Locator::Css(css)).await.text().await.unwrap()
}

async fn sign_in(c: &Client, base: &str, name: &str) {
    c.goto(&format!("{base}/")).await.unwrap();
    assert!(
        c.current_url().await.unwrap().path().ends_with("/login"),
        "signed out, / shows the sign-in page"
    );
    fill(c, "name", name).await;
    fill(c, "password", PASSWORD).await;
    submit(c, Locator::Id("sign-in")).await;
}

async fn sign_out(c: &Client) {
    submit(c, Locator::Css("nav button[type=submit]")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_desk() {
    let profile = tempfile::tempdir().unwrap();
    let Some((_driver, c)) = start_browser(profile.path()).await else { return };
    let h = crate::assessment::harness(&crate::assessment::root().join("frameworks/DE.toml")).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = server::router(h.state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });

    // Intake through the form: a missing reference is reported at the field, then the request is stored.
    sign_in(&c, &base, "intake-officer").await;
    c.goto(&format!("{base}/intake")).await.unwrap();
    fill(&c, "reference", "").await;
    fill(&c, "requesting_state", "VN").await;
    fill(&c, "authority", "Public Prosecutor's Office").await;
    select(&c, "authority_type", "prosecutor").await;
    select(&c, "instrument", "uncc").await;
    for cat in ["traffic", "content"] {
        element(&c, Locator::Css(&format!("input[name=categories][value={cat}]")))
            .await
            .click()
            .await
            .unwrap();
    }
    fill(&c, "identifiers", "email payments-desk@example.org\nip 203.0.113.17").await;
    fill(&c, "period_from", "2026-03-01").await;
    fill(&c, "period_to", "2026-05-29").await;
    fill(&c, "offences", "PC117 offence as charged").await;
    fill(&c, "facts", "The account holder published articles and videos accusing provincial officials of land-grabbing and urged readers to share them widely.").await;
    fill(&c, "authorization_authority", "Investigating judge").await;
    submit(&c, Locator::Id("submit-request")).await;
    let error = text(&c, "#reference-error").await;
    assert!(!error.is_empty(), "a field-level message at the reference");
    assert_eq!(
        element(&c, Locator::Id("facts")).await.prop("value").await.unwrap().as_deref(),
        Some("The account holder published articles and videos accusing provincial officials of land-grabbing and urged readers to share them widely."),
        "the form keeps what was typed"
    );
    fill(&c, "reference", "BROWSER-VN-1").await;
    submit(&c, Locator::Id("submit-request")).await;

    // The case page shows the refusal and its reasons, with citations.
    assert!(c.current_url().await.unwrap().path().starts_with("/cases/"));
    assert_eq!(text(&c, "#recommendation").await, "refuse");
    let findings = text(&c, "#findings").await;
    assert!(findings.contains("protected-activity"), "{findings}");
    assert!(findings.contains("Citations"), "{findings}");
    assert!(text(&c, "#timeline").await.contains("screened"));
    sign_out(&c).await;

    // An approval of content data needs a second approver, who confirms with their own password.
    let id = h.submit("002-sabotage-bilateral-content.json", "BROWSER-CONTENT-1").await;
    sign_in(&c, &base, "approver").await;
    let queue = text(&c, "table").await;
    assert!(queue.contains("BROWSER-CONTENT-1"), "{queue}");
    c.goto(&format!("{base}/cases/{id}")).await.unwrap();
    submit(&c, Locator::Id("act-start_review")).await;
    select(&c, "resolution", "approved").await;
    submit(&c, Locator::Id("decide-submit")).await;
    let refused = text(&c, "#action-error").await;
    assert!(refused.contains("second"), "{refused}");
    select(&c, "resolution", "approved").await;
    fill(&c, "second_name", "approver-2").await;
    fill(&c, "second_password", PASSWORD).await;
    submit(&c, Locator::Id("decide-submit")).await;
    assert_eq!(text(&c, "#case-state").await, "approved");
    assert!(text(&c, "#timeline").await.contains("approver-2"));
    sign_out(&c).await;

    // A legal adviser reaches the assessment from the desk's menu: every item with its status.
    sign_in(&c, &base, "legal-adviser").await;
    element(&c, Locator::LinkText("Assessment")).await.click().await.unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), "/assessment");
    let summary = text(&c, "#assessment-summary").await;
    assert!(summary.contains("met") && summary.contains("unknown"), "{summary}");
    assert_eq!(text(&c, "#np-06-judicial-authority td.status").await, "met");
    let rows = c.find_all(Locator::Css("#assessment-items tbody tr")).await.unwrap();
    assert!(rows.len() >= 30, "{} items", rows.len());
    sign_out(&c).await;

    // The public page, signed out, links the published assessment.
    c.goto(&format!("{base}/transparency")).await.unwrap();
    let totals = text(&c, "#stats-totals").await;
    assert!(totals.contains("approved") && totals.contains("refused"), "{totals}");
    assert!(text(&c, "#ledger-size").await.contains("entries"));
    element(&c, Locator::Css("#assessment-link a")).await.click().await.unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), "/assessment.html");
    let published = text(&c, "body").await;
    assert!(published.contains("np-06-judicial-authority"), "{published}");
    let _ = h.token(Role::Oversight);
    c.close().await.unwrap();
}
