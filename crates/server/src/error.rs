//! One error type for every handler: client errors become RFC 9457 problem documents naming the field, internal
//! errors a generic 500 whose details are logged once and never sent.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use store::{ConfirmError, StoreError};

/// One problem with one field of the input.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub(crate) struct FieldError {
    /// A JSON pointer (RFC 6901) into the body (`/data/categories/1`), or the query/form field's name.
    pub(crate) pointer: String,
    /// What is wrong and what was expected.
    pub(crate) detail: String,
}

/// What went wrong.
#[derive(Debug)]
pub(crate) enum AppError {
    /// The client's fault (or a 503 to retry): a safe message, and the seconds to wait when retrying helps.
    Client {
        status: StatusCode,
        title: &'static str,
        detail: String,
        errors: Vec<FieldError>,
        retry_after: Option<u64>,
    },
    /// Our fault: a 500. The text is logged, never sent.
    Internal(String),
}

impl AppError {
    pub(crate) fn client(
        status: StatusCode,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        AppError::Client {
            status,
            title,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    /// Sets the `Retry-After` seconds of a client error.
    pub(crate) fn retry_after(self, seconds: u64) -> Self {
        match self {
            AppError::Client { status, title, detail, errors, .. } => {
                AppError::Client { status, title, detail, errors, retry_after: Some(seconds) }
            }
            internal @ AppError::Internal(_) => internal,
        }
    }

    /// A 503 asking to retry shortly: too many password checks run at once.
    pub(crate) fn busy() -> Self {
        Self::client(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "too many password checks at once: try again in a moment",
        )
        .retry_after(BUSY_RETRY_SECONDS)
    }

    /// A 503 asking to retry shortly: another writer held the database past the store's wait, and nothing of the
    /// request was stored.
    pub(crate) fn contended() -> Self {
        Self::client(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "the database is busy with another writer and nothing was stored: try again in a moment",
        )
        .retry_after(BUSY_RETRY_SECONDS)
    }

    /// The seconds to wait, if retrying later helps.
    pub(crate) fn retry_seconds(&self) -> Option<u64> {
        match self {
            AppError::Client { retry_after, .. } => *retry_after,
            AppError::Internal(_) => None,
        }
    }

    /// A 422 naming the fields.
    pub(crate) fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.pointer, e.detail))
            .collect::<Vec<_>>()
            .join("; ");
        AppError::Client {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            title: "invalid input",
            detail,
            errors,
            retry_after: None,
        }
    }

    pub(crate) fn field(pointer: &str, detail: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError { pointer: pointer.to_owned(), detail: detail.into() }])
    }

    pub(crate) fn unauthorized() -> Self {
        Self::client(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "sign in, or send an API token as `Authorization: Bearer …`",
        )
    }

    pub(crate) fn forbidden(role: domain::case::Role, what: &str) -> Self {
        Self::client(StatusCode::FORBIDDEN, "forbidden", format!("a `{role}` may not {what}"))
    }

    pub(crate) fn not_found() -> Self {
        Self::client(StatusCode::NOT_FOUND, "not found", "no such resource")
    }

    pub(crate) fn status(&self) -> StatusCode {
        match self {
            AppError::Client { status, .. } => *status,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The title and the detail a person may see.
    pub(crate) fn public_text(&self) -> (&'static str, String) {
        match self {
            AppError::Client { title, detail, .. } => (title, detail.clone()),
            AppError::Internal(_) => (
                "internal error",
                "something went wrong on our side; it has been logged".to_owned(),
            ),
        }
    }

    /// Logs an internal error once; client errors are not logged (they may quote personal data).
    pub(crate) fn log(&self) {
        if let AppError::Internal(detail) = self {
            tracing::error!(%detail, "internal error");
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        use StoreError as E;
        match e {
            E::NotFound => AppError::not_found(),
            E::Forbidden { role, action } => AppError::forbidden(role, &format!("`{action}`")),
            E::Transition(t) => {
                AppError::client(StatusCode::CONFLICT, "not allowed in this state", t.to_string())
            }
            E::FourEyes(f) => AppError::field("/second_approver", f.to_string()),
            E::Account(detail) => AppError::client(StatusCode::FORBIDDEN, "forbidden", detail),
            E::Invalid { field, detail } => AppError::field(&field, detail),
            E::Conflict => AppError::client(
                StatusCode::CONFLICT,
                "conflict",
                "the resource exists already or was changed concurrently; retry",
            ),
            E::Range(r) => AppError::client(StatusCode::BAD_REQUEST, "out of range", r.to_string()),
            E::Busy => AppError::busy(),
            E::Disabled(name) => AppError::client(
                StatusCode::FORBIDDEN,
                "account disabled",
                format!("account `{name}` is disabled"),
            ),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<app::cases::ActError> for AppError {
    fn from(e: app::cases::ActError) -> Self {
        use app::cases::ActError as E;
        match e {
            E::Field { field, detail } => AppError::field(&field, detail),
            E::Confirm(c) => c.into(),
            E::Store(e) => e.into(),
        }
    }
}

/// How long a caller told "busy" should wait before retrying.
const BUSY_RETRY_SECONDS: u64 = 2;

/// The whole seconds from `now` until `then`, at least 1.
pub(crate) fn seconds_until(then: time::OffsetDateTime, now: time::OffsetDateTime) -> u64 {
    u64::try_from((then - now).whole_seconds()).unwrap_or(0).max(1)
}

/// "8 seconds", "4 minutes": a wait as people read it, rounded up.
pub(crate) fn wait_text(seconds: u64) -> String {
    match seconds {
        1 => "1 second".to_owned(),
        s if s < 90 => format!("{s} seconds"),
        s => format!("{} minutes", s.div_ceil(60)),
    }
}

impl From<ConfirmError> for AppError {
    /// Names the second approver's field; a throttled client gets a 429 and a busy server a 503, both with
    /// `Retry-After`.
    fn from(e: ConfirmError) -> Self {
        const NAME: &str = "/second_approver/name";
        const PASSWORD: &str = "/second_approver/password";
        match e {
            ConfirmError::SameAccount | ConfirmError::NotApprover | ConfirmError::Disabled => {
                AppError::field(NAME, e.to_string())
            }
            ConfirmError::WrongCredentials => AppError::field(PASSWORD, e.to_string()),
            ConfirmError::Throttled { retry_after } => {
                let seconds = seconds_until(retry_after, crate::now());
                let detail = format!(
                    "too many failed attempts for the second approver: wait {} and try again",
                    wait_text(seconds)
                );
                AppError::Client {
                    status: StatusCode::TOO_MANY_REQUESTS,
                    title: "too many attempts",
                    detail: format!("{PASSWORD}: {detail}"),
                    errors: vec![FieldError { pointer: PASSWORD.to_owned(), detail }],
                    retry_after: Some(seconds),
                }
            }
            ConfirmError::Busy => AppError::busy(),
            ConfirmError::Store(e) => e.into(),
        }
    }
}

/// Adds `Retry-After` when the error says how long to wait.
pub(crate) fn with_retry_after(mut response: Response, seconds: Option<u64>) -> Response {
    if let Some(s) = seconds {
        if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    response
}

/// An RFC 9457 problem document, sent as `application/problem+json` (the API's `Problem` schema).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Problem<'a> {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    kind: &'static str,
    /// A short summary (`invalid input`, `not found`).
    title: &'static str,
    /// The HTTP status code.
    status: u16,
    /// What went wrong, for a person to read.
    detail: &'a str,
    /// One entry per field at fault; absent when the problem is not about fields.
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    #[schema(required = false)]
    errors: &'a [FieldError],
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let status = self.status();
        let (title, detail) = self.public_text();
        let errors = match &self {
            AppError::Client { errors, .. } => errors.as_slice(),
            AppError::Internal(_) => &[],
        };
        let body = serde_json::to_vec(&Problem {
            kind: "about:blank",
            title,
            status: status.as_u16(),
            detail: &detail,
            errors,
        })
        .unwrap_or_default();
        let mut response = (status, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        with_retry_after(response, self.retry_seconds())
    }
}

/// Converts a `$.a.b[1]` JSON path (domain's error locations) to a JSON pointer `/a/b/1`.
pub(crate) fn pointer(path: &str) -> String {
    let rest = path.strip_prefix('$').unwrap_or(path);
    let mut out = String::new();
    for part in rest.split(['.', '[']) {
        let part = part.trim_end_matches(']');
        if part.is_empty() {
            continue;
        }
        out.push('/');
        out.push_str(&part.replace('~', "~0").replace('/', "~1"));
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Domain input errors as field errors.
pub(crate) fn from_input(errors: &[domain::InputError]) -> AppError {
    AppError::invalid(
        errors
            .iter()
            .map(|e| FieldError { pointer: pointer(&e.location), detail: e.message.clone() })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use axum::response::IntoResponse as _;

    use super::*;

    async fn body(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn error_pages_escape_their_text() {
        let e = AppError::field("name", "`<script>alert(1)</script>` & 'more'");
        let page = body(crate::pages::PageError::from(e).into_response()).await;
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(1)"), "{page}");
        assert!(page.contains("<title>"), "the page is rendered inside the base layout: {page}");
    }

    #[tokio::test]
    async fn busy_is_a_503_with_retry_after() {
        let response = AppError::from(StoreError::Busy).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
        let page = crate::pages::PageError::from(AppError::busy()).into_response();
        assert_eq!(page.headers()[header::RETRY_AFTER], "2");
        let held = AppError::contended().into_response();
        assert_eq!(held.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(held.headers()[header::RETRY_AFTER], "2");
    }

    #[test]
    fn waits_read_as_people_say_them() {
        assert_eq!(wait_text(1), "1 second");
        assert_eq!(wait_text(8), "8 seconds");
        assert_eq!(wait_text(600), "10 minutes");
        assert_eq!(wait_text(601), "11 minutes");
    }
}
