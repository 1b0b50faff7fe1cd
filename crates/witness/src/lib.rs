//! A transparency-log witness (c2sp.org/tlog-witness) for an oversight body: it watches logs by origin and
//! key, checks that each checkpoint it is offered is signed by the log and consistent with the last one it
//! cosigned, persists the new checkpoint durably, and only then answers with a `cosignature/v1` line.
//!
//! - [`check`] holds the pure checks and [`add_checkpoint`], the whole decision over an in-memory state.
//! - [`State`] is the durable state (SQLite, compare-and-swap per log).
//! - [`Witness`] joins them: [`Witness::add_checkpoint`] is what both `POST /add-checkpoint` ([`router`]) and
//!   the offline `rightsgate witness add` call.
//!
//! Invariant: a cosignature is returned only after the checkpoint it signs is committed as the log's state,
//! and the state only ever moves to a checkpoint proved consistent with it; so the witness never cosigns two
//! inconsistent checkpoints of one log, whenever it crashes.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]
#![warn(missing_docs)]

pub mod check;
mod http;
pub mod request;
pub mod state;

use std::sync::Arc;

pub use check::{add_checkpoint, Cosigned, Latest, Logs, Refusal};
pub use http::{router, Clock, MAX_BODY};
pub use request::AddCheckpoint;
pub use state::{Evidence, State, StateError, Swap};

use ledger::Cosigner;

/// A witness: its cosigning key, the logs it watches, and its durable state.
#[derive(Debug, Clone)]
pub struct Witness {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    cosigner: Cosigner,
    logs: Logs,
    state: State,
}

/// Why [`Witness::add_checkpoint`] did not cosign.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// The checkpoint is refused; the status says how to answer.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The state could not be read or written; nothing was cosigned.
    #[error(transparent)]
    State(#[from] StateError),
}

impl Witness {
    /// A witness with `cosigner`'s key, watching `logs`, keeping its state in `state`.
    #[must_use]
    pub fn new(cosigner: Cosigner, logs: Logs, state: State) -> Self {
        Self { inner: Arc::new(Inner { cosigner, logs, state }) }
    }

    /// The witness's cosigning key.
    #[must_use]
    pub fn cosigner(&self) -> &Cosigner {
        &self.inner.cosigner
    }

    /// The logs it watches.
    #[must_use]
    pub fn logs(&self) -> &Logs {
        &self.inner.logs
    }

    /// Its durable state.
    #[must_use]
    pub fn state(&self) -> &State {
        &self.inner.state
    }

    /// Handles one `add-checkpoint` request body at POSIX time `now` and returns the cosignature line(s).
    ///
    /// The new state is committed durably before this returns `Ok`. When another request moved the log's
    /// state between the check and the write, this refuses with [`Refusal::OldMismatch`] and the new size.
    /// A validly signed fork or bad proof is kept as evidence ([`State::evidence`]).
    ///
    /// # Errors
    /// [`AddError::Refused`] with the reason, or [`AddError::State`] if the database failed.
    pub async fn add_checkpoint(&self, body: &[u8], now: u64) -> Result<String, AddError> {
        let Inner { cosigner, logs, state } = &*self.inner;
        let signed = check::verify_signed(logs, AddCheckpoint::parse(body)?)?;
        let origin = signed.checkpoint.origin();
        let previous = state.latest(origin).await?;
        let expected = previous.as_ref().map(|p| p.root);
        if let Err(refusal) = check::verify_extends(expected.as_ref(), &signed) {
            if refusal.is_evidence() {
                let request = signed.request.to_body();
                let reason = refusal.to_string();
                tracing::warn!(%origin, %reason, "refused a checkpoint signed by the log: kept as evidence");
                if let Err(e) = state
                    .keep_evidence(
                        origin,
                        refusal.status(),
                        &reason,
                        &signed.request.note,
                        &request,
                        now,
                    )
                    .await
                {
                    tracing::error!(error = %e, %origin, "keeping evidence of a misbehaving log");
                }
            }
            return Err(refusal.into());
        }
        let cosigned = check::cosign(cosigner, &signed, previous.as_ref(), now)?;
        match state.swap(origin, expected.as_ref(), &cosigned.latest).await? {
            Swap::Done => Ok(cosigned.lines),
            Swap::Lost => {
                let latest = state.latest(origin).await?.map_or(0, |l| l.root.size());
                Err(Refusal::OldMismatch { old: signed.request.old, latest }.into())
            }
        }
    }
}
