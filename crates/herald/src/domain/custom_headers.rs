//! An endpoint's custom headers, sent with each of its attempts for a
//! receiver behind a gateway (`Authorization`, an API key): parsed names and
//! values, none of them a header Herald sets or HTTP reserves, within limits.

use serde_json::{Map, Value};

/// Headers added to every attempt of an endpoint, in the order given.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CustomHeaders(Vec<(String, String)>);

/// One refused header: the JSON pointer below `/headers` and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderError {
    /// `headers/<name>` (escaped as a JSON pointer), or `headers` for the whole set.
    pub key: String,
    /// Why.
    pub message: String,
}

impl CustomHeaders {
    /// The most headers an endpoint may have.
    pub const MAX_COUNT: usize = 20;
    /// The longest name.
    pub const MAX_NAME: usize = 64;
    /// The longest value.
    pub const MAX_VALUE: usize = 4096;
    /// The most bytes of names and values together.
    pub const MAX_TOTAL: usize = 16 * 1024;
    /// Names refused (lower case): headers Herald or HTTP itself sets.
    pub const RESERVED_NAMES: &'static [&'static str] = &RESERVED;
    /// Prefixes refused (lower case): the body's and the signature's headers.
    pub const RESERVED_PREFIXES: &'static [&'static str] = &RESERVED_PREFIXES;

    /// Parses a JSON object of names to string values; every problem, each
    /// at its pointer.
    pub fn parse(object: &Map<String, Value>) -> Result<Self, Vec<HeaderError>> {
        let mut errors = Vec::new();
        let whole = |message: String| HeaderError { key: "headers".into(), message };
        if object.len() > Self::MAX_COUNT {
            errors.push(whole(format!("may hold at most {} headers, not {}", Self::MAX_COUNT, object.len())));
        }
        let total: usize = object.iter().map(|(n, v)| n.len() + v.as_str().map_or(0, str::len)).sum();
        if total > Self::MAX_TOTAL {
            errors.push(whole(format!("may hold at most {} bytes of names and values, not {total}", Self::MAX_TOTAL)));
        }
        let mut headers = Vec::with_capacity(object.len());
        let mut seen: Vec<String> = Vec::new();
        for (name, value) in object {
            let key = format!("headers/{}", name.replace('~', "~0").replace('/', "~1"));
            let refuse = |message: String| HeaderError { key: key.clone(), message };
            if let Err(why) = check_name(name) {
                errors.push(refuse(why));
                continue;
            }
            let lower = name.to_ascii_lowercase();
            if seen.contains(&lower) {
                errors.push(refuse("is given twice (header names are case-insensitive)".into()));
                continue;
            }
            seen.push(lower);
            let Some(text) = value.as_str() else {
                errors.push(refuse("must be a string".into()));
                continue;
            };
            if let Err(why) = check_value(text) {
                errors.push(refuse(why));
                continue;
            }
            headers.push((name.clone(), text.to_owned()));
        }
        if errors.is_empty() {
            Ok(Self(headers))
        } else {
            Err(errors)
        }
    }

    /// The headers as stored: a JSON object, or `None` when there are none.
    pub fn to_json(&self) -> Option<String> {
        if self.0.is_empty() {
            return None;
        }
        let object: Map<String, Value> = self.0.iter().map(|(n, v)| (n.clone(), Value::String(v.clone()))).collect();
        Some(Value::Object(object).to_string())
    }

    /// The headers from what [`to_json`](Self::to_json) stored; `None` if it does not read back.
    pub fn from_json(stored: &str) -> Option<Self> {
        let Value::Object(object) = serde_json::from_str(stored).ok()? else {
            return None;
        };
        let headers = object.into_iter().map(|(n, v)| v.as_str().map(|v| (n, v.to_owned()))).collect::<Option<_>>()?;
        Some(Self(headers))
    }

    /// The names, in order.
    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|(n, _)| n.clone()).collect()
    }

    /// Each name and value, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for CustomHeaders {
    /// Names only: values are credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("CustomHeaders").field(&self.names()).finish()
    }
}

/// Names Herald sets, or that HTTP keeps for the connection itself.
const RESERVED: [&str; 13] = [
    "host",
    "user-agent",
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "expect",
];
/// Prefixes of names Herald sets: the body's description and the signature's headers.
const RESERVED_PREFIXES: [&str; 3] = ["content-", "x-webhook-", "webhook-"];

fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a header name must not be empty".into());
    }
    if name.len() > CustomHeaders::MAX_NAME {
        return Err(format!("a header name may be at most {} characters", CustomHeaders::MAX_NAME));
    }
    // RFC 9110's token.
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if !name.chars().all(token) {
        return Err("is not a header name: use letters, digits and - (RFC 9110 token characters)".into());
    }
    let lower = name.to_ascii_lowercase();
    if RESERVED.contains(&lower.as_str()) {
        return Err(format!("`{name}` is set by Herald or by HTTP itself and cannot be replaced"));
    }
    if let Some(prefix) = RESERVED_PREFIXES.iter().find(|p| lower.starts_with(**p)) {
        return Err(format!(
            "`{name}` is reserved: Herald sets the {prefix}* headers (the body's description and the signature)"
        ));
    }
    Ok(())
}

fn check_value(value: &str) -> Result<(), String> {
    if value.len() > CustomHeaders::MAX_VALUE {
        return Err(format!("a header value may be at most {} bytes", CustomHeaders::MAX_VALUE));
    }
    // Visible ASCII, spaces and tabs: no line breaks (header injection), no controls.
    if !value.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b)) {
        return Err("a header value may hold only visible ASCII characters, spaces and tabs".into());
    }
    if value.trim() != value {
        return Err("a header value must not begin or end with spaces".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(value: Value) -> Result<CustomHeaders, Vec<HeaderError>> {
        CustomHeaders::parse(value.as_object().expect("an object"))
    }

    fn refused_at(value: Value) -> Vec<String> {
        parse(value).expect_err("refused").into_iter().map(|e| e.key).collect()
    }

    #[test]
    fn gateway_headers_are_kept_in_order_and_round_trip() {
        let headers = parse(json!({"Authorization": "Bearer abc.def", "X-Api-Key": "k1"})).unwrap();
        assert_eq!(headers.names(), ["Authorization", "X-Api-Key"]);
        let stored = headers.to_json().unwrap();
        assert_eq!(CustomHeaders::from_json(&stored), Some(headers));
        assert_eq!(parse(json!({})).unwrap().to_json(), None);
    }

    #[test]
    fn reserved_names_are_refused_whatever_their_case() {
        for name in [
            "Host",
            "content-type",
            "Content-Length",
            "X-Webhook-Signature",
            "x-webhook-anything",
            "webhook-id",
            "Webhook-Signature",
            "Connection",
            "Transfer-Encoding",
            "Upgrade",
            "TE",
            "User-Agent",
        ] {
            assert_eq!(refused_at(json!({ name: "x" })), [format!("headers/{name}")], "{name}");
        }
    }

    #[test]
    fn bad_names_values_and_sizes_are_refused_at_their_pointer() {
        assert_eq!(refused_at(json!({"Bad Name": "x"})), ["headers/Bad Name"]);
        assert_eq!(refused_at(json!({"a/b": "x"})), ["headers/a~1b"]);
        assert_eq!(refused_at(json!({"X-Ok": "line\r\nInjected: yes"})), ["headers/X-Ok"]);
        assert_eq!(refused_at(json!({"X-Ok": 5})), ["headers/X-Ok"]);
        assert_eq!(refused_at(json!({"X-Ok": "é"})), ["headers/X-Ok"]);
        assert_eq!(refused_at(json!({"X-A": "1", "x-a": "2"})), ["headers/x-a"]);
        assert_eq!(refused_at(json!({"X-Long": "v".repeat(4097)})), ["headers/X-Long"]);
        assert_eq!(refused_at(json!({ "X".repeat(65): "v" })), [format!("headers/{}", "X".repeat(65))]);
        let many: Map<String, Value> = (0..21).map(|i| (format!("X-H{i}"), json!("v"))).collect();
        assert_eq!(refused_at(Value::Object(many)), ["headers"]);
        let big: Map<String, Value> = (0..5).map(|i| (format!("X-H{i}"), json!("v".repeat(4000)))).collect();
        assert_eq!(refused_at(Value::Object(big)), ["headers"]);
    }
}
