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

    /// `limit` (1 to 500, default 50). Given empty, it is refused rather
    /// than read as absent: the document says it is an integer.
    pub fn limit(&self) -> Result<u32, ApiError> {
        if self.0.get("limit").is_some_and(String::is_empty) {
            return Err(ApiError::bad_parameter("limit", "must be a whole number from 1 to 500, not empty"));
        }
        let limit = self
            .parsed("limit", |v| v.parse::<u32>().map_err(|_| "must be a whole number"))?
            .unwrap_or(Self::DEFAULT_LIMIT);
        if !(1..=Self::MAX_LIMIT).contains(&limit) {
            return Err(ApiError::bad_parameter("limit", format!("must be between 1 and {}", Self::MAX_LIMIT)));
        }
        Ok(limit)
    }

    /// `limit` and `cursor`; the cursor must be one that the list named
    /// `scope` gave out, and hold an id that `check` accepts.
    pub fn page<T, E>(&self, scope: &str, check: impl FnOnce(&str) -> Result<T, E>) -> Result<Page, ApiError> {
        let limit = self.limit()?;
        let before = self.parsed("cursor", |v| {
            decode_cursor(v, scope).filter(|id| check(id).is_ok()).ok_or("is not a cursor this list gave out")
        })?;
        Ok(Page { limit, before })
    }
}

const CURSOR_TAG: &str = "herald-cursor:";

/// The longest cursor read; Herald's own are far shorter.
pub const MAX_CURSOR_LEN: usize = 512;

/// Wraps the id a page ends at into an opaque cursor, bound to the list it
/// came from (`scope`: `accounts`, or `<account>/<list>`), so that it pages
/// that list only: another account's cursor is refused, not followed.
pub fn encode_cursor(scope: &str, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_TAG}{scope}:{id}"))
}

/// The id inside a cursor that the list named `scope` gave out; `None` for
/// anything else. Never panics, whatever the text.
pub fn decode_cursor(cursor: &str, scope: &str) -> Option<String> {
    if cursor.len() > MAX_CURSOR_LEN {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix(CURSOR_TAG)?.strip_prefix(scope)?.strip_prefix(':').map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        let cursor = encode_cursor("acc_1/endpoints", "ep_1");
        assert_eq!(decode_cursor(&cursor, "acc_1/endpoints").as_deref(), Some("ep_1"));
        assert_eq!(decode_cursor(&cursor, "acc_2/endpoints"), None);
        assert_eq!(decode_cursor(&cursor, "acc_1/events"), None);
        assert_eq!(decode_cursor(&cursor, "acc_1"), None);
        assert_eq!(decode_cursor("garbage", "accounts"), None);
        assert_eq!(decode_cursor("acc_1", "accounts"), None);
        assert_eq!(decode_cursor(&"A".repeat(MAX_CURSOR_LEN + 4), "accounts"), None);
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_answered_without_panicking(cursor in ".*", scope in ".{0,20}") {
            let _ = decode_cursor(&cursor, &scope);
        }

        #[test]
        fn base64_of_anything_is_answered_without_panicking(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600),
        ) {
            let _ = decode_cursor(&URL_SAFE_NO_PAD.encode(bytes), "accounts");
        }

        #[test]
        fn a_cursor_gives_back_its_id_to_its_own_list_only(
            account in "[A-Za-z0-9_-]{1,64}",
            other in "[A-Za-z0-9_-]{1,64}",
            list in "(events|endpoints|deliveries)",
            id in "[ -~]{0,40}",
        ) {
            let scope = format!("{account}/{list}");
            let cursor = encode_cursor(&scope, &id);
            proptest::prop_assert_eq!(decode_cursor(&cursor, &scope), Some(id));
            if other != account {
                proptest::prop_assert_eq!(decode_cursor(&cursor, &format!("{other}/{list}")), None);
            }
            proptest::prop_assert_eq!(decode_cursor(&cursor, "accounts"), None);
        }
    }
}
