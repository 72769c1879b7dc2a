//! Path parameters: axum's `Path`, with its refusals answered as problem+json.
//! A segment that is not UTF-8 cannot name anything Herald stores, so it is a
//! `404` like any other unknown id; a handler that asks for parameters its
//! route lacks is our bug, a `500`.

use axum::extract::{path::ErrorKind, rejection::PathRejection, FromRequestParts};

use super::error::ApiError;

/// The path parameters of a request, as axum's `Path` reads them.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        let unfit = |e: &dyn std::fmt::Display| {
            Self::Internal(anyhow::anyhow!("the route's path parameters do not fit its handler: {e}"))
        };
        let PathRejection::FailedToDeserializePathParams(e) = rejection else {
            return unfit(&rejection);
        };
        match e.kind() {
            ErrorKind::InvalidUtf8InPathParam { key }
            | ErrorKind::ParseErrorAtKey { key, .. }
            | ErrorKind::DeserializeError { key, .. } => Self::NotFound(resource(key)),
            ErrorKind::ParseErrorAtIndex { .. } | ErrorKind::ParseError { .. } => Self::NotFound("resource"),
            _ => unfit(&e),
        }
    }
}

/// What a parameter names, for "no such …".
fn resource(key: &str) -> &'static str {
    match key {
        "account" => "account",
        "endpoint" => "endpoint",
        "event" => "event",
        "delivery" => "delivery",
        "recovery" => "recovery",
        _ => "resource",
    }
}
