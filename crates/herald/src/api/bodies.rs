//! The request bodies as the OpenAPI document shows them: each field the
//! handler reads (`Fields`), with its type and limits, and no other
//! (`additionalProperties: false`, since an unknown field is refused with
//! `422`), and no string with a NUL character (`contract.rs` says so of
//! every string field). The handlers read bodies field by field, to name each refusal's
//! JSON pointer; these types only describe them. The black-box contract
//! test (`tests/api/contract.rs`) holds the two together: every documented
//! field is read, and any other is refused.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

/// `POST /v1/accounts`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct NewAccountBody {
    /// The account's id, if the platform chooses it (else `acc_…`).
    #[schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9_-]+$")]
    id: Option<String>,
    /// A name for people: not blank.
    #[schema(min_length = 1, max_length = 256, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    name: String,
}

/// `POST …/events` (and each item of a batch).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct PublishBody {
    /// A type of the event catalog (`GET /v1/event-types`); the body is one
    /// of the catalog's types, each with its `data` schema.
    #[serde(rename = "type")]
    kind: String,
    /// The event's data, valid against its type's schema.
    data: BTreeMap<String, Value>,
}

/// `POST …/endpoints`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct NewEndpointBody {
    /// Where attempts are POSTed (`https://`, or `http://` in dev mode).
    url: String,
    /// A note for people.
    #[schema(max_length = 1024)]
    description: Option<String>,
    /// Types or `prefix.*` patterns it receives; null for every type.
    #[schema(min_items = 1, max_items = 100)]
    event_types: Option<Vec<String>>,
    /// Its signing secret (`whsec_…`), if the platform brings its own.
    #[schema(
        pattern = "^whsec_(?:(?:[A-Za-z0-9+/]{4}){8,21}(?:[A-Za-z0-9+/][AQgw]==)?|(?:[A-Za-z0-9+/]{4}){8,20}[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)$"
    )]
    secret: Option<String>,
    /// Deliveries per second at most; null for none.
    #[schema(minimum = 1, maximum = 10000)]
    rate_limit: Option<u32>,
    /// Headers sent with each attempt (reserved names refused).
    headers: Option<BTreeMap<String, String>>,
    /// A filter on the event's data (`data.balance <= 10`); null for none.
    #[schema(pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    filter: Option<String>,
    /// One delivery at a time, in publish order.
    ordered: Option<bool>,
}

/// `PATCH …/endpoints/{endpoint}`: any of the fields, each replacing what
/// the endpoint has. A field left out is left as it is; null removes a
/// setting that may be absent (`event_types`, `filter`, `rate_limit`,
/// `headers`) and leaves the others (`url`, `description`, `ordered`) as
/// they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct EndpointPatchBody {
    /// Where attempts are POSTed; null leaves it as it is.
    url: Option<String>,
    /// A note for people; `""` clears it, null leaves it as it is.
    #[schema(max_length = 1024)]
    description: Option<String>,
    /// Types or `prefix.*` patterns it receives; null for every type.
    #[schema(min_items = 1, max_items = 100)]
    event_types: Option<Vec<String>>,
    /// Deliveries per second at most; null for none.
    #[schema(minimum = 1, maximum = 10000)]
    rate_limit: Option<u32>,
    /// The whole set of custom headers; null or `{}` for none.
    headers: Option<BTreeMap<String, String>>,
    /// A filter on the event's data; null for none.
    #[schema(pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    filter: Option<String>,
    /// One delivery at a time, in publish order; null leaves it as it is.
    ordered: Option<bool>,
}

/// `POST …/endpoints/{endpoint}/enable`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct EnableBody {
    /// Give what it missed while disabled a fresh schedule now.
    redeliver_missed: Option<bool>,
}

/// `POST …/endpoints/{endpoint}/secret/rotate`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct RotateBody {
    /// How long the old secret still signs, in seconds (default a day).
    #[schema(minimum = 0, maximum = 2592000)]
    grace_seconds: Option<u64>,
    /// The new secret (`whsec_…`), if the platform brings its own.
    #[schema(
        pattern = "^whsec_(?:(?:[A-Za-z0-9+/]{4}){8,21}(?:[A-Za-z0-9+/][AQgw]==)?|(?:[A-Za-z0-9+/]{4}){8,20}[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)$"
    )]
    secret: Option<String>,
}

/// `POST …/endpoints/{endpoint}/recover`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct RecoverBody {
    /// The range's start (RFC 3339 with an offset).
    #[schema(format = DateTime)]
    since: String,
    /// The range's end (default: now).
    #[schema(format = DateTime)]
    until: Option<String>,
}

/// `POST …/endpoints/{endpoint}/test`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct TestEventBody {
    /// The catalog type whose example is sent.
    #[serde(rename = "type")]
    kind: String,
}

/// `POST …/portal-links`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct PortalLinkBody {
    /// How long the link may be used, in seconds (default 15 minutes).
    #[schema(minimum = 1, maximum = 86400)]
    expires_in_seconds: Option<u64>,
}

#[cfg(test)]
mod tests {
    use utoipa::PartialSchema;

    use super::*;
    use crate::api::{
        endpoint_fields::{MAX_DESCRIPTION, MAX_RATE_LIMIT},
        endpoints::MAX_GRACE_SECONDS,
        portal_links::MAX_LINK_SECONDS,
    };

    fn property<T: PartialSchema>(name: &str) -> serde_json::Value {
        let schema = serde_json::to_value(T::schema()).expect("a schema");
        schema["properties"][name].clone()
    }

    #[test]
    fn the_documented_limits_are_the_handlers_constants() {
        assert_eq!(property::<NewEndpointBody>("rate_limit")["maximum"], MAX_RATE_LIMIT);
        assert_eq!(property::<EndpointPatchBody>("rate_limit")["maximum"], MAX_RATE_LIMIT);
        assert_eq!(property::<NewEndpointBody>("description")["maxLength"], MAX_DESCRIPTION);
        assert_eq!(property::<RotateBody>("grace_seconds")["maximum"], MAX_GRACE_SECONDS);
        assert_eq!(property::<PortalLinkBody>("expires_in_seconds")["maximum"], MAX_LINK_SECONDS);
    }

    #[test]
    fn the_documented_secret_pattern_accepts_exactly_what_endpoint_secret_does() {
        use base64::{engine::general_purpose::STANDARD, Engine};

        use crate::domain::EndpointSecret;

        let pattern = property::<NewEndpointBody>("secret")["pattern"].as_str().expect("a pattern").to_owned();
        assert_eq!(property::<RotateBody>("secret")["pattern"], pattern.as_str());
        let pattern = regex::Regex::new(&pattern).expect("a regex");
        for len in 16..=72 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + len) as u8).collect();
            let canonical = format!("whsec_{}", STANDARD.encode(&bytes));
            // The last character before the padding with a trailing bit set: not canonical.
            let mut odd = canonical.clone().into_bytes();
            let at = canonical.trim_end_matches('=').len() - 1;
            odd[at] = if odd[at] == b'B' { b'C' } else { b'B' };
            for secret in [canonical, String::from_utf8(odd).expect("ASCII")] {
                let parsed = EndpointSecret::parse(&secret).is_ok();
                assert_eq!(pattern.is_match(&secret), parsed, "{len} bytes: {secret}");
            }
        }
    }

    #[test]
    fn unknown_fields_are_documented_as_refused() {
        let schema = serde_json::to_value(NewEndpointBody::schema()).expect("a schema");
        assert_eq!(schema["additionalProperties"], false, "{schema:#}");
    }
}
