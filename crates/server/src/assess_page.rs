//! The assessment of the served state's framework: `GET /assessment` on the desk (oversight and legal advisers:
//! the assessment with what the ledger shows in practice), and the published assessment for everyone,
//! `GET /assessment.json` and `GET /assessment.html` (from the files alone, without practice), served only when
//! the framework commits to publishing it (`publication.assessment`).

use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use domain::case::Action;
use serde_json::json;

use crate::auth::MaybeUser;
use crate::error::AppError;
use crate::pages::{render, to_login, user_ctx, PageError};
use crate::AppState;

/// The assessment inputs, when `serve` was given them and the framework commits to publishing the assessment.
pub(crate) fn published(state: &AppState) -> Option<&app::assess::Loaded> {
    state.0.config.assessment.as_ref().filter(|l| {
        l.framework.as_ref().and_then(|f| f.publication.as_ref()).is_some_and(|p| p.assessment)
    })
}

/// `GET /assessment`: the desk page, for the oversight and legal-adviser roles.
pub(crate) async fn page(
    State(state): State<AppState>,
    user: MaybeUser,
) -> Result<Response, PageError> {
    let Some(user) = user.0 else { return Ok(to_login()) };
    user.require(Action::ReadAssessment, "read the framework's assessment")?;
    let Some(loaded) = state.0.config.assessment.as_ref() else {
        return render(
            &state,
            "assessment.html",
            json!({ "user": user_ctx(&user), "assessment": null }),
        );
    };
    let today = domain::Day::from(crate::now().date());
    let practice = app::assess::practice(&state.0.store, today)
        .await
        .map_err(|e| AppError::Internal(format!("assessment practice: {e}")))?;
    let assessment = loaded.assess(Some(&practice));
    let doc = serde_json::to_value(&assessment)
        .map_err(|e| AppError::Internal(format!("assessment: {e}")))?;
    render(
        &state,
        "assessment.html",
        json!({ "user": user_ctx(&user), "assessment": doc, "published": published(&state).is_some() }),
    )
}

/// `GET /assessment.json`: public, when published.
pub(crate) async fn json_doc(State(state): State<AppState>) -> Result<Response, PageError> {
    let loaded = published(&state).ok_or_else(AppError::not_found)?;
    let text = app::assess::json(&loaded.assess(None));
    Ok(([(header::CONTENT_TYPE, "application/json")], text).into_response())
}

/// `GET /assessment.html`: public, when published.
pub(crate) async fn html_doc(State(state): State<AppState>) -> Result<Response, PageError> {
    let loaded = published(&state).ok_or_else(AppError::not_found)?;
    Ok(Html(app::assess::html(&loaded.assess(None))).into_response())
}
