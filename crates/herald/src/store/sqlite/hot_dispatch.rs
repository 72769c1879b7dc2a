//! The dispatcher's writes on the hot writer's connection: leasing due
//! deliveries, logging attempts and moving deliveries on, and disabling an
//! endpoint whose delivery ran out of attempts.

use rusqlite::{params, params_from_iter, types::Value, OptionalExtension, Transaction};

use super::placeholders::placeholders;
use crate::{
    domain::{
        transition::{after_attempt, exhausted_reason, Standing, Transition},
        DeliveryId, EndpointId, EventId, Timestamp, Verdict,
    },
    store::{columns, Attempt, ClaimedDelivery, Sealer, StoreResult},
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

/// Logs an attempt and writes what its verdict does to the delivery and
/// its endpoint (`domain/transition.rs`), given where they stand now.
pub fn record(tx: &Transaction<'_>, claimed: &ClaimedDelivery, attempt: &Attempt, verdict: Verdict) -> StoreResult<()> {
    let Some(endpoint_enabled) = tx
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
    let (retry_requested, resume) = tx
        .prepare_cached("SELECT manual, resume_status, resume_next_attempt_at FROM deliveries WHERE id = ?")?
        .query_row(params![claimed.id.as_str()], |r| Ok((r.get::<_, bool>(0)?, columns::resume(r.get(1)?, r.get(2)?))))
        .optional()?
        .unwrap_or((false, None));
    let standing = Standing {
        endpoint_enabled,
        retry_waiting: retry_requested && !claimed.manual,
        resume: resume.filter(|_| claimed.manual),
    };
    let change = after_attempt(verdict, &standing);
    let now = attempt.started_at.millis() + i64::try_from(attempt.duration_ms).unwrap_or(0);
    match change.delivery {
        Transition::RetryWaits { resume } => tx
            .prepare_cached(
                "UPDATE deliveries SET attempt_count = MAX(attempt_count, ?), lease_until = NULL,
                    last_response_status = ?, updated_at = ?, resume_status = ?, resume_next_attempt_at = ?
                 WHERE id = ?",
            )?
            .execute(params![
                attempt.n,
                attempt.response_status,
                now,
                resume.status.as_str(),
                resume.next_attempt_at.map(Timestamp::millis),
                claimed.id.as_str()
            ])?,
        Transition::Moves { status, next_attempt_at, missed, outside_schedule } => tx
            .prepare_cached(
                "UPDATE deliveries SET attempt_count = MAX(attempt_count, ?1), lease_until = NULL,
                    last_response_status = ?2, updated_at = ?3, manual = 0, resume_status = NULL,
                    resume_next_attempt_at = NULL, status = ?5, next_attempt_at = ?6,
                    missed = COALESCE(?7, missed), schedule_base = schedule_base + ?8
                 WHERE id = ?4",
            )?
            .execute(params![
                attempt.n,
                attempt.response_status,
                now,
                claimed.id.as_str(),
                status.as_str(),
                next_attempt_at.map(Timestamp::millis),
                columns::missed(missed),
                i64::from(outside_schedule)
            ])?,
    };
    if change.disable_endpoint {
        let reason = exhausted_reason(&claimed.id, attempt.n);
        disable(tx, claimed.endpoint_id.as_str(), &reason, Timestamp::from_millis(now))?;
    }
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
