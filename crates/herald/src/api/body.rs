//! Request bodies: read with a size limit, checked for nesting depth, parsed
//! as JSON, and picked apart field by field so that every refusal names its
//! JSON pointer.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
};
use serde_json::{Map, Value};

use crate::web::BodyTimedOut;

use super::{
    depth::{too_deep, MAX_DEPTH},
    error::{ApiError, FieldError},
};

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A request body that is well-formed JSON (an empty body reads as `{}`).
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(MAX_BODY_BYTES)
            } else if let Some(BodyTimedOut(within)) = BodyTimedOut::in_chain(&e) {
                ApiError::RequestTimeout(*within)
            } else {
                ApiError::BadRequest { detail: format!("the request body could not be read: {e}"), errors: vec![] }
            }
        })?;
        parse_json(&bytes).map(Self)
    }
}

/// A request body's bytes as JSON: blank reads as `{}`; nesting deeper than
/// [`MAX_DEPTH`] is refused (400, at the pointer where it goes too deep)
/// before the parser recurses; malformed JSON is a 400. Never panics.
pub fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    if let Some(pointer) = too_deep(bytes, MAX_DEPTH) {
        let message = format!("nests arrays and objects deeper than {MAX_DEPTH} levels");
        return Err(ApiError::BadRequest {
            detail: format!("the request body {message} (at `{pointer}`)"),
            errors: vec![FieldError::at(pointer, message)],
        });
    }
    serde_json::from_slice(bytes).map_err(|e| ApiError::BadRequest {
        detail: format!("the request body is not valid JSON: {e}"),
        errors: vec![FieldError::at("", format!("not valid JSON: {e}"))],
    })
}

/// Reads the fields of one JSON object, collecting every problem before answering.
pub struct Fields<'a> {
    /// The object's own pointer (`""` at the top, `/3` in a batch).
    base: String,
    /// The object, if the value was one.
    map: Option<&'a Map<String, Value>>,
    /// Keys read so far; anything else is an unknown field.
    known: Vec<&'static str>,
    /// Problems found so far.
    errors: Vec<FieldError>,
}

impl<'a> Fields<'a> {
    /// Starts reading `value`, which must be an object, found at `base`.
    pub fn new(value: &'a Value, base: impl Into<String>) -> Self {
        let base = base.into();
        let mut errors = Vec::new();
        let map = value.as_object();
        if map.is_none() {
            errors.push(FieldError::at(base.clone(), format!("must be a JSON object, not {}", kind(value))));
        }
        Self { base, map, known: Vec::new(), errors }
    }

    /// The pointer of a field of this object.
    pub fn pointer(&self, key: &str) -> String {
        format!("{}/{key}", self.base)
    }

    /// Records a problem with a field.
    pub fn error(&mut self, key: &str, message: impl Into<String>) {
        let pointer = self.pointer(key);
        self.errors.push(FieldError::at(pointer, message));
    }

    /// Records a problem found by a nested reader.
    pub fn extend(&mut self, errors: Vec<FieldError>) {
        self.errors.extend(errors);
    }

    /// The raw value of a field; `None` when absent.
    pub fn raw(&mut self, key: &'static str) -> Option<&'a Value> {
        self.known.push(key);
        self.map.and_then(|m| m.get(key))
    }

    /// A required field of any JSON type.
    pub fn required(&mut self, key: &'static str) -> Option<&'a Value> {
        let value = self.raw(key);
        if value.is_none() && self.map.is_some() {
            self.error(key, "is required");
        }
        value
    }

    /// A required string.
    pub fn required_str(&mut self, key: &'static str) -> Option<&'a str> {
        let value = self.required(key)?;
        self.expect_str(key, value)
    }

    /// A string that may be absent (null counts as absent).
    pub fn optional_str(&mut self, key: &'static str) -> Option<&'a str> {
        match self.raw(key) {
            None | Some(Value::Null) => None,
            Some(value) => self.expect_str(key, value),
        }
    }

    /// A boolean that may be absent.
    pub fn optional_bool(&mut self, key: &'static str) -> Option<bool> {
        match self.raw(key) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(other) => {
                self.error(key, format!("must be true or false, not {}", kind(other)));
                None
            }
        }
    }

    /// A non-negative integer that may be absent.
    pub fn optional_u64(&mut self, key: &'static str) -> Option<u64> {
        match self.raw(key) {
            None | Some(Value::Null) => None,
            Some(value) => match whole_number(value) {
                Some(n) => Some(n),
                None => {
                    self.error(key, format!("must be a non-negative integer, not {}", kind(value)));
                    None
                }
            },
        }
    }

    fn expect_str(&mut self, key: &str, value: &'a Value) -> Option<&'a str> {
        match value {
            // PostgreSQL text cannot hold NUL, and no name, URL or note needs one.
            Value::String(s) if s.contains('\0') => {
                self.error(key, "must not contain NUL characters");
                None
            }
            Value::String(s) => Some(s),
            other => {
                self.error(key, format!("must be a string, not {}", kind(other)));
                None
            }
        }
    }

    /// Ends reading: unknown fields are refused, and every problem is returned.
    pub fn finish(mut self) -> Result<(), Vec<FieldError>> {
        if let Some(map) = self.map {
            let unknown: Vec<String> = map.keys().filter(|k| !self.known.contains(&k.as_str())).cloned().collect();
            for key in unknown {
                self.error(&key, "is not a known field");
            }
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}

/// A JSON number that is a non-negative whole number, as JSON Schema's
/// `integer` counts them: `5` and `5.0` alike (a generated client may send
/// either), up to 2^53.
pub fn whole_number(value: &Value) -> Option<u64> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: every whole number up to it is exact
    value.as_u64().or_else(|| {
        let n = value.as_f64()?;
        (n.fract() == 0.0 && (0.0..=EXACT).contains(&n)).then_some(n as u64)
    })
}

/// "a string", "an array", … for messages.
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_whole_number_may_be_written_with_a_zero_fraction() {
        assert_eq!(whole_number(&json!(5)), Some(5));
        assert_eq!(whole_number(&json!(2793.0)), Some(2793));
        assert_eq!(whole_number(&json!(2.5)), None);
        assert_eq!(whole_number(&json!(-1)), None);
        assert_eq!(whole_number(&json!(1e300)), None);
        assert_eq!(whole_number(&json!("5")), None);
    }

    #[test]
    fn every_problem_is_reported_with_its_pointer() {
        let body = json!({"url": 5, "extra": true});
        let mut f = Fields::new(&body, "/2");
        f.required_str("url");
        f.required_str("name");
        let errors = f.finish().unwrap_err();
        let pointers: Vec<_> = errors.iter().map(|e| e.pointer.clone().unwrap()).collect();
        assert_eq!(pointers, ["/2/url", "/2/name", "/2/extra"]);
    }

    #[test]
    fn strings_with_nul_characters_are_refused() {
        let body = json!({"name": "a\u{0}b"});
        let mut f = Fields::new(&body, "");
        assert_eq!(f.required_str("name"), None);
        assert_eq!(f.finish().unwrap_err()[0].message, "must not contain NUL characters");
    }

    #[test]
    fn a_non_object_is_refused_at_its_own_pointer() {
        let errors = Fields::new(&json!([1]), "").finish().unwrap_err();
        assert_eq!(errors[0].pointer.as_deref(), Some(""));
    }
}
