//! Recording an attempt on the hot writer's connection: logging it, moving
//! the delivery on as its verdict says, and disabling an endpoint whose
//! delivery ran out of attempts or whose receiver answered `410 Gone`.

use rusqlite::{params, OptionalExtension, Transaction};

use crate::{
    domain::{
        transition::{after_attempt, disabled_reason, Standing, Transition},
        DisabledCause, Timestamp, Verdict,
    },
    store::{
        columns,
        sql::disable::{CHANGE_SQL, DISABLE_SQL, STOP_LOG_SQL, STOP_SQL},
        stale, Attempt, ClaimedDelivery, StoreResult,
    },
};

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
    let Some((recorded, retry_requested, resume)) = tx
        .prepare_cached(
            "SELECT attempt_count, manual, resume_status, resume_next_attempt_at FROM deliveries WHERE id = ?",
        )?
        .query_row(params![claimed.id.as_str()], |r| {
            Ok((r.get::<_, u32>(0)?, r.get::<_, bool>(1)?, columns::resume(r.get(2)?, r.get(3)?)))
        })
        .optional()?
    else {
        return Ok(()); // gone with its endpoint while the attempt was in flight
    };
    if !stale::is_current(&claimed.id, recorded, attempt.n) {
        return Ok(());
    }
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
    if let Some(cause) = change.disable_endpoint {
        let reason = disabled_reason(cause, &claimed.id, attempt.n);
        disable(tx, claimed, attempt.n, (cause, &reason), Timestamp::from_millis(now))?;
    }
    Ok(())
}

/// Disables the endpoint of `claimed`, whose attempt `n` did it, noting the
/// change for the platform, and stops its pending deliveries that no worker holds.
fn disable(
    tx: &Transaction<'_>,
    claimed: &ClaimedDelivery,
    n: u32,
    (cause, reason): (DisabledCause, &str),
    now: Timestamp,
) -> StoreResult<()> {
    let (now, endpoint) = (now.millis(), claimed.endpoint_id.as_str());
    tx.prepare_cached(CHANGE_SQL)?.execute(params![cause.as_str(), reason, claimed.id.as_str(), n, now, endpoint])?;
    tx.prepare_cached(DISABLE_SQL)?.execute(params![reason, now, cause.as_str(), endpoint])?;
    tx.prepare_cached(STOP_LOG_SQL)?.execute(params![now, endpoint])?;
    tx.prepare_cached(STOP_SQL)?.execute(params![now, endpoint])?;
    Ok(())
}
