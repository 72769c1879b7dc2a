//! Recoveries: an endpoint's failed and skipped deliveries created in a time
//! range, given a fresh schedule page by page. When a delivery was created
//! is the time of its id (a ULID, to the millisecond), so a range is a range
//! of ids, walked on the `(endpoint_id, id)` index. A page runs in one write
//! transaction that holds its recovery row (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, so two nodes never take the same page) and moves its cursor
//! with the deliveries it queues.

use async_trait::async_trait;

use super::{
    bounds::{Affected, Arg, Col, Conn},
    dialect::{Engine, Sql},
    rows,
};
use crate::{
    domain::{AccountId, DeliveryId, EndpointId, RecoveryId, Timestamp},
    store::{Recovery, RecoveryStatus, RecoveryStore, StoreError, StoreResult},
};

/// The smallest delivery id made at `at`: a range `[since, until)` holds the
/// ids from `id_bound(since)` up to, not including, `id_bound(until)`.
fn id_bound(at: Timestamp) -> String {
    DeliveryId::lower_bound(u64::try_from(at.millis()).unwrap_or(0)).to_string()
}

fn recovery<R: sqlx::Row<Database: Sql>>(row: &R) -> StoreResult<Recovery> {
    let status: String = row.col("status")?;
    Ok(Recovery {
        id: RecoveryId::from_trusted(row.col("id")?),
        account_id: rows::account_id(row, "account_id")?,
        endpoint_id: EndpointId::from_trusted(row.col("endpoint_id")?),
        since: Timestamp::from_millis(row.col("since")?),
        until: Timestamp::from_millis(row.col("until")?),
        status: RecoveryStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("recoveries.status: `{status}`")))?,
        queued: u64::try_from(row.col::<i64>("queued")?).unwrap_or(0),
        created_at: Timestamp::from_millis(row.col("created_at")?),
        finished_at: row.col::<Option<i64>>("finished_at")?.map(Timestamp::from_millis),
    })
}

/// Whether the endpoint is enabled, holding its flag until the commit; `None` if it is gone.
async fn enabled_in<C: Conn<Db: Sql>>(conn: &mut C, endpoint: &str) -> StoreResult<Option<bool>> {
    let row = sqlx::query(&format!("SELECT enabled FROM endpoints WHERE id = $1{}", <C::Db as Sql>::FOR_SHARE))
        .arg(endpoint.to_owned())
        .fetch_optional(conn.exec())
        .await?;
    Ok(row.map(|r| r.col::<bool>("enabled")).transpose()?)
}

#[async_trait]
impl<S: Engine> RecoveryStore for S {
    async fn start_recovery(
        &self,
        account: &AccountId,
        endpoint: &EndpointId,
        (since, until): (Timestamp, Timestamp),
        now: Timestamp,
    ) -> StoreResult<Recovery> {
        let mut tx = self.begin_write().await?;
        let owned = sqlx::query("SELECT 1 AS one FROM endpoints WHERE id = $1 AND account_id = $2")
            .arg(endpoint.to_string())
            .arg(account.to_string())
            .fetch_optional(tx.exec())
            .await?;
        if owned.is_none() {
            return Err(StoreError::NotFound);
        }
        if enabled_in(&mut *tx, endpoint.as_str()).await? != Some(true) {
            return Err(StoreError::EndpointDisabled);
        }
        let recovery = Recovery {
            id: RecoveryId::generate(),
            account_id: account.clone(),
            endpoint_id: endpoint.clone(),
            since,
            until,
            status: RecoveryStatus::Running,
            queued: 0,
            created_at: now,
            finished_at: None,
        };
        sqlx::query(
            "INSERT INTO recoveries (id, account_id, endpoint_id, since, until, cursor, status, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'running', $7)",
        )
        .arg(recovery.id.to_string())
        .arg(account.to_string())
        .arg(endpoint.to_string())
        .arg(since.millis())
        .arg(until.millis())
        .arg(id_bound(since))
        .arg(now.millis())
        .execute(tx.exec())
        .await?;
        tx.commit().await?;
        Ok(recovery)
    }

    async fn get_recovery(&self, account: &AccountId, endpoint: &EndpointId, id: &RecoveryId) -> StoreResult<Recovery> {
        let row = sqlx::query("SELECT * FROM recoveries WHERE id = $1 AND endpoint_id = $2 AND account_id = $3")
            .arg(id.to_string())
            .arg(endpoint.to_string())
            .arg(account.to_string())
            .fetch_optional(self.reads())
            .await?
            .ok_or(StoreError::NotFound)?;
        recovery(&row)
    }

    async fn recover_page(&self, page: u32, first_attempt_at: Timestamp, now: Timestamp) -> StoreResult<bool> {
        // Asked every poll interval: a read first, so that no write
        // transaction (on SQLite, the database's one write lock) is taken
        // while there is nothing to recover.
        let running = sqlx::query("SELECT 1 AS one FROM recoveries WHERE status = 'running' LIMIT 1")
            .fetch_optional(self.reads())
            .await?;
        if running.is_none() {
            return Ok(false);
        }
        let mut tx = self.begin_write().await?;
        let Some(row) = sqlx::query(&format!(
            "SELECT * FROM recoveries WHERE status = 'running' ORDER BY created_at LIMIT 1{}",
            S::Db::FOR_UPDATE_SKIP_LOCKED
        ))
        .fetch_optional(tx.exec())
        .await?
        else {
            return Ok(false);
        };
        let recovery = recovery(&row)?;
        let cursor: String = row.col("cursor")?;
        let endpoint = recovery.endpoint_id.to_string();
        let finish =
            "UPDATE recoveries SET cursor = $1, queued = queued + $2, status = $3, finished_at = $4 WHERE id = $5";
        if enabled_in(&mut *tx, &endpoint).await? != Some(true) {
            // Disabled meanwhile: what is queued stays queued (the disable
            // stopped it), and the rest waits for a recovery of its own.
            sqlx::query(finish)
                .arg(cursor)
                .arg(0_i64)
                .arg(RecoveryStatus::Stopped.as_str().to_owned())
                .arg(Some(now.millis()))
                .arg(recovery.id.to_string())
                .execute(tx.exec())
                .await?;
            tx.commit().await?;
            return Ok(true);
        }
        let ids = sqlx::query(
            "SELECT id FROM deliveries WHERE endpoint_id = $1 AND id > $2 AND id < $3 ORDER BY id LIMIT $4",
        )
        .arg(endpoint.clone())
        .arg(cursor.clone())
        .arg(id_bound(recovery.until))
        .arg(i64::from(page))
        .fetch_all(tx.exec())
        .await?;
        let last: Option<String> = ids.last().map(|r| r.col("id")).transpose()?;
        let queued = match &last {
            None => 0,
            Some(last) => sqlx::query(
                "UPDATE deliveries SET status = 'pending', schedule_base = attempt_count, next_attempt_at = $1,
                    missed = FALSE, manual = FALSE, resume_status = NULL, resume_next_attempt_at = NULL, updated_at = $2
                 WHERE endpoint_id = $3 AND id > $4 AND id <= $5 AND status IN ('failed', 'skipped')",
            )
            .arg(first_attempt_at.millis())
            .arg(now.millis())
            .arg(endpoint)
            .arg(cursor.clone())
            .arg(last.clone())
            .execute(tx.exec())
            .await?
            .rows(),
        };
        let done = ids.len() < page as usize;
        let status = if done { RecoveryStatus::Done } else { RecoveryStatus::Running };
        sqlx::query(finish)
            .arg(last.unwrap_or(cursor))
            .arg(i64::try_from(queued).unwrap_or(i64::MAX))
            .arg(status.as_str().to_owned())
            .arg(done.then_some(now.millis()))
            .arg(recovery.id.to_string())
            .execute(tx.exec())
            .await?;
        tx.commit().await?;
        Ok(true)
    }
}
