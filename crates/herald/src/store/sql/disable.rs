//! Disabling an endpoint, by hand, when a delivery exhausts its schedule or
//! when its receiver answers `410 Gone`: the change noted for the platform
//! (`endpoint_changes`, published as operational events), the flag, and its
//! pending deliveries that no worker holds stopped. The statements serve
//! both engines' transactions (SQLite's hot writer binds them by position
//! too: each placeholder first appears in its order).

use super::{
    bounds::{Arg, Conn},
    dialect::Sql,
};
use crate::{
    domain::{DeliveryId, DisabledCause, Timestamp},
    store::StoreResult,
};

/// Notes the change for the platform, if the endpoint is enabled (run
/// first); binds: cause, reason, delivery, attempt number, now, endpoint.
pub const CHANGE_SQL: &str =
    "INSERT INTO endpoint_changes (account_id, endpoint_id, url, change, cause, reason, delivery_id, attempt_n, at)
     SELECT account_id, id, url, 'disabled', $1, $2, $3, $4, $5 FROM endpoints WHERE id = $6 AND enabled";

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

/// The attempt that disabled an endpoint: its delivery and number.
pub type DisablingAttempt<'a> = Option<(&'a DeliveryId, u32)>;

/// Disables an endpoint inside a transaction that holds its row: the change
/// is noted for the platform, pending deliveries not in flight fail with an
/// `endpoint_disabled` entry and are marked missed. Leased ones are left to
/// their worker, whose outcome finds the endpoint disabled.
pub async fn disable_in<C: Conn<Db: Sql>>(
    conn: &mut C,
    endpoint: &str,
    (cause, reason): (DisabledCause, &str),
    by: DisablingAttempt<'_>,
    now: Timestamp,
) -> StoreResult<()> {
    let now = now.millis();
    sqlx::query(CHANGE_SQL)
        .arg(cause.as_str().to_owned())
        .arg(reason.to_owned())
        .arg(by.map(|(delivery, _)| delivery.to_string()))
        .arg(by.map(|(_, n)| i64::from(n)))
        .arg(now)
        .arg(endpoint.to_owned())
        .execute(conn.exec())
        .await?;
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
