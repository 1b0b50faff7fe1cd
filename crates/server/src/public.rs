//! The public transparency page's report, cached: the same `rightsgate/report/v1` document that
//! `rightsgate report --from 2000-01-01 --to TODAY` would publish (k = 5, no noise, the server's checkpoint),
//! so the page and a published report can never show different numbers, and `GET /transparency.json` can be
//! checked with `rightsgate report verify`.
//!
//! An anonymous GET never re-reads the ledger. The cache keeps an `app::report::Tally` (the statistics and
//! the Merkle frontier of the leaves read so far) and the last document. A request reads the tree size (one
//! indexed query); when the size and the day are those of the last document, that document is served. When
//! the ledger grew, one request at a time feeds the tally at most [`STEP`] new leaves, checks the root against
//! the store and publishes a new document; requests arriving meanwhile get the last one. When the day changes
//! the period's end moves to the new day ([`Tally::widen`]); only when a case received after the old end has
//! been skipped does the tally start again (in steps, serving yesterday's document until it catches up).
//!
//! The tally is kept in the store every [`KEEP_EVERY`] leaves (`app::report::kept`), so the first request
//! after start-up takes it up and reads only the leaves appended since, instead of the whole ledger.

use std::sync::Arc;

use app::report::{self, Control, Tally};
use axum::extract::State;
use axum::response::{IntoResponse, Json, Response};
use domain::stats::Period;
use domain::Day;
use serde_json::Value;
use tokio::sync::{Mutex, RwLock};

use crate::error::AppError;
use crate::AppState;

/// The most leaves one request feeds the tally once a document exists (about 0.1 s of decoding).
const STEP: u64 = 20_000;

/// The tally is kept in the store again once it has counted this many leaves more than the kept one: a
/// restart then reads at most this many leaves (under a second on two cores), and the write of the open
/// cases' slots (about 40 bytes each, 40 MB at a million open cases) comes at most every couple of minutes
/// at a thousand intakes a second.
const KEEP_EVERY: u64 = 250_000;

/// The cache: at most one refresh at a time, and the last document for everyone else.
#[derive(Debug, Default)]
pub(crate) struct Cache {
    // `None` before the first request and after an error.
    tally: Mutex<Option<Counting>>,
    last: RwLock<Option<Cached>>,
}

/// The tally, the day its period ends, and the number of leaves the store's kept tally counts.
#[derive(Debug)]
struct Counting {
    day: Day,
    tally: Tally,
    kept: u64,
}

/// A published document and what it covers.
#[derive(Debug, Clone)]
struct Cached {
    day: Day,
    size: u64,
    doc: Arc<Value>,
}

/// The period the public page covers: every request received up to `today`.
pub(crate) fn period(today: Day) -> Period {
    let first = Day::from_ymd(2000, 1, 1).filter(|d| *d <= today).unwrap_or(today);
    Period::new(first, today).unwrap_or_else(|_| Period::half_year(today))
}

/// The public report as it stands: from the cache when the ledger and the day are unchanged.
pub(crate) async fn document(state: &AppState) -> Result<Arc<Value>, AppError> {
    let cache = &state.0.public;
    let today = Day::from(crate::now().date());
    let size = state.0.store.tree_size().await?;
    let fresh = |c: &Cached| c.day == today && c.size == size;
    let last = cache.last.read().await.clone();
    if let Some(c) = last.as_ref().filter(|c| fresh(c)) {
        return Ok(c.doc.clone());
    }
    // Stale: one refresh at a time; the others serve the last document meanwhile.
    let mut guard = match (cache.tally.try_lock(), &last) {
        (Ok(guard), _) => guard,
        (Err(_), Some(c)) => return Ok(c.doc.clone()),
        (Err(_), None) => cache.tally.lock().await,
    };
    // Another request may have refreshed while this one waited.
    let last = cache.last.read().await.clone();
    if let Some(c) = last.as_ref().filter(|c| fresh(c)) {
        return Ok(c.doc.clone());
    }
    let going_on = guard.take().and_then(|mut c| {
        let fits = c.tally.size() <= size && (c.day == today || c.tally.widen(today));
        c.day = today;
        fits.then_some(c)
    });
    let mut counting = match going_on {
        Some(c) => c,
        None => {
            let tally = report::resume(&state.0.store, period(today), size).await;
            Counting { day: today, kept: tally.size(), tally }
        }
    };
    let tally = &mut counting.tally;
    let target = match &last {
        Some(_) => size.min(tally.size().saturating_add(STEP)),
        None => size,
    };
    // On an error the tally is dropped (it may have counted part of a leaf); the next request starts again.
    tally.advance(&state.0.store, target).await.map_err(|e| AppError::Internal(e.to_string()))?;
    if let Some(c) = last.as_ref().filter(|c| c.day != today && tally.size() < size) {
        // Today's tally has not caught up yet: keep serving yesterday's document.
        *guard = Some(counting);
        return Ok(c.doc.clone());
    }
    let doc = Arc::new(publish(state, tally, today).await?);
    let size = tally.size();
    *cache.last.write().await = Some(Cached { day: today, size, doc: doc.clone() });
    // Keep the tally once it is far enough ahead of the kept one; other requests are served meanwhile.
    if size >= counting.kept.saturating_add(KEEP_EVERY) {
        match report::keep(&state.0.store, &counting.tally).await {
            Ok(_) => counting.kept = size,
            Err(e) => tracing::warn!(error = %e, "the public page's tally could not be kept"),
        }
    }
    *guard = Some(counting);
    Ok(doc)
}

/// The document of the tally as it stands, with the server's checkpoint at its size.
async fn publish(state: &AppState, tally: &Tally, today: Day) -> Result<Value, AppError> {
    let internal =
        |what: &str, e: &dyn std::fmt::Display| AppError::Internal(format!("{what}: {e}"));
    let (stats, root) = tally.snapshot();
    if state.0.store.root_at(root.size()).await? != root {
        return Err(AppError::Internal(format!(
            "the stored ledger does not recompute at tree size `{}`",
            root.size()
        )));
    }
    let config = &state.0.config;
    let checkpoint =
        ledger::Checkpoint::new(&config.origin, root).map_err(|e| internal("checkpoint", &e))?;
    let note = match &config.signer {
        Some(s) => checkpoint.sign(s).map_err(|e| internal("signing", &e))?,
        None => checkpoint.body(),
    };
    let verifier = config.signer.as_ref().map(|s| s.verifier().to_string());
    let published = report::publish(&stats, Control::exact(), None);
    Ok(report::document(period(today), &checkpoint, &note, verifier.as_deref(), published))
}

/// `GET /transparency.json`: public; the document the transparency page shows.
pub(crate) async fn json(State(state): State<AppState>) -> Result<Response, AppError> {
    let doc = document(&state).await?;
    Ok(Json(doc.as_ref()).into_response())
}
