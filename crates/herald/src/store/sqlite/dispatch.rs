//! The dispatcher's side of SQLite: leasing due deliveries, recording attempts.

use async_trait::async_trait;
use std::sync::Arc;

use sqlx::{Row, SqliteConnection};

use super::{endpoints, placeholders, SqliteStore};
use crate::{
    domain::{DeliveryId, EndpointId, EventId, Timestamp},
    store::{exhausted_reason, resume_point, Attempt, ClaimedDelivery, DispatchStore, StoreResult, Verdict},
};

#[async_trait]
impl DispatchStore for SqliteStore {
    async fn claim_due(
        &self,
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
        let mut tx = self.writer.begin().await?;
        let mut query = sqlx::query(&sql).bind(now.millis()).bind(now.millis());
        for endpoint in busy {
            query = query.bind(endpoint.as_str());
        }
        let rows = query.bind(i64::from(limit)).fetch_all(&mut *tx).await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let attempt_count: i64 = row.try_get("attempt_count")?;
            let schedule_base: i64 = row.try_get("schedule_base")?;
            claimed.push(ClaimedDelivery {
                id: DeliveryId::from_trusted(row.try_get("id")?),
                endpoint_id: EndpointId::from_trusted(row.try_get("endpoint_id")?),
                event_id: EventId::from_trusted(row.try_get("event_id")?),
                event_type: row.try_get("event_type")?,
                url: row.try_get("url")?,
                secrets: endpoints::secrets(row, &self.sealer)?,
                payload: row.try_get("payload")?,
                attempt_n: u32::try_from(attempt_count + 1).unwrap_or(u32::MAX),
                schedule_step: u32::try_from(attempt_count - schedule_base).unwrap_or(0),
                manual: row.try_get("manual")?,
            });
        }
        let sql = format!("UPDATE deliveries SET lease_until = ? WHERE id IN ({})", placeholders(claimed.len()));
        let mut query = sqlx::query(&sql).bind(lease_until.millis());
        for c in &claimed {
            query = query.bind(c.id.as_str());
        }
        query.execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(claimed)
    }

    async fn release(&self, ids: &[DeliveryId]) -> StoreResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let sql = format!("UPDATE deliveries SET lease_until = NULL WHERE id IN ({})", placeholders(ids.len()));
        let mut query = sqlx::query(&sql);
        for id in ids {
            query = query.bind(id.as_str());
        }
        query.execute(&self.writer).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(delivery = %claimed.id, n = attempt.n, ?verdict))]
    async fn record_attempt(&self, claimed: &ClaimedDelivery, attempt: &Attempt, verdict: Verdict) -> StoreResult<()> {
        let outcome = Arc::new((claimed.clone(), attempt.clone()));
        self.group
            .run(move |conn| {
                let outcome = outcome.clone();
                Box::pin(async move { record_in(conn, &outcome.0, &outcome.1, verdict).await })
            })
            .await
    }

    async fn endpoint_enabled(&self, endpoint: &EndpointId) -> StoreResult<bool> {
        let enabled: Option<bool> = sqlx::query_scalar("SELECT enabled FROM endpoints WHERE id = ?")
            .bind(endpoint.as_str())
            .fetch_optional(&self.reader)
            .await?;
        Ok(enabled == Some(true))
    }

    async fn next_due(&self) -> StoreResult<Option<Timestamp>> {
        let row = sqlx::query(
            "SELECT MIN(CASE WHEN lease_until IS NULL THEN next_attempt_at ELSE MAX(next_attempt_at, lease_until) END) AS due
             FROM deliveries WHERE status = 'pending'",
        )
        .fetch_one(&self.reader)
        .await?;
        Ok(row.try_get::<Option<i64>, _>("due")?.map(Timestamp::from_millis))
    }
}

/// Logs an attempt and moves its delivery on, within the group transaction.
async fn record_in(
    tx: &mut SqliteConnection,
    claimed: &ClaimedDelivery,
    attempt: &Attempt,
    verdict: Verdict,
) -> StoreResult<()> {
    let Some(endpoint) = sqlx::query("SELECT enabled FROM endpoints WHERE id = ?")
        .bind(claimed.endpoint_id.as_str())
        .fetch_optional(&mut *tx)
        .await?
    else {
        return Ok(()); // deleted while the attempt was in flight: nothing left to log
    };
    let enabled: bool = endpoint.try_get("enabled")?;
    sqlx::query(
        "INSERT INTO attempts (delivery_id, n, started_at, duration_ms, response_status, error, response_body)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    )
    .bind(claimed.id.as_str())
    .bind(i64::from(attempt.n))
    .bind(attempt.started_at.millis())
    .bind(i64::try_from(attempt.duration_ms).unwrap_or(i64::MAX))
    .bind(attempt.response_status.map(i64::from))
    .bind(attempt.error.map(|e| e.as_str()))
    .bind(&attempt.response_body)
    .execute(&mut *tx)
    .await?;
    let now = attempt.started_at.millis() + i64::try_from(attempt.duration_ms).unwrap_or(0);
    let retry_waiting = !claimed.manual && {
        let retry_requested: Option<bool> = sqlx::query_scalar("SELECT manual FROM deliveries WHERE id = ?")
            .bind(claimed.id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        retry_requested == Some(true)
    };
    if retry_waiting {
        // A manual retry was asked for while this attempt was in flight: it
        // stays due now, and this outcome becomes where it returns to.
        let (resume, resume_at) = resume_point(verdict);
        sqlx::query(
            "UPDATE deliveries SET attempt_count = MAX(attempt_count, ?), lease_until = NULL,
                last_response_status = ?, updated_at = ?, resume_status = ?, resume_next_attempt_at = ?
             WHERE id = ?",
        )
        .bind(i64::from(attempt.n))
        .bind(attempt.response_status.map(i64::from))
        .bind(now)
        .bind(resume)
        .bind(resume_at)
        .bind(claimed.id.as_str())
        .execute(&mut *tx)
        .await?;
    } else {
        // Every outcome: count the attempt, drop the lease, note the status.
        let common = "attempt_count = MAX(attempt_count, ?), lease_until = NULL, last_response_status = ?,
                      updated_at = ?, manual = 0, resume_status = NULL, resume_next_attempt_at = NULL";
        let (sql, at): (String, Option<i64>) = match verdict {
            Verdict::Succeeded => {
                (format!("UPDATE deliveries SET {common}, status = 'succeeded', next_attempt_at = NULL, missed = 0 WHERE id = ?"), None)
            }
            Verdict::RetryAt(at) if enabled => {
                (format!("UPDATE deliveries SET {common}, status = 'pending', next_attempt_at = ? WHERE id = ?"), Some(at.millis()))
            }
            Verdict::ManualFailed if enabled => (
                // Back to where it stood: a pending one keeps its schedule (the
                // manual attempt does not count against it); others are failed.
                format!(
                    "UPDATE deliveries SET
                        status = CASE WHEN resume_status = 'pending' THEN 'pending' ELSE 'failed' END,
                        next_attempt_at = CASE WHEN resume_status = 'pending' THEN resume_next_attempt_at END,
                        schedule_base = schedule_base + 1, {common} WHERE id = ?"
                ),
                None,
            ),
            Verdict::RetryAt(_) | Verdict::ManualFailed | Verdict::Exhausted => {
                (format!("UPDATE deliveries SET {common}, status = 'failed', next_attempt_at = NULL, missed = 1 WHERE id = ?"), None)
            }
        };
        let mut query = sqlx::query(&sql);
        if let Some(at) = at {
            // `next_attempt_at = ?` comes after the common part's binds.
            query = query.bind(i64::from(attempt.n)).bind(attempt.response_status.map(i64::from)).bind(now).bind(at);
        } else {
            query = query.bind(i64::from(attempt.n)).bind(attempt.response_status.map(i64::from)).bind(now);
        }
        query.bind(claimed.id.as_str()).execute(&mut *tx).await?;
    }
    if verdict == Verdict::Exhausted && enabled {
        let reason = exhausted_reason(claimed, attempt);
        endpoints::disable_in(&mut *tx, claimed.endpoint_id.as_str(), &reason, Timestamp::from_millis(now)).await?;
    }
    Ok(())
}
