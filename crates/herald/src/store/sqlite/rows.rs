//! Reading rows back into domain records.

use sqlx::{sqlite::SqliteRow, Row};

use crate::{
    domain::{
        AccountId, AttemptError, DeliveryId, DeliveryStatus, EndpointId, EndpointUrl, EventId, EventType, Timestamp,
    },
    store::{Account, Attempt, Delivery, Endpoint, StoreError, StoreResult, StoredEvent},
};

pub use crate::store::columns::{type_filter, type_filter_json};

fn corrupt(what: &str, value: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {value}"))
}

pub fn account(row: &SqliteRow) -> StoreResult<Account> {
    Ok(Account {
        id: AccountId::parse(row.try_get("id")?).map_err(|e| corrupt("account id", e))?,
        name: row.try_get("name")?,
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
    })
}

pub fn endpoint(row: &SqliteRow) -> StoreResult<Endpoint> {
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

pub fn event(row: &SqliteRow) -> StoreResult<StoredEvent> {
    let t: String = row.try_get("event_type")?;
    Ok(StoredEvent {
        id: EventId::from_trusted(row.try_get("id")?),
        event_type: EventType::parse(&t).map_err(|e| corrupt("event type", e))?,
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
        payload: row.try_get("payload")?,
    })
}

pub fn delivery(row: &SqliteRow) -> StoreResult<Delivery> {
    let status: String = row.try_get("status")?;
    Ok(Delivery {
        id: DeliveryId::from_trusted(row.try_get("id")?),
        account_id: AccountId::parse(row.try_get("account_id")?).map_err(|e| corrupt("account id", e))?,
        event_id: EventId::from_trusted(row.try_get("event_id")?),
        endpoint_id: EndpointId::from_trusted(row.try_get("endpoint_id")?),
        event_type: row.try_get("event_type")?,
        status: DeliveryStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        attempt_count: row.try_get::<i64, _>("attempt_count")?.try_into().unwrap_or(0),
        next_attempt_at: row.try_get::<Option<i64>, _>("next_attempt_at")?.map(Timestamp::from_millis),
        last_response_status: row.try_get::<Option<i64>, _>("last_response_status")?.and_then(|s| s.try_into().ok()),
        last_error: row.try_get::<Option<String>, _>("last_error")?.as_deref().and_then(AttemptError::parse),
        last_error_detail: row.try_get("last_error_detail")?,
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
        updated_at: Timestamp::from_millis(row.try_get("updated_at")?),
    })
}

pub fn attempt(row: &SqliteRow) -> StoreResult<Attempt> {
    Ok(Attempt {
        n: row.try_get::<i64, _>("n")?.try_into().unwrap_or(0),
        started_at: Timestamp::from_millis(row.try_get("started_at")?),
        duration_ms: row.try_get::<i64, _>("duration_ms")?.try_into().unwrap_or(0),
        response_status: row.try_get::<Option<i64>, _>("response_status")?.and_then(|s| s.try_into().ok()),
        error: row.try_get::<Option<String>, _>("error")?.as_deref().and_then(AttemptError::parse),
        error_detail: row.try_get("error_detail")?,
        response_body: row.try_get("response_body")?,
    })
}
