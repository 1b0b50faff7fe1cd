//! One error type for every handler: client errors become RFC 9457 problem documents naming the field, internal
//! errors a generic 500 whose details are logged once and never sent.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use store::StoreError;

/// One problem with one field of the input.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct FieldError {
    /// A JSON pointer (RFC 6901) into the body (`/data/categories/1`), or the query/form field's name.
    pub(crate) pointer: String,
    /// What is wrong and what was expected.
    pub(crate) detail: String,
}

/// What went wrong.
#[derive(Debug)]
pub(crate) enum AppError {
    /// The client's fault: a 4xx with a safe message.
    Client { status: StatusCode, title: &'static str, detail: String, errors: Vec<FieldError> },
    /// Our fault: a 500. The text is logged, never sent.
    Internal(String),
}

impl AppError {
    pub(crate) fn client(
        status: StatusCode,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        AppError::Client { status, title, detail: detail.into(), errors: Vec::new() }
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
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<app::cases::ActError> for AppError {
    fn from(e: app::cases::ActError) -> Self {
        use app::cases::ActError as E;
        match e {
            E::Field { field, detail } => AppError::field(&field, detail),
            E::Throttled(detail) => {
                AppError::client(StatusCode::TOO_MANY_REQUESTS, "too many attempts", detail)
            }
            E::Store(e) => e.into(),
        }
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'static str,
    status: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
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
        response
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
