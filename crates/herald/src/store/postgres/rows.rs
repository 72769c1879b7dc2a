//! Reading PostgreSQL rows back into domain records. The column types follow
//! `migrations/postgres`: `BIGINT` times, `INTEGER` counts, `BOOLEAN` flags.

use sqlx::{postgres::PgRow, Row};

use crate::{
    domain::{
        AccountId, AttemptError, DeliveryId, DeliveryStatus, EndpointId, EndpointUrl, EventId, EventType, Timestamp,
    },
    store::{Account, Attempt, Delivery, Endpoint, Sealer, SigningSecrets, StoreError, StoreResult, StoredEvent},
};

pub use crate::store::columns::{signing_secrets, type_filter, type_filter_json};

fn corrupt(what: &str, value: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {value}"))
}

/// An `INTEGER` column that holds a count or a number from 1.
fn count(row: &PgRow, column: &str) -> StoreResult<u32> {
    Ok(row.try_get::<i32, _>(column)?.try_into().unwrap_or(0))
}

/// An `INTEGER` column that may hold an HTTP status.
fn status_code(row: &PgRow, column: &str) -> StoreResult<Option<u16>> {
    Ok(row.try_get::<Option<i32>, _>(column)?.and_then(|s| s.try_into().ok()))
}

pub fn account(row: &PgRow) -> StoreResult<Account> {
    Ok(Account {
        id: AccountId::parse(row.try_get("id")?).map_err(|e| corrupt("account id", e))?,
        name: row.try_get("name")?,
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
    })
}

pub fn endpoint(row: &PgRow) -> StoreResult<Endpoint> {
    let url: String = row.try_get("url")?;
    Ok(Endpoint {
        id: EndpointId::from_trusted(row.try_get("id")?),
        account_id: AccountId::parse(row.try_get("account_id")?).map_err(|e| corrupt("account id", e))?,
        url: EndpointUrl::from_trusted(&url).ok_or_else(|| corrupt("url", &url))?,
        description: row.try_get("description")?,
        event_types: type_filter(row.try_get("event_types")?)?,
        enabled: row.try_get("enabled")?,
        disabled_reason: row.try_get("disabled_reason")?,
        disabled_at: row.try_get::<Option<i64>, _>("disabled_at")?.map(Timestamp::from_millis),
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
        updated_at: Timestamp::from_millis(row.try_get("updated_at")?),
    })
}

/// The secret columns of an endpoint row, opened.
pub fn secrets(row: &PgRow, sealer: &Sealer) -> StoreResult<SigningSecrets> {
    let (current, previous, until) =
        (row.try_get("secret")?, row.try_get("previous_secret")?, row.try_get("previous_expires_at")?);
    signing_secrets(sealer, current, previous, until)
}

pub fn event(row: &PgRow) -> StoreResult<StoredEvent> {
    let t: String = row.try_get("event_type")?;
    Ok(StoredEvent {
        id: EventId::from_trusted(row.try_get("id")?),
        event_type: EventType::parse(&t).map_err(|e| corrupt("event type", e))?,
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
        payload: row.try_get("payload")?,
    })
}

pub fn delivery(row: &PgRow) -> StoreResult<Delivery> {
    let status: String = row.try_get("status")?;
    Ok(Delivery {
        id: DeliveryId::from_trusted(row.try_get("id")?),
        account_id: AccountId::parse(row.try_get("account_id")?).map_err(|e| corrupt("account id", e))?,
        event_id: EventId::from_trusted(row.try_get("event_id")?),
        endpoint_id: EndpointId::from_trusted(row.try_get("endpoint_id")?),
        event_type: row.try_get("event_type")?,
        status: DeliveryStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        attempt_count: count(row, "attempt_count")?,
        next_attempt_at: row.try_get::<Option<i64>, _>("next_attempt_at")?.map(Timestamp::from_millis),
        last_response_status: status_code(row, "last_response_status")?,
        last_error: row.try_get::<Option<String>, _>("last_error")?.as_deref().and_then(AttemptError::parse),
        last_error_detail: row.try_get("last_error_detail")?,
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
        updated_at: Timestamp::from_millis(row.try_get("updated_at")?),
    })
}

pub fn attempt(row: &PgRow) -> StoreResult<Attempt> {
    Ok(Attempt {
        n: count(row, "n")?,
        started_at: Timestamp::from_millis(row.try_get("started_at")?),
        duration_ms: row.try_get::<i64, _>("duration_ms")?.try_into().unwrap_or(0),
        response_status: status_code(row, "response_status")?,
        error: row.try_get::<Option<String>, _>("error")?.as_deref().and_then(AttemptError::parse),
        error_detail: row.try_get("error_detail")?,
        response_body: row.try_get("response_body")?,
    })
}
