//! The dispatcher's writes on the hot writer's connection: leasing due
//! deliveries, logging attempts and moving deliveries on, and disabling an
//! endpoint whose delivery ran out of attempts.

use rusqlite::{params, params_from_iter, types::Value, OptionalExtension, Transaction};

use super::placeholders;
use crate::{
    domain::{DeliveryId, EndpointId, EventId, Timestamp},
    store::{columns, exhausted_reason, resume_point, Attempt, ClaimedDelivery, Sealer, StoreResult, Verdict},
};

/// Disables an endpoint (if enabled) with the reason; binds: reason, now, now, endpoint.
pub const DISABLE_SQL: &str = "UPDATE endpoints SET enabled = 0, disabled_reason = ?, disabled_at = ?, updated_at = ?
     WHERE id = ? AND enabled = 1";
/// Logs an `endpoint_disabled` entry for each stoppable delivery; binds: now, endpoint, now.
pub const STOP_LOG_SQL: &str =
    "INSERT INTO attempts (delivery_id, n, started_at, duration_ms, response_status, error, response_body)
     SELECT id, attempt_count + 1, ?, 0, NULL, 'endpoint_disabled', '' FROM deliveries
     WHERE endpoint_id = ? AND status = 'pending' AND (lease_until IS NULL OR lease_until < ?)";
/// Stops the stoppable deliveries as failed and missed; binds: now, endpoint, now.
pub const STOP_SQL: &str =
    "UPDATE deliveries SET status = 'failed', attempt_count = attempt_count + 1, next_attempt_at = NULL,
        missed = 1, manual = 0, resume_status = NULL, resume_next_attempt_at = NULL, updated_at = ?
     WHERE endpoint_id = ? AND status = 'pending' AND (lease_until IS NULL OR lease_until < ?)";

/// Leases up to `limit` due deliveries, none of `busy` endpoints, until `lease_until`.
pub fn claim(
    tx: &Transaction<'_>,
    sealer: &Sealer,
    now: Timestamp,
    limit: u32,
    busy: &[EndpointId],
    lease_until: Timestamp,
) -> StoreResult<Vec<ClaimedDelivery>> {
    let sql = format!(
        "SELECT d.id, d.endpoint_id, d.event_id, d.event_type, d.attempt_count, d.schedule_base, d.manual,
                e.url, e.secret, e.previous_secret, e.previous_expires_at, ev.payload
         FROM deliveries d
         JOIN endpoints e ON e.id = d.endpoint_id
         JOIN events ev ON ev.id = d.event_id
         WHERE d.status = 'pending' AND d.next_attempt_at <= ?
           AND (d.lease_until IS NULL OR d.lease_until < ?)
           AND e.enabled = 1 AND d.endpoint_id NOT IN ({})
         ORDER BY d.next_attempt_at LIMIT ?",
        placeholders(busy.len())
    );
    let mut binds = vec![Value::from(now.millis()), Value::from(now.millis())];
    binds.extend(busy.iter().map(|e| Value::from(e.as_str().to_owned())));
    binds.push(Value::from(i64::from(limit)));
    let mut statement = tx.prepare_cached(&sql)?;
    let mut rows = statement.query(params_from_iter(binds))?;
    let mut claimed = Vec::new();
    while let Some(row) = rows.next()? {
        let attempt_count: i64 = row.get("attempt_count")?;
        let schedule_base: i64 = row.get("schedule_base")?;
        claimed.push(ClaimedDelivery {
            id: DeliveryId::from_trusted(row.get("id")?),
            endpoint_id: EndpointId::from_trusted(row.get("endpoint_id")?),
            event_id: EventId::from_trusted(row.get("event_id")?),
            event_type: row.get("event_type")?,
            url: row.get("url")?,
            secrets: columns::signing_secrets(
                sealer,
                row.get("secret")?,
                row.get("previous_secret")?,
                row.get("previous_expires_at")?,
            )?,
            payload: row.get("payload")?,
            attempt_n: u32::try_from(attempt_count + 1).unwrap_or(u32::MAX),
            schedule_step: u32::try_from(attempt_count - schedule_base).unwrap_or(0),
            manual: row.get("manual")?,
        });
    }
    let mut lease = tx.prepare_cached("UPDATE deliveries SET lease_until = ? WHERE id = ?")?;
    for c in &claimed {
        lease.execute(params![lease_until.millis(), c.id.as_str()])?;
    }
    Ok(claimed)
}

/// Extends a lease held until `held` to `until`; whether it was still held.
pub fn renew_lease(tx: &Transaction<'_>, id: &DeliveryId, held: Timestamp, until: Timestamp) -> StoreResult<bool> {
    let renewed = tx
        .prepare_cached(
            "UPDATE deliveries SET lease_until = ? WHERE id = ? AND lease_until = ? AND status = 'pending'",
        )?
        .execute(params![until.millis(), id.as_str(), held.millis()])?;
    Ok(renewed == 1)
}

/// Logs an attempt and moves its delivery on as the verdict says.
pub fn record(tx: &Transaction<'_>, claimed: &ClaimedDelivery, attempt: &Attempt, verdict: Verdict) -> StoreResult<()> {
    let Some(enabled) = tx
        .prepare_cached("SELECT enabled FROM endpoints WHERE id = ?")?
        .query_row(params![claimed.endpoint_id.as_str()], |r| r.get::<_, bool>(0))
        .optional()?
    else {
        return Ok(()); // deleted while the attempt was in flight: nothing left to log
    };
    tx.prepare_cached(
        "INSERT INTO attempts (delivery_id, n, started_at, duration_ms, response_status, error, error_detail,
                               response_body)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    )?
    .execute(params![
        claimed.id.as_str(),
        attempt.n,
        attempt.started_at.millis(),
        i64::try_from(attempt.duration_ms).unwrap_or(i64::MAX),
        attempt.response_status,
        attempt.error.map(|e| e.as_str()),
        attempt.error_detail,
        attempt.response_body
    ])?;
    let now = attempt.started_at.millis() + i64::try_from(attempt.duration_ms).unwrap_or(0);
    let retry_waiting = !claimed.manual
        && tx
            .prepare_cached("SELECT manual FROM deliveries WHERE id = ?")?
            .query_row(params![claimed.id.as_str()], |r| r.get::<_, bool>(0))
            .optional()?
            == Some(true);
    if retry_waiting {
        // A manual retry was asked for while this attempt was in flight: it
        // stays due now, and this outcome becomes where it returns to.
        let (resume, resume_at) = resume_point(verdict);
        tx.prepare_cached(
            "UPDATE deliveries SET attempt_count = MAX(attempt_count, ?), lease_until = NULL,
                last_response_status = ?, updated_at = ?, resume_status = ?, resume_next_attempt_at = ?
             WHERE id = ?",
        )?
        .execute(params![attempt.n, attempt.response_status, now, resume, resume_at, claimed.id.as_str()])?;
    } else {
        moved_on(tx, claimed, attempt, verdict, enabled, now)?;
    }
    if verdict == Verdict::Exhausted && enabled {
        disable(tx, claimed.endpoint_id.as_str(), &exhausted_reason(claimed, attempt), Timestamp::from_millis(now))?;
    }
    Ok(())
}

/// Every outcome: count the attempt, drop the lease, note the status, and go where the verdict says.
fn moved_on(
    tx: &Transaction<'_>,
    claimed: &ClaimedDelivery,
    attempt: &Attempt,
    verdict: Verdict,
    enabled: bool,
    now: i64,
) -> StoreResult<()> {
    let common = "attempt_count = MAX(attempt_count, ?1), lease_until = NULL, last_response_status = ?2,
                  updated_at = ?3, manual = 0, resume_status = NULL, resume_next_attempt_at = NULL";
    let (sql, at) = match verdict {
        Verdict::Succeeded => {
            (format!("UPDATE deliveries SET {common}, status = 'succeeded', next_attempt_at = NULL, missed = 0 WHERE id = ?4"), None)
        }
        Verdict::RetryAt(at) if enabled => {
            (format!("UPDATE deliveries SET {common}, status = 'pending', next_attempt_at = ?5 WHERE id = ?4"), Some(at.millis()))
        }
        Verdict::ManualFailed if enabled => (
            // Back to where it stood: a pending one keeps its schedule (the
            // manual attempt does not count against it); others are failed.
            format!(
                "UPDATE deliveries SET
                    status = CASE WHEN resume_status = 'pending' THEN 'pending' ELSE 'failed' END,
                    next_attempt_at = CASE WHEN resume_status = 'pending' THEN resume_next_attempt_at END,
                    schedule_base = schedule_base + 1, {common} WHERE id = ?4"
            ),
            None,
        ),
        Verdict::RetryAt(_) | Verdict::ManualFailed | Verdict::Exhausted => {
            (format!("UPDATE deliveries SET {common}, status = 'failed', next_attempt_at = NULL, missed = 1 WHERE id = ?4"), None)
        }
    };
    let mut statement = tx.prepare_cached(&sql)?;
    match at {
        Some(at) => statement.execute(params![attempt.n, attempt.response_status, now, claimed.id.as_str(), at])?,
        None => statement.execute(params![attempt.n, attempt.response_status, now, claimed.id.as_str()])?,
    };
    Ok(())
}

/// Disables an endpoint and stops its pending deliveries that no worker holds.
fn disable(tx: &Transaction<'_>, endpoint: &str, reason: &str, now: Timestamp) -> StoreResult<()> {
    let now = now.millis();
    tx.prepare_cached(DISABLE_SQL)?.execute(params![reason, now, now, endpoint])?;
    tx.prepare_cached(STOP_LOG_SQL)?.execute(params![now, endpoint, now])?;
    tx.prepare_cached(STOP_SQL)?.execute(params![now, endpoint, now])?;
    Ok(())
}
