//! Disabling an endpoint, by hand or when a delivery exhausts its schedule:
//! the flag, and its pending deliveries that no worker holds stopped.

use sqlx::PgConnection;

use crate::{domain::Timestamp, store::StoreResult};

/// Disables an endpoint inside a transaction that holds its row lock:
/// pending deliveries not in flight fail with an `endpoint_disabled` entry
/// and are marked missed. Leased ones are left to their worker, whose
/// `record_attempt` sees the endpoint disabled.
pub(super) async fn disable_in(
    conn: &mut PgConnection,
    endpoint: &str,
    reason: &str,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE endpoints SET enabled = FALSE, disabled_reason = $1, disabled_at = $2, updated_at = $2
         WHERE id = $3 AND enabled",
    )
    .bind(reason)
    .bind(now.millis())
    .bind(endpoint)
    .execute(&mut *conn)
    .await?;
    let stoppable = "endpoint_id = $2 AND status = 'pending' AND (lease_until IS NULL OR lease_until < $1)";
    sqlx::query(&format!(
        "INSERT INTO attempts (delivery_id, n, started_at, duration_ms, response_status, error, response_body)
         SELECT id, attempt_count + 1, $1, 0, NULL, 'endpoint_disabled', '' FROM deliveries WHERE {stoppable}"
    ))
    .bind(now.millis())
    .bind(endpoint)
    .execute(&mut *conn)
    .await?;
    sqlx::query(&format!(
        "UPDATE deliveries SET status = 'failed', attempt_count = attempt_count + 1, next_attempt_at = NULL,
                missed = TRUE, manual = FALSE, resume_status = NULL, resume_next_attempt_at = NULL, updated_at = $1
         WHERE {stoppable}"
    ))
    .bind(now.millis())
    .bind(endpoint)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
