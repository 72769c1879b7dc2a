//! The API's one error type and its single mapping to `application/problem+json`.

use axum::{
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Serialize;

use crate::store::StoreError;

/// One thing wrong with a request: a body field (JSON pointer) or a query parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// JSON pointer into the request body (`/data/project_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// The query parameter or header at fault (`limit`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// What is wrong, for a person.
    pub message: String,
}

impl FieldError {
    /// A problem with a body field.
    pub fn at(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self { pointer: Some(pointer.into()), parameter: None, message: message.into() }
    }

    /// A problem with a query parameter or header.
    pub fn parameter(name: impl Into<String>, message: impl Into<String>) -> Self {
        Self { pointer: None, parameter: Some(name.into()), message: message.into() }
    }
}

/// Everything the API refuses or fails with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the body is not JSON, or a query parameter is wrong.
    #[error("{detail}")]
    BadRequest {
        /// What is wrong.
        detail: String,
        /// Which parameters.
        errors: Vec<FieldError>,
    },
    /// 401: no valid bearer token.
    #[error("a valid bearer token is required")]
    Unauthorized,
    /// 403: the token is valid but may not do this.
    #[error("{0}")]
    Forbidden(&'static str),
    /// 404: no such resource for this caller (including other accounts').
    #[error("no such {0}")]
    NotFound(&'static str),
    /// 405: the path exists, but not with this method.
    #[error("this path does not take that method (the Allow header lists those it takes)")]
    MethodNotAllowed,
    /// 409: the request conflicts with the resource's state.
    #[error("{0}")]
    Conflict(String),
    /// 408: the body did not arrive within `HERALD_BODY_READ_TIMEOUT`; the
    /// connection is closed.
    #[error("the request body did not arrive within {} s", .0.as_secs())]
    RequestTimeout(std::time::Duration),
    /// 413: the body is over the limit.
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// 422: the JSON is well formed but its values are not acceptable.
    #[error("the request has invalid fields")]
    Invalid(Vec<FieldError>),
    /// 429: the account has used its share of requests
    /// (`HERALD_ACCOUNT_RATE_LIMIT`); sent with `Retry-After`, the seconds
    /// until the next request is let through.
    #[error("this account sends more than {limit} requests a second; try again in {} s", retry_after_seconds(*.retry_after))]
    TooManyRequests {
        /// The account's limit, requests a second.
        limit: u32,
        /// How long until the next request is let through.
        retry_after: std::time::Duration,
    },
    /// 503: the database does not answer; sent with `Retry-After`.
    #[error("the database does not answer; try again in a few seconds")]
    Unavailable,
    /// 503: the disk that holds the database is full, so the write was not
    /// stored; sent with `Retry-After` (writes succeed again once space is freed).
    #[error("the disk holding the database is full; the request was not stored: try again once space is freed")]
    DiskFull,
    /// 500: a failure of ours; the detail is logged, never sent.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// A 422 with one field error.
    pub fn invalid(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::at(pointer, message)])
    }

    /// A 400 about one query parameter.
    pub fn bad_parameter(name: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::BadRequest {
            detail: format!("query parameter `{name}`: {message}"),
            errors: vec![FieldError::parameter(name, message)],
        }
    }

    /// Maps a store error for a resource of kind `what`.
    pub fn from_store(what: &'static str) -> impl FnOnce(StoreError) -> Self {
        move |e| match e {
            StoreError::NotFound => Self::NotFound(what),
            StoreError::Conflict => Self::Conflict(format!("{} {what} with that id already exists", article(what))),
            StoreError::EndpointDisabled => Self::Conflict("the endpoint is disabled; enable it first".into()),
            full if full.is_disk_full() => {
                tracing::warn!(error = %full, "a store call on {} {what} found the disk holding the database full", article(what));
                Self::DiskFull
            }
            unavailable if unavailable.is_unavailable() => {
                tracing::warn!(error = %unavailable, "a store call on a {what} found the database unavailable");
                Self::Unavailable
            }
            other => Self::Internal(anyhow::Error::new(other).context(format!("store call on a {what} failed"))),
        }
    }

    /// The HTTP status of this refusal: 4xx for the caller's mistakes, 5xx for ours.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable | Self::DiskFull => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn slug(&self) -> &'static str {
        match self {
            Self::BadRequest { .. } => "bad-request",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not-found",
            Self::MethodNotAllowed => "method-not-allowed",
            Self::Conflict(_) => "conflict",
            Self::RequestTimeout(_) => "request-timeout",
            Self::PayloadTooLarge(_) => "payload-too-large",
            Self::Invalid(_) => "validation",
            Self::TooManyRequests { .. } => "rate-limited",
            Self::Unavailable => "unavailable",
            Self::DiskFull => "disk-full",
            Self::Internal(_) => "internal",
        }
    }
}

/// The `application/problem+json` body (RFC 9457).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// The fields or parameters at fault.
    pub errors: Vec<FieldError>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let slug = self.slug();
        let retry_after = match &self {
            Self::TooManyRequests { retry_after, .. } => Some(retry_after_seconds(*retry_after).to_string()),
            _ if status == StatusCode::SERVICE_UNAVAILABLE => Some(RETRY_AFTER_SECONDS.to_owned()),
            _ => None,
        };
        let closes = matches!(self, Self::RequestTimeout(_));
        let detail = match &self {
            Self::Internal(e) => {
                tracing::error!(error = ?e, "request failed");
                "an internal error occurred; it has been logged".to_owned()
            }
            Self::Invalid(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", e.pointer.as_deref().unwrap_or(""), e.message))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        };
        let errors = match self {
            Self::Invalid(errors) | Self::BadRequest { errors, .. } => errors,
            // The body as a whole, at the root pointer.
            Self::PayloadTooLarge(max) => vec![FieldError::at("", format!("must be at most {max} bytes"))],
            _ => Vec::new(),
        };
        let problem = Problem {
            kind: format!("urn:herald:problem:{slug}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            errors,
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, [(header::CONTENT_TYPE, "application/problem+json")], body).into_response();
        if let Some(seconds) = retry_after.and_then(|s| header::HeaderValue::from_str(&s).ok()) {
            response.headers_mut().insert(header::RETRY_AFTER, seconds);
        }
        if closes {
            // The rest of the body is never read: the connection cannot carry another request.
            response.headers_mut().insert(header::CONNECTION, header::HeaderValue::from_static("close"));
        }
        response
    }
}

/// How long a client is asked to wait after a 503 (`Retry-After`, seconds).
pub const RETRY_AFTER_SECONDS: &str = "2";

/// A wait in whole seconds for `Retry-After`, rounded up, at least 1.
fn retry_after_seconds(wait: std::time::Duration) -> u64 {
    u64::try_from(wait.as_millis().div_ceil(1000)).unwrap_or(u64::MAX).max(1)
}

/// `a` or `an` before `word`, by its first letter (every kind named here reads so).
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}
