//! Reading rows back into domain records, the same on both engines: times
//! are `BIGINT` milliseconds, counts and HTTP statuses `INTEGER`s (read as
//! `i32`, which both engines give), flags booleans, payloads bytes.

use sqlx::Row;

use super::{bounds::Col, dialect::Sql};
use crate::{
    domain::{
        AccountId, AttemptError, DeliveryId, DeliveryStatus, DisabledCause, EndpointId, EndpointUrl, EventId,
        EventType, Timestamp,
    },
    store::{
        columns,
        target::{Due, Target},
        Account, Attempt, Delivery, Endpoint, Sealer, SigningSecrets, StoreError, StoreResult, StoredEvent,
    },
};

fn corrupt(what: &str, value: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {value}"))
}

/// An `INTEGER` column that holds a count or a number from 1.
fn count<R: Row<Database: Sql>>(row: &R, column: &str) -> StoreResult<u32> {
    Ok(row.col::<i32>(column)?.try_into().unwrap_or(0))
}

/// An `INTEGER` column that may hold an HTTP status.
fn status_code<R: Row<Database: Sql>>(row: &R, column: &str) -> StoreResult<Option<u16>> {
    Ok(row.col::<Option<i32>>(column)?.and_then(|s| s.try_into().ok()))
}

/// A `BIGINT` column of milliseconds.
fn time<R: Row<Database: Sql>>(row: &R, column: &str) -> StoreResult<Timestamp> {
    Ok(Timestamp::from_millis(row.col(column)?))
}

/// An account id column.
pub fn account_id<R: Row<Database: Sql>>(row: &R, column: &str) -> StoreResult<AccountId> {
    AccountId::parse(&row.col::<String>(column)?).map_err(|e| corrupt("account id", e))
}

/// An account row.
pub fn account<R: Row<Database: Sql>>(row: &R) -> StoreResult<Account> {
    Ok(Account { id: account_id(row, "id")?, name: row.col("name")?, created_at: time(row, "created_at")? })
}

/// An endpoint row, its secrets left out.
pub fn endpoint<R: Row<Database: Sql>>(row: &R) -> StoreResult<Endpoint> {
    let url: String = row.col("url")?;
    Ok(Endpoint {
        id: EndpointId::from_trusted(row.col("id")?),
        account_id: account_id(row, "account_id")?,
        url: EndpointUrl::from_trusted(&url).ok_or_else(|| corrupt("url", &url))?,
        description: row.col("description")?,
        event_types: columns::type_filter(row.col("event_types")?)?,
        content_filter: columns::content_filter(row.col("content_filter")?)?,
        enabled: row.col("enabled")?,
        disabled_reason: row.col("disabled_reason")?,
        disabled_at: row.col::<Option<i64>>("disabled_at")?.map(Timestamp::from_millis),
        disabled_cause: row.col::<Option<String>>("disabled_cause")?.as_deref().and_then(DisabledCause::parse),
        rate_limit: row.col::<Option<i64>>("rate_limit")?.and_then(|n| u32::try_from(n).ok()),
        ordered: row.col("ordered")?,
        header_names: columns::header_names(row.col("header_names")?)?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

/// An endpoint's [`Target`], from a row that selected `TARGET_COLUMNS`:
/// the one reader of them through sqlx (PostgreSQL's claims and publishes,
/// and the ordered endpoints' heads on both engines).
pub(crate) fn target<R: Row<Database: Sql>>(row: &R) -> StoreResult<Target> {
    Ok(Target {
        url: row.col("url")?,
        sealed: (row.col("secret")?, row.col("previous_secret")?, row.col("previous_expires_at")?),
        rate_limit: row.col("rate_limit")?,
        sealed_headers: row.col("headers")?,
    })
}

/// A due delivery, from a row that selected a claim's delivery columns
/// and its event's `payload` (`DUE_SELECT`, or PostgreSQL's claim).
pub(crate) fn due<R: Row<Database: Sql>>(row: &R) -> StoreResult<Due> {
    Ok(Due {
        id: DeliveryId::from_trusted(row.col("id")?),
        endpoint_id: EndpointId::from_trusted(row.col("endpoint_id")?),
        event_id: EventId::from_trusted(row.col("event_id")?),
        event_type: row.col("event_type")?,
        payload: row.col("payload")?,
        attempt_count: i64::from(row.col::<i32>("attempt_count")?),
        schedule_base: i64::from(row.col::<i32>("schedule_base")?),
        manual: row.col("manual")?,
    })
}

/// The secret columns of an endpoint row, opened.
pub fn secrets<R: Row<Database: Sql>>(row: &R, sealer: &Sealer) -> StoreResult<SigningSecrets> {
    let (current, previous, until) = (row.col("secret")?, row.col("previous_secret")?, row.col("previous_expires_at")?);
    columns::signing_secrets(sealer, current, previous, until)
}

/// An event row.
pub fn event<R: Row<Database: Sql>>(row: &R) -> StoreResult<StoredEvent> {
    let t: String = row.col("event_type")?;
    Ok(StoredEvent {
        id: EventId::from_trusted(row.col("id")?),
        event_type: EventType::parse(&t).map_err(|e| corrupt("event type", e))?,
        created_at: time(row, "created_at")?,
        payload: row.col("payload")?,
    })
}

/// A delivery read with `DELIVERY_COLUMNS`.
pub fn delivery<R: Row<Database: Sql>>(row: &R) -> StoreResult<Delivery> {
    let status: String = row.col("status")?;
    Ok(Delivery {
        id: DeliveryId::from_trusted(row.col("id")?),
        account_id: account_id(row, "account_id")?,
        event_id: EventId::from_trusted(row.col("event_id")?),
        endpoint_id: EndpointId::from_trusted(row.col("endpoint_id")?),
        event_type: row.col("event_type")?,
        status: DeliveryStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        attempt_count: count(row, "attempt_count")?,
        next_attempt_at: row.col::<Option<i64>>("next_attempt_at")?.map(Timestamp::from_millis),
        last_response_status: status_code(row, "last_response_status")?,
        last_error: row.col::<Option<String>>("last_error")?.as_deref().and_then(AttemptError::parse),
        last_error_detail: row.col("last_error_detail")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

/// An attempt row.
pub fn attempt<R: Row<Database: Sql>>(row: &R) -> StoreResult<Attempt> {
    Ok(Attempt {
        n: count(row, "n")?,
        started_at: time(row, "started_at")?,
        duration_ms: row.col::<i64>("duration_ms")?.try_into().unwrap_or(0),
        response_status: status_code(row, "response_status")?,
        error: row.col::<Option<String>>("error")?.as_deref().and_then(AttemptError::parse),
        error_detail: row.col("error_detail")?,
        response_body: row.col("response_body")?,
    })
}
