//! Column encodings both engines share: how a value that has no SQL type of
//! its own is written to a `TEXT` column and read back, how endpoint
//! secrets are opened on the way out, and how the delivery's state machine
//! (`domain/transition.rs`) is read from and written to its columns.

use crate::{
    domain::{
        transition::{Missed, Resume},
        ContentFilter, CustomHeaders, DeliveryStatus, Subscription, Timestamp, TypeFilter, TypePattern,
    },
    store::{Sealer, SigningSecrets, StoreError, StoreResult},
};

/// A delivery's stored resume point (`resume_status`, `resume_next_attempt_at`).
pub fn resume(status: Option<String>, next_attempt_at: Option<i64>) -> Option<Resume> {
    let status = DeliveryStatus::parse(status.as_deref()?)?;
    Some(Resume { status, next_attempt_at: next_attempt_at.map(Timestamp::from_millis) })
}

/// The `missed` column's new value, or `None` to keep it (`COALESCE(?, missed)`).
pub fn missed(missed: Missed) -> Option<bool> {
    match missed {
        Missed::Clear => Some(false),
        Missed::Set => Some(true),
        Missed::Keep => None,
    }
}

/// What a [`Delivery`](crate::store::Delivery) is read from, the same on both
/// engines, after `SELECT` or `RETURNING`: the row and its last attempt's
/// error, which the delivery log shows without opening each delivery.
pub const DELIVERY_COLUMNS: &str = "deliveries.*,
    (SELECT a.error FROM attempts a WHERE a.delivery_id = deliveries.id ORDER BY a.n DESC LIMIT 1) AS last_error,
    (SELECT a.error_detail FROM attempts a WHERE a.delivery_id = deliveries.id ORDER BY a.n DESC LIMIT 1)
        AS last_error_detail";

/// Reads the secret columns (`secret`, `previous_secret`, `previous_expires_at`),
/// opening what the sealer sealed.
pub fn signing_secrets(
    sealer: &Sealer,
    current: String,
    previous: Option<String>,
    until: Option<i64>,
) -> StoreResult<SigningSecrets> {
    let previous = match previous.zip(until) {
        Some((secret, until)) => Some((sealer.open(&secret)?, Timestamp::from_millis(until))),
        None => None,
    };
    Ok(SigningSecrets { current: sealer.open(&current)?, previous })
}

/// Opens a stored `headers` column: sealed JSON, `NULL` for none.
pub fn custom_headers(sealer: &Sealer, sealed: Option<&str>) -> StoreResult<CustomHeaders> {
    let Some(sealed) = sealed else {
        return Ok(CustomHeaders::default());
    };
    CustomHeaders::from_json(&sealer.open(sealed)?)
        .ok_or_else(|| StoreError::Corrupt("headers: not a JSON object of strings".into()))
}

/// The `headers` column of `headers`: sealed JSON, `NULL` for none.
pub fn sealed_headers(sealer: &Sealer, headers: &CustomHeaders) -> StoreResult<Option<String>> {
    Ok(headers.to_json().map(|json| sealer.seal(&json)).transpose()?)
}

/// The `header_names` column of `headers`: a JSON array, `NULL` for none.
pub fn header_names_json(headers: &CustomHeaders) -> Option<String> {
    (!headers.is_empty()).then(|| serde_json::Value::from(headers.names()).to_string())
}

/// Reads a stored `header_names` column: a JSON array, `NULL` for none.
pub fn header_names(json: Option<String>) -> StoreResult<Vec<String>> {
    let Some(json) = json else {
        return Ok(Vec::new());
    };
    serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("header_names: {e}")))
}

/// Reads a stored `content_filter` column: the filter's text, `NULL` for none.
pub fn content_filter(text: Option<String>) -> StoreResult<Option<ContentFilter>> {
    text.map(|t| ContentFilter::parse(&t).map_err(|e| StoreError::Corrupt(format!("content_filter `{t}`: {e}"))))
        .transpose()
}

/// What an endpoint receives, from its `event_types` and `content_filter` columns.
pub fn subscription(types: Option<String>, filter: Option<String>) -> StoreResult<Subscription> {
    Ok(Subscription { types: type_filter(types)?, content: content_filter(filter)? })
}

/// Reads a stored `event_types` column: a JSON array of patterns, `NULL` for every type.
pub fn type_filter(json: Option<String>) -> StoreResult<TypeFilter> {
    let Some(json) = json else {
        return Ok(TypeFilter::all());
    };
    let corrupt = |e: &dyn std::fmt::Display| StoreError::Corrupt(format!("event_types: {e}"));
    let raw: Vec<String> = serde_json::from_str(&json).map_err(|e| corrupt(&e))?;
    let patterns =
        raw.iter().map(|p| TypePattern::parse(p).map_err(|e| corrupt(&e))).collect::<StoreResult<Vec<_>>>()?;
    Ok(TypeFilter::of(patterns))
}

/// Writes an `event_types` column.
pub fn type_filter_json(filter: &TypeFilter) -> Option<String> {
    filter
        .patterns()
        .map(|ps| serde_json::to_string(&ps.iter().map(TypePattern::as_str).collect::<Vec<_>>()).unwrap_or_default())
}
