//! Query strings: pagination (`limit`, `cursor`) and list filters, parsed
//! with a 400 naming the parameter at fault.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;

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

    /// `limit` and `cursor`. A cursor is the id of the last item of the
    /// page before it (that page's `next_cursor`), one of the kind `parse`
    /// accepts: the list goes on after that position. Any such id is a
    /// position, including one of another account or one that names nothing;
    /// the list is the caller's own either way, so a position shows nothing
    /// of anyone else's (as `after=` in polling).
    pub fn page<T: ToString, E: std::fmt::Display>(
        &self,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Page, ApiError> {
        let limit = self.limit()?;
        let before = self.parsed("cursor", |v| parse(v).map(|id| id.to_string()))?;
        Ok(Page { limit, before })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountId, EventId};

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
    }

    #[test]
    fn a_cursor_is_an_id_of_the_list_kind_written_as_the_store_writes_it() {
        let id = EventId::generate();
        let given = params(&[("cursor", id.as_str())]).page(EventId::parse).unwrap();
        assert_eq!(given.before.as_deref(), Some(id.as_str()));
        let lowered = format!("evt_{}", id.as_str()["evt_".len()..].to_lowercase());
        let normalised = params(&[("cursor", &lowered)]).page(EventId::parse).unwrap();
        assert_eq!(normalised.before.as_deref(), Some(id.as_str()));
        assert_eq!(params(&[]).page(EventId::parse).unwrap().before, None);
        assert_eq!(params(&[("cursor", "")]).page(EventId::parse).unwrap().before, None);
    }

    #[test]
    fn anything_else_is_refused_naming_the_cursor() {
        for bad in ["garbage", "ep_01JQ8Z6X3M0000000000000000", "evt_123", "aGVyYWxkLWN1cnNvcjo"] {
            let refused = params(&[("cursor", bad)]).page(EventId::parse).unwrap_err();
            assert!(
                matches!(&refused, ApiError::BadRequest { errors, .. } if errors[0].parameter.as_deref() == Some("cursor")),
                "{bad}: {refused:?}"
            );
        }
        assert!(params(&[("cursor", "acme")]).page(AccountId::parse).is_ok());
        assert!(params(&[("cursor", "a/b")]).page(AccountId::parse).is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_answered_without_panicking(cursor in ".*") {
            let _ = params(&[("cursor", &cursor)]).page(EventId::parse);
            let _ = params(&[("cursor", &cursor)]).page(AccountId::parse);
        }
    }
}
