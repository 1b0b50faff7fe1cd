//! rightsgate over HTTP: the JSON API under `/api/v1`, the case-review pages, metrics and the published schemas.
//!
//! [`router`] builds the whole application from an [`AppState`]; `rightsgate serve` binds it and tests drive it
//! in process with `oneshot`. Only this crate knows HTTP. Every route checks the caller's role (see `auth`),
//! every form carries the session's CSRF token, and every client error is an RFC 9457 problem document (API) or
//! an error page (browser) that never shows SQL or internals.

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use time::OffsetDateTime;

mod api;
mod assess_page;
mod auth;
mod body;
mod error;
mod intake;
mod metrics;
mod pages;
mod public;
mod tiles;

/// How the server presents itself.
pub struct Config {
    /// Mark session cookies `Secure` even on plain requests (set when TLS terminates in front of the server;
    /// requests carrying `X-Forwarded-Proto: https` get `Secure` cookies regardless).
    pub secure_cookies: bool,
    /// Signs checkpoints when present.
    pub signer: Option<ledger::NoteSigner>,
    /// The checkpoint origin line.
    pub origin: String,
    /// The most requests one intake transaction takes (group commit).
    pub intake_batch: usize,
    /// Take the client's address for sign-in throttling from the last entry of `X-Forwarded-For` (the one
    /// the reverse proxy in front appended); set only when such a proxy always sets the header.
    pub trust_forwarded_for: bool,
    /// The served state's law pack, policy and framework, for the assessment pages (`None`: not shown).
    pub assessment: Option<app::assess::Loaded>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            secure_cookies: false,
            signer: None,
            origin: "rightsgate/ledger".to_owned(),
            intake_batch: 256,
            trust_forwarded_for: false,
            assessment: None,
        }
    }
}

impl std::fmt::Debug for Config {
    /// Leaves the signing key out.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("secure_cookies", &self.secure_cookies)
            .field("signer", &self.signer.as_ref().map(ledger::NoteSigner::name))
            .field("origin", &self.origin)
            .field("intake_batch", &self.intake_batch)
            .field("trust_forwarded_for", &self.trust_forwarded_for)
            .field("assessment", &self.assessment.as_ref().map(|l| &l.pack.code))
            .finish()
    }
}

/// Everything a handler needs: cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

struct Inner {
    store: store::Store,
    sealer: store::Sealer,
    ctx: rules::Context,
    config: Config,
    metrics: metrics::Metrics,
    templates: minijinja::Environment<'static>,
    intake: app::intake::Writer,
    public: public::Cache,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Builds the state; must be called inside a Tokio runtime (it starts the intake writer task).
    #[must_use]
    pub fn new(
        store: store::Store,
        sealer: store::Sealer,
        ctx: rules::Context,
        config: Config,
    ) -> Self {
        let intake = app::intake::Writer::start(store.clone(), config.intake_batch);
        let state = AppState(Arc::new(Inner {
            store,
            sealer,
            ctx,
            config,
            metrics: metrics::Metrics::default(),
            templates: pages::templates(),
            intake,
            public: public::Cache::default(),
        }));
        // Count the ledger for the public page now, so that the first visitor does not wait for it.
        let warm = state.clone();
        tokio::spawn(async move {
            if let Err(e) = public::document(&warm).await {
                e.log();
            }
        });
        state
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &store::Store {
        &self.0.store
    }

    /// What acting on a case needs: the sealing key and the policy's deadlines.
    pub(crate) fn desk(&self) -> store::Desk<'_> {
        store::Desk { sealer: &self.0.sealer, deadlines: &self.0.ctx.policy().deadlines }
    }
}

/// A person's action on a case, for the API and the forms alike: `app::cases::act` as the signed-in user.
pub(crate) async fn act(
    state: &AppState,
    user: &auth::Principal,
    id: &str,
    request: app::cases::ActionRequest,
) -> Result<domain::case::CaseState, error::AppError> {
    let actor = store::Actor { name: &user.name, role: user.role };
    Ok(app::cases::act(&state.0.store, &state.desk(), id, &actor, request, now()).await?)
}

/// The wall clock, read in one place.
pub(crate) fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/health", get(api::health))
        .route("/openapi.json", get(api::openapi))
        .route("/evaluate", post(api::evaluate))
        .route("/requests", post(api::submit))
        .route("/cases", get(api::cases))
        .route("/cases/{id}", get(api::case))
        .route("/cases/{id}/actions", post(api::act))
        .route("/checkpoint", get(api::checkpoint))
        .route("/ledger/cases/{id}", get(api::case_ledger))
        .fallback(api::not_found);
    Router::new()
        .nest("/api/v1", api)
        .route("/metrics", get(metrics::render))
        .route("/schemas/{file}", get(api::schema))
        .route("/static/style.css", get(pages::style))
        .route("/", get(pages::home))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/queue", get(pages::queue))
        .route("/intake", get(pages::intake_form).post(pages::intake))
        .route("/cases/{id}", get(pages::case))
        .route("/cases/{id}/act", post(pages::act))
        .route("/cases/{id}/decide", post(pages::act))
        .route("/cases/{id}/execute", post(pages::act))
        .route("/oversight", get(pages::oversight))
        .route("/assessment", get(assess_page::page))
        .route("/assessment.json", get(assess_page::json_doc))
        .route("/assessment.html", get(assess_page::html_doc))
        .route("/transparency", get(pages::transparency))
        .route("/transparency.json", get(public::json))
        .route("/ledger/checkpoint", get(tiles::checkpoint))
        .route("/ledger/tile/{*path}", get(tiles::tile))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(axum::middleware::from_fn(pages::security_headers))
        .with_state(state)
}
