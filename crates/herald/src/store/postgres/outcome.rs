//! Recording one attempt's outcome, within the caller's transaction: the
//! path for whatever the attempt log's group statements leave aside (a manual
//! retry waiting, an endpoint disabled meanwhile, or one this attempt disables), and for
//! every outcome of a group that failed.

use sqlx::{PgConnection, Row};

use super::text::without_nul;
use crate::{
    domain::{
        transition::{after_attempt, disabled_reason, Standing, Transition},
        Timestamp, Verdict,
    },
    store::{columns, sql::disable::disable_in, stale, Attempt, ClaimedDelivery, StoreResult},
};

fn int(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Logs one attempt and moves its delivery on, within the caller's transaction
/// (see `attempt_log.rs`, which records the common outcomes in groups).
pub(super) async fn record_in(
    tx: &mut PgConnection,
    claimed: &ClaimedDelivery,
    attempt: &Attempt,
    verdict: Verdict,
) -> StoreResult<()> {
    // The flag decides where the delivery goes, so it is held until commit:
    // shared for the usual outcomes, exclusive when this attempt disables the endpoint.
    let lock = if verdict.disables().is_some() { "FOR UPDATE" } else { "FOR SHARE" };
    let Some(endpoint) = sqlx::query(&format!("SELECT enabled FROM endpoints WHERE id = $1 {lock}"))
        .bind(claimed.endpoint_id.as_str())
        .fetch_optional(&mut *tx)
        .await?
    else {
        return Ok(()); // deleted while the attempt was in flight: nothing left to log
    };
    let enabled: bool = endpoint.try_get("enabled")?;
    let standing_row = sqlx::query(
        "SELECT manual, resume_status, resume_next_attempt_at, attempt_count FROM deliveries WHERE id = $1 FOR UPDATE",
    )
    .bind(claimed.id.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(standing_row) = standing_row else {
        return Ok(()); // gone with its endpoint while the attempt was in flight
    };
    let recorded = u32::try_from(standing_row.try_get::<i32, _>("attempt_count")?).unwrap_or(0);
    if !stale::is_current(&claimed.id, recorded, attempt.n) {
        return Ok(());
    }
    let body = without_nul(&attempt.response_body);
    sqlx::query(
        "INSERT INTO attempts (delivery_id, n, started_at, duration_ms, response_status, error, error_detail,
                               response_body)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
    )
    .bind(claimed.id.as_str())
    .bind(int(attempt.n))
    .bind(attempt.started_at.millis())
    .bind(i64::try_from(attempt.duration_ms).unwrap_or(i64::MAX))
    .bind(attempt.response_status.map(i32::from))
    .bind(attempt.error.map(|e| e.as_str()))
    .bind(attempt.error_detail.as_deref().map(without_nul))
    .bind(body.as_ref())
    .execute(&mut *tx)
    .await?;
    let (retry_requested, resume) = (
        standing_row.try_get::<bool, _>("manual")?,
        columns::resume(standing_row.try_get("resume_status")?, standing_row.try_get("resume_next_attempt_at")?),
    );
    let standing = Standing {
        endpoint_enabled: enabled,
        retry_waiting: retry_requested && !claimed.manual,
        resume: resume.filter(|_| claimed.manual),
    };
    let change = after_attempt(verdict, &standing);
    let now = attempt.started_at.millis() + i64::try_from(attempt.duration_ms).unwrap_or(0);
    match change.delivery {
        Transition::RetryWaits { resume } => {
            sqlx::query(
                "UPDATE deliveries SET attempt_count = GREATEST(attempt_count, $1), lease_until = NULL,
                    last_response_status = $2, updated_at = $3, resume_status = $4, resume_next_attempt_at = $5
                 WHERE id = $6",
            )
            .bind(int(attempt.n))
            .bind(attempt.response_status.map(i32::from))
            .bind(now)
            .bind(resume.status.as_str())
            .bind(resume.next_attempt_at.map(Timestamp::millis))
            .bind(claimed.id.as_str())
            .execute(&mut *tx)
            .await?;
        }
        Transition::Moves { status, next_attempt_at, missed, outside_schedule } => {
            sqlx::query(
                "UPDATE deliveries SET attempt_count = GREATEST(attempt_count, $1), lease_until = NULL,
                    last_response_status = $2, updated_at = $3, manual = FALSE, resume_status = NULL,
                    resume_next_attempt_at = NULL, status = $5, next_attempt_at = $6,
                    missed = COALESCE($7, missed), schedule_base = schedule_base + $8
                 WHERE id = $4",
            )
            .bind(int(attempt.n))
            .bind(attempt.response_status.map(i32::from))
            .bind(now)
            .bind(claimed.id.as_str())
            .bind(status.as_str())
            .bind(next_attempt_at.map(Timestamp::millis))
            .bind(columns::missed(missed))
            .bind(i32::from(outside_schedule))
            .execute(&mut *tx)
            .await?;
        }
    }
    if let Some(cause) = change.disable_endpoint {
        let reason = disabled_reason(cause, &claimed.id, attempt.n);
        let by = Some((&claimed.id, attempt.n));
        disable_in(&mut *tx, claimed.endpoint_id.as_str(), (cause, &reason), by, Timestamp::from_millis(now)).await?;
    }
    Ok(())
}
