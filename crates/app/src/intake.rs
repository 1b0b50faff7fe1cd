//! Intake: one pipeline from a request's exact bytes to a stored case, used by the API, the intake form,
//! `ingest`, the demo and the benchmarks.
//!
//! [`screen`] reads and screens; [`prepare`] seals and encodes (no database, so bulk intake prepares on one
//! thread while another writes); [`Writer`] stores what concurrent callers prepared with group commit, and
//! [`take_in`] stores a batch directly. The due date is computed by the store from our time of receipt and the
//! policy's deadlines, never from the `received` date the requester wrote.

use std::sync::atomic::{AtomicUsize, Ordering};

use domain::{Decision, InputError, Request};
use rules::Context;
use store::{Intake, PreparedIntake, Received, Sealer, Store, StoreError};
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};

/// A request read and screened, with its exact bytes.
#[derive(Debug, Clone)]
pub struct Screened {
    /// The bytes as received (their digest is in the decision).
    pub bytes: Vec<u8>,
    /// The request as read.
    pub request: Request,
    /// Screening's decision.
    pub decision: Decision,
}

/// Reads and screens one request's exact bytes; `file` names it in errors.
///
/// # Errors
/// Every problem the strict reader or the engine finds, each naming the field and what was expected.
pub fn screen(
    file: &str,
    bytes: &[u8],
    ctx: &Context,
) -> Result<(Request, Decision), Vec<InputError>> {
    let request = Request::parse(file, bytes)?;
    let decision = rules::screen(&request, &rules::sha256_hex(bytes), ctx)
        .map_err(|e| vec![InputError::new(file, e.path, e.message)])?;
    Ok((request, decision))
}

/// [`screen`], keeping the bytes.
///
/// # Errors
/// As [`screen`].
pub fn screen_owned(
    file: &str,
    bytes: Vec<u8>,
    ctx: &Context,
) -> Result<Screened, Vec<InputError>> {
    let (request, decision) = screen(file, &bytes, ctx)?;
    Ok(Screened { bytes, request, decision })
}

/// Who took a request in, and when.
#[derive(Debug, Clone, Copy)]
pub struct Receipt<'a> {
    /// Our time of receipt: the due date runs from it.
    pub now: OffsetDateTime,
    /// The account (or `ingest`) that took it in.
    pub actor: &'a str,
    /// Orders the ids of cases taken in within the same second; `None` draws from a process-wide counter.
    pub position: Option<usize>,
}

/// Seals and encodes a screened request (its exact `bytes`, as read and decided) for the store.
///
/// # Errors
/// [`StoreError::Crypto`] if sealing fails.
pub fn prepare(
    ctx: &Context,
    sealer: &Sealer,
    (request, decision): (&Request, &Decision),
    bytes: &[u8],
    receipt: Receipt<'_>,
) -> Result<PreparedIntake, StoreError> {
    let Receipt { now, actor, position } = receipt;
    // Unique per process, so concurrent callers never share a position within one second.
    static POSITION: AtomicUsize = AtomicUsize::new(0);
    let sections = ctx.offence_sections(request);
    let intake = Intake {
        request,
        bytes,
        decision,
        offence_sections: &sections,
        deadlines: &ctx.policy().deadlines,
        now,
        actor,
    };
    let position = position.unwrap_or_else(|| POSITION.fetch_add(1, Ordering::Relaxed));
    Store::prepare_intake(sealer, &intake, position)
}

/// [`prepare`]'s outcome with a request the store refuses to keep ([`StoreError::Invalid`]) as that request's
/// problem, like screening's, so that bulk callers skip it instead of failing the batch; `file` names it.
///
/// # Errors
/// Any other store error.
pub fn refused_as_problems(
    prepared: Result<PreparedIntake, StoreError>,
    file: &str,
) -> Result<Result<PreparedIntake, Vec<InputError>>, StoreError> {
    match prepared {
        Ok(p) => Ok(Ok(p)),
        // The store names the field by JSON pointer; requests' problems name it by path (`/a/b` is `$.a.b`).
        Err(StoreError::Invalid { field, detail }) => {
            Ok(Err(vec![InputError::new(file, format!("${}", field.replace('/', ".")), detail)]))
        }
        Err(e) => Err(e),
    }
}

/// Screens, seals and stores a batch of requests in one transaction (the demo, tests, small imports).
/// Invalid requests are returned with their problems and nothing of them is stored.
///
/// # Errors
/// A store error; nothing of the batch is written then.
pub async fn take_in(
    store: &Store,
    sealer: &Sealer,
    ctx: &Context,
    requests: &[Vec<u8>],
    now: OffsetDateTime,
    actor: &str,
) -> Result<Vec<Result<Received, Vec<InputError>>>, StoreError> {
    let mut prepared = Vec::with_capacity(requests.len());
    let mut slots = Vec::with_capacity(requests.len());
    for (i, bytes) in requests.iter().enumerate() {
        let receipt = Receipt { now, actor, position: Some(i) };
        let outcome = match screen("", bytes, ctx) {
            Ok((request, decision)) => refused_as_problems(
                prepare(ctx, sealer, (&request, &decision), bytes, receipt),
                "",
            )?,
            Err(problems) => Err(problems),
        };
        match outcome {
            Ok(p) => {
                prepared.push(p);
                slots.push(Ok(()));
            }
            Err(problems) => slots.push(Err(problems)),
        }
    }
    let mut stored = store.intake_prepared(prepared).await?.into_iter();
    Ok(slots
        .into_iter()
        .map(|slot| match slot {
            Ok(()) => stored.next().ok_or_else(Vec::new),
            Err(problems) => Err(problems),
        })
        .collect())
}

/// A prepared request waiting for the writer, with where to send the outcome.
#[derive(Debug)]
struct Job {
    prepared: PreparedIntake,
    reply: oneshot::Sender<Result<Received, WriteError>>,
}

/// Why the writer could not store a request: its group's transaction failed and so did the retry of the request
/// alone; nothing of it is stored.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WriteError {
    /// The request's own transaction failed.
    #[error("storing the request failed: {0}")]
    Store(String),
    /// Another writer held the database past the store's wait ([`StoreError::is_contention`]); nothing of the request is
    /// stored, and sending it again later may succeed.
    #[error("the database is busy with another writer: try again shortly")]
    Contended,
    /// The writer task is gone (the server is shutting down).
    #[error("the intake writer stopped")]
    Stopped,
}

/// Group commit: concurrent callers queue prepared requests to one writer task that stores whatever is waiting
/// (up to a batch) in one transaction, so each request is durable when acknowledged while the database syncs
/// once per group instead of once per request. If a group's transaction fails, each of its requests is retried
/// in a transaction of its own, so that one request's error fails that request alone; if it failed because
/// another writer held the database past the store's wait, every request of the group is answered
/// [`WriteError::Contended`] at once instead, since retrying each alone would wait that long again in turn.
#[derive(Debug, Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer task; must be called inside a Tokio runtime.
    pub fn start(store: Store, batch: usize) -> Writer {
        let (tx, rx) = mpsc::channel::<Job>(batch.max(1) * 4);
        tokio::spawn(run(store, rx, batch.max(1)));
        Writer { tx }
    }

    /// Stores one prepared request; returns when its group is committed.
    ///
    /// # Errors
    /// [`WriteError`]; nothing of the request is stored then.
    pub async fn store(&self, prepared: PreparedIntake) -> Result<Received, WriteError> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Job { prepared, reply }).await.map_err(|_| WriteError::Stopped)?;
        rx.await.map_err(|_| WriteError::Stopped)?
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Job>, batch: usize) {
    let mut jobs: Vec<Job> = Vec::with_capacity(batch);
    while rx.recv_many(&mut jobs, batch).await > 0 {
        let (prepared, replies): (Vec<PreparedIntake>, Vec<_>) =
            jobs.drain(..).map(|j| (j.prepared, j.reply)).unzip();
        // A few kilobytes per request, kept only in case the group fails.
        let alone = (prepared.len() > 1).then(|| prepared.clone());
        match store.intake_prepared(prepared).await {
            Ok(received) => {
                for (reply, r) in replies.into_iter().zip(received) {
                    // The caller may have gone away; the case is stored either way.
                    let _ = reply.send(Ok(r));
                }
            }
            Err(e) if e.is_contention() => {
                tracing::warn!(error = %e, requests = replies.len(), "intake group found the database busy");
                for reply in replies {
                    let _ = reply.send(Err(WriteError::Contended));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, requests = replies.len(), "intake group failed");
                match alone {
                    Some(each) => {
                        for (p, reply) in each.into_iter().zip(replies) {
                            let _ = reply.send(store_alone(&store, p).await);
                        }
                    }
                    None => {
                        for reply in replies {
                            let _ = reply.send(Err(WriteError::Store(e.to_string())));
                        }
                    }
                }
            }
        }
    }
}

/// Stores one request of a failed group in a transaction of its own.
async fn store_alone(store: &Store, prepared: PreparedIntake) -> Result<Received, WriteError> {
    match store.intake_prepared(vec![prepared]).await {
        Ok(mut received) => received.pop().ok_or_else(|| {
            WriteError::Store("the store answered nothing for a request taken in alone".to_owned())
        }),
        Err(e) if e.is_contention() => Err(WriteError::Contended),
        Err(e) => {
            tracing::error!(error = %e, "intake of a request alone failed");
            Err(WriteError::Store(e.to_string()))
        }
    }
}
