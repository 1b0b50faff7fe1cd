//! Who is calling: a session cookie (browsers) or an API token (`Authorization: Bearer`, machines), and the
//! role checks and CSRF checks every route makes.
//!
//! Cookies are `HttpOnly; SameSite=Strict; Path=/`, and `Secure` behind TLS. A session's CSRF token is stored
//! with the session and must come back in every form (`csrf` field) or, for API calls made with the cookie,
//! in an `X-CSRF-Token` header. Bearer calls carry no ambient authority, so they need no CSRF token.
//!
//! Sign-in is throttled per client ([`Client`]): the peer address from `ConnectInfo` (which `rightsgate serve`
//! provides), or, when [`crate::Config::trust_forwarded_for`] is set, the last entry of `X-Forwarded-For`
//! (the one our own proxy appended; earlier entries are whatever the caller claims). Without either, every
//! caller is `unknown` and shares one budget. A second approver is throttled per signed-in first approver
//! (`session:NAME`), a client identity nobody can borrow, so a stranger's guessing never blocks a decision.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use domain::case::{Action, Role};
use subtle::ConstantTimeEq;

use crate::error::AppError;
use crate::AppState;

/// The session cookie's name.
pub(crate) const SESSION_COOKIE: &str = "rg_session";
/// The cookie that guards the login form against login CSRF.
pub(crate) const LOGIN_COOKIE: &str = "rg_login";

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Via {
    /// A session cookie, with the session's CSRF token.
    Session { csrf: String },
    /// An API token.
    Token,
}

/// A signed-in caller.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    pub(crate) name: String,
    pub(crate) role: Role,
    pub(crate) via: Via,
}

impl Principal {
    /// Refuses with 403 unless the role may take `action`.
    pub(crate) fn require(&self, action: Action, what: &str) -> Result<(), AppError> {
        if self.role.may(action) {
            Ok(())
        } else {
            Err(AppError::forbidden(self.role, what))
        }
    }

    /// The CSRF token forms must carry (empty for token callers, who have no forms).
    pub(crate) fn csrf(&self) -> &str {
        match &self.via {
            Via::Session { csrf } => csrf,
            Via::Token => "",
        }
    }

    /// Checks a token sent back by a form or header against the session's, in constant time.
    pub(crate) fn check_csrf(&self, sent: &str) -> Result<(), AppError> {
        match &self.via {
            Via::Token => Ok(()),
            Via::Session { csrf } if bool::from(csrf.as_bytes().ct_eq(sent.as_bytes())) => Ok(()),
            Via::Session { .. } => Err(AppError::client(
                axum::http::StatusCode::FORBIDDEN,
                "CSRF check failed",
                "the form is stale or was not sent by this site; reload the page and try again",
            )),
        }
    }
}

/// The value of one cookie.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Whether cookies must be marked `Secure`.
pub(crate) fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    state.0.config.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value; an empty value with `max_age == 0` deletes the cookie.
pub(crate) fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// Finds the caller, if any. A present but unknown token or session is treated as absent.
pub(crate) async fn resolve(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Principal>, AppError> {
    let store = &state.0.store;
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let token = auth
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(AppError::unauthorized)?;
        return match store.api_token_user(token.trim()).await? {
            Some(u) => Ok(Some(Principal { name: u.name, role: u.role, via: Via::Token })),
            None => Err(AppError::unauthorized()),
        };
    }
    let Some(token) = cookie(headers, SESSION_COOKIE) else { return Ok(None) };
    Ok(store.session(token, crate::now()).await?.map(|s| Principal {
        name: s.user.name,
        role: s.user.role,
        via: Via::Session { csrf: s.csrf },
    }))
}

/// Who is asking, for sign-in throttling: an IP address, or `unknown`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Client(pub(crate) String);

/// The client label for a request: see the module documentation.
pub(crate) fn client(state: &AppState, parts: &Parts) -> Client {
    if state.0.config.trust_forwarded_for {
        let last = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .last()
            .and_then(|hop| hop.trim().parse::<IpAddr>().ok());
        if let Some(ip) = last {
            return Client(ip.to_string());
        }
    }
    match parts.extensions.get::<ConnectInfo<SocketAddr>>() {
        Some(ConnectInfo(addr)) => Client(addr.ip().to_string()),
        None => Client("unknown".to_owned()),
    }
}

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, std::convert::Infallible> {
        Ok(client(state, parts))
    }
}

/// An API caller: 401 problem when absent; cookie callers must send `X-CSRF-Token` on unsafe methods.
#[derive(Debug)]
pub(crate) struct ApiUser(pub(crate) Principal);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let principal = resolve(state, &parts.headers).await?.ok_or_else(AppError::unauthorized)?;
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            let sent =
                parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
            principal.check_csrf(sent)?;
        }
        Ok(ApiUser(principal))
    }
}

/// A browser caller, or none (pages redirect to the login page).
#[derive(Debug)]
pub(crate) struct MaybeUser(pub(crate) Option<Principal>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        Ok(MaybeUser(resolve(state, &parts.headers).await?))
    }
}
