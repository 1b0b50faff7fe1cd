//! Kept tallies: a [`Tally`] written to the store and taken up again, so that a report or the public page
//! counts only the leaves appended since, instead of every leaf of the ledger.
//!
//! A kept tally is a cache, never a source: the store refuses one whose root is not the ledger's at its size
//! and one whose bytes changed, this module refuses one of another release or period, and whatever is
//! refused is counted again from the first leaf. `rightsgate report verify` always counts from the first leaf,
//! so a published number that a kept tally got wrong is caught there.

use domain::stats::{Aggregator, Period};
use ledger::{Digest, Frontier, RootHash};
use serde::{Deserialize, Serialize};
use store::{Store, StoreError};

use super::Tally;

/// The kept form's version. Bump it whenever counting changes, so that a tally kept before is counted again.
const VERSION: u32 = 1;

/// The kept form, written with `postcard`: what a [`Tally`] holds, and the release and version that counted it.
#[derive(Serialize)]
struct KeptRef<'a> {
    version: u32,
    release: &'a str,
    size: u64,
    frontier: Vec<[u8; 32]>,
    aggregator: &'a Aggregator,
}

/// [`KeptRef`] read back, field for field.
#[derive(Deserialize)]
struct Kept {
    version: u32,
    release: String,
    size: u64,
    frontier: Vec<[u8; 32]>,
    aggregator: Aggregator,
}

/// Why a kept tally cannot be taken up.
#[derive(Debug, thiserror::Error)]
pub enum KeptError {
    /// The bytes are not a kept tally.
    #[error("not a kept tally: {0}")]
    Format(#[from] postcard::Error),
    /// Another release or form version counted it.
    #[error("kept by release `{release}` in form {version}; this is `{}` in form {VERSION}", env!("CARGO_PKG_VERSION"))]
    Release {
        /// The release that kept it.
        release: String,
        /// Its form version.
        version: u32,
    },
    /// Its frontier does not fit its size.
    #[error("its frontier does not fit its size: {0}")]
    Frontier(#[from] ledger::PlanError),
}

impl Tally {
    /// The tally in its kept form.
    #[must_use]
    pub fn to_kept(&self) -> Vec<u8> {
        let kept = KeptRef {
            version: VERSION,
            release: env!("CARGO_PKG_VERSION"),
            size: self.frontier.size(),
            frontier: self.frontier.hashes().iter().map(|h| *h.as_bytes()).collect(),
            aggregator: &self.aggregator,
        };
        // Writing to a vector fails only when memory does, which aborts anyway.
        postcard::to_stdvec(&kept).unwrap_or_default()
    }

    /// A tally read back from [`Tally::to_kept`]'s bytes.
    ///
    /// # Errors
    /// [`KeptError`] when the bytes are not a kept tally, or of another release or form version.
    pub fn from_kept(bytes: &[u8]) -> Result<Tally, KeptError> {
        let kept: Kept = postcard::from_bytes(bytes)?;
        if kept.version != VERSION || kept.release != env!("CARGO_PKG_VERSION") {
            return Err(KeptError::Release { release: kept.release, version: kept.version });
        }
        let hashes = kept.frontier.into_iter().map(Digest::from_bytes).collect();
        let frontier = Frontier::from_hashes(kept.size, hashes)?;
        Ok(Tally { aggregator: kept.aggregator, frontier })
    }

    /// The period counted.
    #[must_use]
    pub fn period(&self) -> Period {
        self.aggregator.period()
    }

    /// The number of cases received in the period and not yet decided: what the kept form's size grows with.
    #[must_use]
    pub fn open_cases(&self) -> usize {
        self.aggregator.open_cases()
    }

    /// The root of the leaves counted.
    #[must_use]
    pub fn root(&self) -> RootHash {
        self.frontier.root()
    }

    /// Moves the period's end to `to`; see [`Aggregator::widen`].
    pub fn widen(&mut self, to: domain::Day) -> bool {
        self.aggregator.widen(to)
    }
}

/// The tally kept in the store for `period`, when it counts at most `size` leaves, ends no later than
/// `period` and can be widened to it; otherwise a tally of no leaves. A kept tally that cannot be used is
/// logged, never an error: counting from the first leaf gives the same numbers.
pub async fn resume(store: &Store, period: Period, size: u64) -> Tally {
    let kept = match store.kept_tally(period.from()).await {
        Ok(Some(kept)) => kept,
        Ok(None) => return Tally::new(period),
        Err(e) => {
            tracing::warn!(error = %e, "counting the ledger from its first leaf");
            return Tally::new(period);
        }
    };
    let usable = |tally: &mut Tally| -> Result<(), String> {
        if tally.root() != kept.root {
            return Err("its frontier is not the root the store checked".into());
        }
        if tally.period().from() != period.from() || tally.period().to() != kept.to {
            return Err("its period is not the row's".into());
        }
        if tally.size() > size {
            return Err(format!(
                "it counts {} leaves, more than the {size} asked for",
                tally.size()
            ));
        }
        if !tally.widen(period.to()) {
            return Err(format!("it cannot be widened to end on `{}`", period.to()));
        }
        Ok(())
    };
    match Tally::from_kept(&kept.body)
        .map_err(|e| e.to_string())
        .and_then(|mut tally| usable(&mut tally).map(|()| tally))
    {
        Ok(tally) => {
            tracing::debug!(leaves = tally.size(), "took up the kept tally");
            tally
        }
        Err(why) => {
            tracing::warn!(from = %period.from(), why, "the kept tally is not used; counting the ledger from its first leaf");
            Tally::new(period)
        }
    }
}

/// Keeps `tally` in the store, replacing the one kept for its period's first day unless that one ends later
/// or counts more; returns whether it was kept.
///
/// # Errors
/// The store's refusal or a database error.
pub async fn keep(store: &Store, tally: &Tally) -> Result<bool, StoreError> {
    let period = tally.period();
    let now = time::OffsetDateTime::now_utc();
    store.keep_tally(period.from(), period.to(), &tally.root(), &tally.to_kept(), now).await
}
