//! Request bodies: checked content type, a 1 MiB limit, and parse errors that name the field.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

use crate::error::{pointer, AppError, FieldError};

/// The largest body accepted.
pub(crate) const LIMIT: usize = 1024 * 1024;

/// The raw bytes of an `application/json` body of at most [`LIMIT`] bytes.
#[derive(Debug)]
pub(crate) struct JsonBytes(pub(crate) Bytes);

/// The fields of an `application/x-www-form-urlencoded` body, in order.
#[derive(Debug, Default)]
pub(crate) struct Form(pub(crate) Vec<(String, String)>);

impl Form {
    /// The first value of a field, or `""`.
    pub(crate) fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    /// Every value of a field.
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }
}

fn media_type(req: &Request) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

async fn limited(req: Request) -> Result<Bytes, AppError> {
    let too_large = || {
        AppError::client(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body too large",
            format!("the body must be at most {LIMIT} bytes"),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > LIMIT as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(req.into_body(), LIMIT).await.map_err(|_| too_large())
}

impl<S: Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = AppError;

    async fn from_request(req: Request, _: &S) -> Result<Self, AppError> {
        let media = media_type(&req);
        if media != "application/json"
            && !(media.starts_with("application/") && media.ends_with("+json"))
        {
            return Err(AppError::client(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported media type",
                format!("send `Content-Type: application/json`, not `{media}`"),
            ));
        }
        Ok(JsonBytes(limited(req).await?))
    }
}

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = AppError;

    async fn from_request(req: Request, _: &S) -> Result<Self, AppError> {
        if media_type(&req) != "application/x-www-form-urlencoded" {
            return Err(AppError::client(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported media type",
                "send the form as `application/x-www-form-urlencoded`",
            ));
        }
        let bytes = limited(req).await?;
        Ok(Form(form_urlencoded::parse(&bytes).into_owned().collect()))
    }
}

/// Reads a JSON DTO strictly: malformed JSON is a 400, a wrong field a 422 naming it.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        return Err(AppError::client(
            StatusCode::BAD_REQUEST,
            "malformed JSON",
            format!("the body is not JSON: line {}, column {}", e.line(), e.column()),
        ));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { "$".to_owned() } else { format!("$.{path}") };
        let detail = e.into_inner().to_string();
        // serde_json appends ` at line L column C`; the pointer already says where.
        let detail = match detail.rfind(" at line ") {
            Some(i) => detail[..i].to_owned(),
            None => detail,
        };
        AppError::invalid(vec![FieldError { pointer: pointer(&path), detail }])
    })
}

/// Whether the body is syntactically JSON (so a request the domain rejects is a 422, not a 400).
pub(crate) fn check_json(bytes: &[u8]) -> Result<(), AppError> {
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).map(|_| ()).map_err(|e| {
        AppError::client(
            StatusCode::BAD_REQUEST,
            "malformed JSON",
            format!("the body is not JSON: line {}, column {}", e.line(), e.column()),
        )
    })
}
