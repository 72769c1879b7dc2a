//! Disabling an endpoint, by hand or when a delivery exhausts its schedule:
//! the flag, and its pending deliveries that no worker holds stopped. The
//! statements serve both engines' transactions (SQLite's hot writer binds
//! them by position too: each placeholder first appears in its order).

use super::{
    bounds::{Arg, Conn},
    dialect::Sql,
};
use crate::{
    domain::{DisabledCause, Timestamp},
    store::StoreResult,
};

/// Clears the flag; binds: reason, now, cause, endpoint.
pub const DISABLE_SQL: &str =
    "UPDATE endpoints SET enabled = FALSE, disabled_reason = $1, disabled_at = $2, updated_at = $2,
        disabled_cause = $3
     WHERE id = $4 AND enabled";

/// Logs an `endpoint_disabled` entry for each stoppable delivery; binds: now, endpoint.
pub const STOP_LOG_SQL: &str =
    "INSERT INTO attempts (delivery_id, n, started_at, duration_ms, response_status, error, response_body)
     SELECT id, attempt_count + 1, $1, 0, NULL, 'endpoint_disabled', '' FROM deliveries
     WHERE endpoint_id = $2 AND status = 'pending' AND (lease_until IS NULL OR lease_until < $1)";

/// Stops the stoppable deliveries as failed and missed; binds: now, endpoint.
pub const STOP_SQL: &str =
    "UPDATE deliveries SET status = 'failed', attempt_count = attempt_count + 1, next_attempt_at = NULL,
        missed = TRUE, manual = FALSE, resume_status = NULL, resume_next_attempt_at = NULL, updated_at = $1
     WHERE endpoint_id = $2 AND status = 'pending' AND (lease_until IS NULL OR lease_until < $1)";

/// Disables an endpoint inside a transaction that holds its row: pending
/// deliveries not in flight fail with an `endpoint_disabled` entry and are
/// marked missed. Leased ones are left to their worker, whose outcome finds
/// the endpoint disabled.
pub async fn disable_in<C: Conn<Db: Sql>>(
    conn: &mut C,
    endpoint: &str,
    cause: DisabledCause,
    reason: &str,
    now: Timestamp,
) -> StoreResult<()> {
    let now = now.millis();
    sqlx::query(DISABLE_SQL)
        .arg(reason.to_owned())
        .arg(now)
        .arg(cause.as_str().to_owned())
        .arg(endpoint.to_owned())
        .execute(conn.exec())
        .await?;
    sqlx::query(STOP_LOG_SQL).arg(now).arg(endpoint.to_owned()).execute(conn.exec()).await?;
    sqlx::query(STOP_SQL).arg(now).arg(endpoint.to_owned()).execute(conn.exec()).await?;
    Ok(())
}
