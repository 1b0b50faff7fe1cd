//! The server's side of intake: a request body is read and screened by `app::intake` (a problem becomes a 422
//! naming the fields) and stored through the application's group-commit writer, so each request is durable
//! when acknowledged.

use app::intake::Screened;
use domain::Decision;
use store::Received;

use crate::error::{from_input, AppError};
use crate::AppState;

/// Reads and screens a request body; a request the readers or the engine reject is a 422 naming the fields.
pub(crate) fn screen(state: &AppState, bytes: &[u8]) -> Result<Screened, AppError> {
    crate::body::check_json(bytes)?;
    app::intake::screen_owned("request", bytes.to_vec(), &state.0.ctx).map_err(|e| from_input(&e))
}

/// Stores a screened request; returns when it is committed.
pub(crate) async fn store(
    state: &AppState,
    screened: Screened,
    actor: &str,
) -> Result<(Received, Decision), AppError> {
    let prepared = app::intake::prepare(
        &state.0.ctx,
        &state.0.sealer,
        (&screened.request, &screened.decision),
        &screened.bytes,
        app::intake::Receipt { now: crate::now(), actor, position: None },
    )?;
    let received = state.0.intake.store(prepared).await.map_err(|e| match e {
        app::intake::WriteError::Contended => AppError::contended(),
        other => AppError::Internal(other.to_string()),
    })?;
    Ok((received, screened.decision))
}
