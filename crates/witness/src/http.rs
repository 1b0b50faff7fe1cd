//! `POST /add-checkpoint` over axum, answering with the status codes and bodies of c2sp.org/tlog-witness.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

use crate::{AddError, Refusal, Witness};

/// The largest request body accepted: 63 proof lines and a checkpoint with 16 post-quantum signatures fit.
pub const MAX_BODY: usize = 128 * 1024;

/// Reads the current POSIX time in seconds; the caller owns the clock.
pub type Clock = fn() -> u64;

#[derive(Debug, Clone)]
struct Service {
    witness: Witness,
    clock: Clock,
}

/// The witness's routes: `POST /add-checkpoint`.
pub fn router(witness: Witness, clock: Clock) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(Service { witness, clock })
}

async fn add_checkpoint(State(service): State<Service>, body: Bytes) -> Response {
    let now = (service.clock)();
    match service.witness.add_checkpoint(&body, now).await {
        Ok(lines) => (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], lines)
            .into_response(),
        Err(AddError::Refused(refusal)) => refused(&refusal),
        Err(AddError::State(e)) => {
            tracing::error!(error = %e, "witness state");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
        }
    }
}

fn refused(refusal: &Refusal) -> Response {
    let status =
        StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match refusal {
        // The spec's 409 body: the size of the latest cosigned checkpoint.
        Refusal::OldMismatch { latest: size, .. } | Refusal::Fork { size } => {
            (status, [(header::CONTENT_TYPE, "text/x.tlog.size")], format!("{size}\n"))
                .into_response()
        }
        other => {
            (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("{other}\n"))
                .into_response()
        }
    }
}
