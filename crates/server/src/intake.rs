//! Screening a submitted request and storing it, with group commit: concurrent submissions are queued to one
//! writer task that stores whatever is waiting (up to a batch) in one transaction, so each request is durable
//! when acknowledged while the database syncs once per batch instead of once per request.

use domain::{Decision, Request};
use std::sync::atomic::{AtomicUsize, Ordering};

use store::{Intake, PreparedIntake, Received, Store, StoreError};
use tokio::sync::{mpsc, oneshot};

use crate::error::{from_input, AppError, FieldError};
use crate::AppState;

/// A screened request, ready to store.
#[derive(Debug)]
pub(crate) struct Screened {
    pub(crate) bytes: Vec<u8>,
    pub(crate) request: Request,
    pub(crate) decision: Decision,
}

/// Reads and screens a request body; a request the readers or the engine reject is a 422 naming the fields.
pub(crate) fn screen(state: &AppState, bytes: &[u8]) -> Result<Screened, AppError> {
    crate::body::check_json(bytes)?;
    let request = Request::parse("request", bytes).map_err(|e| from_input(&e))?;
    let decision =
        rules::screen(&request, &rules::sha256_hex(bytes), &state.0.ctx).map_err(|e| {
            AppError::invalid(vec![FieldError {
                pointer: crate::error::pointer(e.path),
                detail: e.message,
            }])
        })?;
    Ok(Screened { bytes: bytes.to_vec(), request, decision })
}

/// A sealed and encoded request waiting for the writer, with where to send the outcome.
struct Job {
    prepared: PreparedIntake,
    reply: oneshot::Sender<Result<Received, StoreError>>,
}

/// The handle on the writer task.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    tx: mpsc::Sender<Job>,
}

impl Writer {
    pub(crate) fn start(store: Store, batch: usize) -> Writer {
        let (tx, rx) = mpsc::channel::<Job>(batch.max(1) * 4);
        tokio::spawn(run(store, rx, batch.max(1)));
        Writer { tx }
    }
}

/// Stores whatever is waiting, up to `batch` requests per transaction. Sealing and encoding were done by the
/// request handlers, in parallel; this task only writes.
async fn run(store: Store, mut rx: mpsc::Receiver<Job>, batch: usize) {
    let mut jobs: Vec<Job> = Vec::with_capacity(batch);
    while rx.recv_many(&mut jobs, batch).await > 0 {
        let (prepared, replies): (Vec<PreparedIntake>, Vec<_>) =
            jobs.drain(..).map(|j| (j.prepared, j.reply)).unzip();
        match store.intake_prepared(prepared).await {
            Ok(received) => {
                for (reply, r) in replies.into_iter().zip(received) {
                    // The client may have gone away; the case is stored either way.
                    let _ = reply.send(Ok(r));
                }
            }
            Err(e) => {
                let detail = e.to_string();
                for reply in replies {
                    let _ = reply.send(Err(StoreError::Corrupt(detail.clone())));
                }
            }
        }
    }
}

/// Stores a screened request; returns when it is committed.
pub(crate) async fn store(
    state: &AppState,
    screened: Screened,
    actor: &str,
) -> Result<(Received, Decision), AppError> {
    let ctx = &state.0.ctx;
    let sections = ctx.offence_sections(&screened.request);
    let now = crate::now();
    let due = ctx.policy().deadlines.due(screened.request.urgency, screened.request.received);
    // Orders the ids of cases taken in within the same second; unique per process.
    static POSITION: AtomicUsize = AtomicUsize::new(0);
    let intake = Intake {
        request: &screened.request,
        bytes: &screened.bytes,
        decision: &screened.decision,
        offence_sections: &sections,
        due,
        now,
        actor,
    };
    let prepared =
        Store::prepare_intake(&state.0.sealer, &intake, POSITION.fetch_add(1, Ordering::Relaxed))?;
    let decision = screened.decision;
    let (reply, rx) = oneshot::channel();
    let job = Job { prepared, reply };
    state
        .0
        .intake
        .tx
        .send(job)
        .await
        .map_err(|_| AppError::Internal("intake writer stopped".to_owned()))?;
    let received = rx
        .await
        .map_err(|_| AppError::Internal("intake writer dropped a request".to_owned()))??;
    Ok((received, decision))
}
