//! Prometheus text metrics: requests by route and status, and a latency histogram per route.
//!
//! Routes are labelled by their pattern (`/api/v1/cases/{id}`) or `unmatched`, never by the concrete path, and
//! methods outside a fixed set are labelled `other`, so no case id or other caller-supplied text reaches the
//! metrics and the number of series is bounded by the routes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::AppState;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Debug, Default)]
struct Route {
    by_status: BTreeMap<u16, u64>,
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The counters.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    routes: Mutex<BTreeMap<(String, String), Route>>,
}

/// The method as a label: one of a fixed set, or `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Middleware: counts every request.
pub(crate) async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = method_label(req.method()).to_owned();
    let start = Instant::now();
    let response = next.run(req).await;
    let seconds = start.elapsed().as_secs_f64();
    if let Ok(mut routes) = state.0.metrics.routes.lock() {
        let r = routes.entry((route, method)).or_default();
        *r.by_status.entry(response.status().as_u16()).or_default() += 1;
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                if let Some(b) = r.buckets.get_mut(i) {
                    *b += 1;
                }
            }
        }
        r.count += 1;
        r.sum += seconds;
    }
    response
}

/// `GET /metrics`.
pub(crate) async fn render(State(state): State<AppState>) -> Result<Response, AppError> {
    let store = &state.0.store;
    let cases = store.case_count().await?;
    let leaves = store.tree_size().await?;
    let mut out = String::new();
    let _ = writeln!(out, "# HELP rightsgate_cases Cases stored.\n# TYPE rightsgate_cases gauge");
    let _ = writeln!(out, "rightsgate_cases {cases}");
    let _ = writeln!(
        out,
        "# HELP rightsgate_ledger_leaves Ledger size.\n# TYPE rightsgate_ledger_leaves gauge"
    );
    let _ = writeln!(out, "rightsgate_ledger_leaves {leaves}");
    let _ = writeln!(
        out,
        "# HELP rightsgate_http_requests_total HTTP requests by route, method and status.\n\
         # TYPE rightsgate_http_requests_total counter"
    );
    let routes = state
        .0
        .metrics
        .routes
        .lock()
        .map_err(|_| AppError::Internal("metrics lock poisoned".to_owned()))?;
    for ((route, method), r) in routes.iter() {
        for (status, n) in &r.by_status {
            let _ = writeln!(
                out,
                "rightsgate_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP rightsgate_http_request_duration_seconds Time to respond.\n\
         # TYPE rightsgate_http_request_duration_seconds histogram"
    );
    for ((route, method), r) in routes.iter() {
        let labels = format!("route=\"{route}\",method=\"{method}\"");
        for (le, n) in BUCKETS.iter().zip(r.buckets) {
            let _ = writeln!(
                out,
                "rightsgate_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "rightsgate_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
            r.count
        );
        let _ = writeln!(out, "rightsgate_http_request_duration_seconds_sum{{{labels}}} {}", r.sum);
        let _ =
            writeln!(out, "rightsgate_http_request_duration_seconds_count{{{labels}}} {}", r.count);
    }
    drop(routes);
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response())
}
