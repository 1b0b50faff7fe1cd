//! The ledger published as a C2SP tlog-tiles log under `/ledger`: the signed checkpoint, tiles of
//! hashes and entry bundles, so that monitors and witnesses can check it with any tlog client.
//!
//! Leaves hold no personal data (see `domain::leaf`), so every resource here is public. A full
//! tile or bundle never changes and is cached for a year; a partial one is cached briefly, and the
//! checkpoint not at all. A resource past the tree, or a path the spec does not spell that way, is
//! a 404 naming what was expected.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ledger::{Checkpoint, TileKind, TilePath};
use store::StoreError;

use crate::error::AppError;
use crate::AppState;

/// `Cache-Control` of a full tile or bundle: its bytes never change.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of a partial tile or bundle: the full one replaces it soon.
const SHORT_LIVED: &str = "public, max-age=60";

/// `GET /ledger/checkpoint`: the latest co-signed checkpoint, or else the current one, as a signed note.
///
/// A server without a signing key publishes no checkpoint: an unsigned one would not be a
/// tlog-tiles checkpoint.
pub(crate) async fn checkpoint(State(state): State<AppState>) -> Result<Response, AppError> {
    let config = &state.0.config;
    let Some(signer) = &config.signer else {
        return Err(AppError::client(
            StatusCode::NOT_FOUND,
            "not found",
            "the ledger is not published: the server has no checkpoint signing key",
        ));
    };
    let store = state.store();
    // With witnesses, the latest checkpoint a quorum co-signed (it may trail the tree; tiles of its size are
    // served as well); without, a checkpoint of the current tree signed by the log alone.
    let note = match store.latest_cosigned_checkpoint().await? {
        Some((_, note)) => note,
        None => {
            let size = store.tree_size().await?;
            let root = store.root_at(size).await?;
            Checkpoint::new(&config.origin, root)
                .and_then(|c| c.sign(signer))
                .map_err(|e| AppError::Internal(format!("checkpoint: {e}")))?
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        note,
    )
        .into_response())
}

/// `GET /ledger/tile/{*path}`: a tile's hashes (`tile/<L>/<N>[.p/<W>]`) or an entry bundle
/// (`tile/entries/<N>[.p/<W>]`), each read in one query.
pub(crate) async fn tile(
    State(state): State<AppState>,
    Path(rest): Path<String>,
) -> Result<Response, AppError> {
    let path = TilePath::parse(&format!("tile/{rest}"))
        .map_err(|e| AppError::client(StatusCode::NOT_FOUND, "not found", e.to_string()))?;
    let tile = path.tile();
    let beyond = |e: StoreError| match e {
        StoreError::Range(_) => AppError::client(
            StatusCode::NOT_FOUND,
            "not found",
            format!("`{path}` lies beyond the ledger's current tree"),
        ),
        other => other.into(),
    };
    let bytes = match path.kind() {
        TileKind::Hashes => {
            ledger::encode_hashes(&state.store().tile_hashes(tile).await.map_err(beyond)?)
        }
        TileKind::Entries => {
            let entries = state.store().tile_entries(tile).await.map_err(beyond)?;
            ledger::encode_bundle(&entries)
                .map_err(|e| AppError::Internal(format!("entry bundle `{path}`: {e}")))?
        }
    };
    let cache = if tile.is_full() { IMMUTABLE } else { SHORT_LIVED };
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream")),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        bytes,
    )
        .into_response())
}
