//! The fields of an endpoint as the API takes them (create and `PATCH`):
//! each parsed into its domain type, every refusal at its field's pointer.

use serde_json::Value;

use super::{
    body::{kind, whole_number, Fields},
    AppState,
};
use crate::domain::{
    AccountId, ContentFilter, CustomHeaders, EndpointSecret, EndpointUrl, EventType, TypeFilter, TypePattern,
};

/// The longest description accepted.
pub const MAX_DESCRIPTION: usize = 1024;
/// The highest cap on an endpoint's deliveries per second.
pub const MAX_RATE_LIMIT: u32 = 10_000;

/// Parses `event_types`: null for every type, else a non-empty list of known
/// types or `prefix.*` patterns.
pub fn parse_type_filter(
    state: &AppState,
    account: &AccountId,
    f: &mut Fields<'_>,
    value: &Value,
) -> Option<TypeFilter> {
    let catalog = state.catalog_for(account);
    let items = match value {
        Value::Null => return Some(TypeFilter::all()),
        Value::Array(items) => items,
        other => {
            f.error("event_types", format!("must be null or an array of event types, not {}", kind(other)));
            return None;
        }
    };
    if items.is_empty() {
        // An endpoint subscribed to nothing would receive nothing, silently.
        f.error(
            "event_types",
            "must list at least one event type or `prefix.*` pattern; for every type, send null \
             (or leave the field out when creating the endpoint)",
        );
        return None;
    }
    if items.len() > TypeFilter::MAX_PATTERNS {
        f.error("event_types", format!("may list at most {} types", TypeFilter::MAX_PATTERNS));
        return None;
    }
    let mut patterns = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let key = format!("event_types/{i}");
        let Some(text) = item.as_str() else {
            f.error(&key, format!("must be a string, not {}", kind(item)));
            continue;
        };
        match TypePattern::parse(text) {
            Err(e) => f.error(&key, e.to_string()),
            Ok(p) => {
                let exact = EventType::parse(text).ok();
                if exact.is_some_and(|t| catalog.get(&t).is_none()) {
                    f.error(&key, unknown_type(account, text));
                } else {
                    patterns.push(p);
                }
            }
        }
    }
    Some(TypeFilter::of(patterns))
}

/// Why `text` is no type for `account`'s endpoints.
pub fn unknown_type(account: &AccountId, text: &str) -> String {
    if account.is_operational() {
        format!(
            "`{text}` is not an operational event type: the herald account's endpoints receive endpoint.disabled, \
             endpoint.gone and endpoint.enabled only"
        )
    } else {
        format!("`{text}` is not in the event catalog (GET /v1/event-types)")
    }
}

pub fn parse_url(state: &AppState, f: &mut Fields<'_>, raw: &str) -> Option<EndpointUrl> {
    EndpointUrl::parse(raw, &state.config.target_policy()).map_err(|e| f.error("url", e.to_string())).ok()
}

/// The caller's `secret` if given (in Herald's own form), else a fresh one.
pub fn parse_secret(f: &mut Fields<'_>) -> Option<EndpointSecret> {
    match f.optional_str("secret") {
        None => Some(EndpointSecret::generate()),
        Some(raw) => EndpointSecret::parse(raw).map_err(|e| f.error("secret", e.to_string())).ok(),
    }
}

pub fn parse_description(f: &mut Fields<'_>, raw: &str) -> Option<String> {
    if raw.chars().count() > MAX_DESCRIPTION {
        f.error("description", format!("must be at most {MAX_DESCRIPTION} characters"));
        return None;
    }
    Some(raw.to_owned())
}

/// `rate_limit`: null for no cap, else deliveries per second; `None` when refused.
pub fn parse_rate_limit(f: &mut Fields<'_>, value: &Value) -> Option<Option<u32>> {
    if value.is_null() {
        return Some(None);
    }
    match whole_number(value).and_then(|n| u32::try_from(n).ok()) {
        Some(n) if (1..=MAX_RATE_LIMIT).contains(&n) => Some(Some(n)),
        _ => {
            f.error(
                "rate_limit",
                format!(
                    "must be null (no limit) or a whole number of deliveries per second from 1 to {MAX_RATE_LIMIT}, not {value}"
                ),
            );
            None
        }
    }
}

/// `headers`: an object of header names to values, or null for none; `None` when refused.
pub fn parse_headers(f: &mut Fields<'_>, value: &Value) -> Option<CustomHeaders> {
    match value {
        Value::Null => Some(CustomHeaders::default()),
        Value::Object(object) => match CustomHeaders::parse(object) {
            Ok(headers) => Some(headers),
            Err(errors) => {
                for e in errors {
                    f.error(&e.key, e.message);
                }
                None
            }
        },
        other => {
            f.error("headers", format!("must be an object of header names to values, or null, not {}", kind(other)));
            None
        }
    }
}

/// `filter`: a filter on content such as `data.balance <= 10`, or null for
/// none; `None` when refused.
pub fn parse_filter(f: &mut Fields<'_>, value: &Value) -> Option<Option<ContentFilter>> {
    match value {
        Value::Null => Some(None),
        Value::String(text) => match ContentFilter::parse(text) {
            Ok(filter) => Some(Some(filter)),
            Err(e) => {
                f.error("filter", e.to_string());
                None
            }
        },
        other => {
            f.error("filter", format!("must be a filter such as data.balance <= 10, or null, not {}", kind(other)));
            None
        }
    }
}

/// Refuses at `filter` each field it reads that no type of the account's
/// catalog has in its schema: a misspelt field is caught, whatever the
/// endpoint's types (so the rule depends on the filter alone, as the
/// OpenAPI document can say; a field of types the endpoint does not
/// receive simply never matches).
pub fn check_filter(state: &AppState, account: &AccountId, f: &mut Fields<'_>, filter: &ContentFilter) {
    let catalog = state.catalog_for(account);
    for path in filter.fields() {
        if !catalog.knows_field(&path) {
            f.error(
                "filter",
                format!(
                    "`data.{}` is not a field of any event type of the catalog (their schemas are at GET /v1/event-types)",
                    path.join(".")
                ),
            );
        }
    }
}
