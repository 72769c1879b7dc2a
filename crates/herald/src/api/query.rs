//! Query strings: pagination (`limit`, `cursor`) and list filters, parsed
//! with a 400 naming the parameter at fault.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

use super::error::ApiError;
use crate::store::Page;

/// The raw query parameters of a request.
pub struct Params(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(map) = Query::<HashMap<String, String>>::from_request_parts(parts, state).await.map_err(|e| {
            ApiError::BadRequest { detail: format!("the query string is malformed: {e}"), errors: vec![] }
        })?;
        Ok(Self(map))
    }
}

impl Params {
    /// The default page size.
    pub const DEFAULT_LIMIT: u32 = 50;
    /// The largest page size.
    pub const MAX_LIMIT: u32 = 500;

    /// A parameter, if given and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// A parameter parsed by `parse`, or a 400 naming it.
    pub fn parsed<T, E: std::fmt::Display>(
        &self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Option<T>, ApiError> {
        self.get(name).map(|v| parse(v).map_err(|e| ApiError::bad_parameter(name, e.to_string()))).transpose()
    }

    /// `limit` (1 to 500, default 50).
    pub fn limit(&self) -> Result<u32, ApiError> {
        let limit = self
            .parsed("limit", |v| v.parse::<u32>().map_err(|_| "must be a whole number"))?
            .unwrap_or(Self::DEFAULT_LIMIT);
        if !(1..=Self::MAX_LIMIT).contains(&limit) {
            return Err(ApiError::bad_parameter("limit", format!("must be between 1 and {}", Self::MAX_LIMIT)));
        }
        Ok(limit)
    }

    /// `limit` and `cursor`; the cursor must hold an id that `check` accepts.
    pub fn page<T, E>(&self, check: impl FnOnce(&str) -> Result<T, E>) -> Result<Page, ApiError> {
        let limit = self.limit()?;
        let before = self.parsed("cursor", |v| {
            decode_cursor(v).filter(|id| check(id).is_ok()).ok_or("is not a cursor this list gave out")
        })?;
        Ok(Page { limit, before })
    }
}

const CURSOR_TAG: &str = "herald-cursor:";

/// Wraps the id a page ends at into an opaque cursor.
pub fn encode_cursor(id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_TAG}{id}"))
}

/// The id inside a cursor this API gave out.
fn decode_cursor(cursor: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    String::from_utf8(bytes).ok()?.strip_prefix(CURSOR_TAG).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        assert_eq!(decode_cursor(&encode_cursor("acc_1")).as_deref(), Some("acc_1"));
        assert_eq!(decode_cursor("garbage"), None);
        assert_eq!(decode_cursor("acc_1"), None);
    }
}
