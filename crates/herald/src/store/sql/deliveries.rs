//! The delivery log, and manual retries.

use async_trait::async_trait;

use super::{
    bounds::{Arg, Col, Conn},
    dialect::{Engine, Sql},
    rows,
    select::Select,
};
use crate::{
    domain::{AccountId, DeliveryId, EndpointId, Timestamp},
    store::{
        columns::DELIVERY_COLUMNS, Attempt, Delivery, DeliveryFilter, DeliveryStore, HourOutcomes, Page, Paged,
        StoreError, StoreResult, HOUR_MILLIS,
    },
};

#[async_trait]
impl<S: Engine> DeliveryStore for S {
    async fn list_deliveries(
        &self,
        account: &AccountId,
        filter: &DeliveryFilter,
        page: &Page,
    ) -> StoreResult<Paged<Delivery>> {
        // Only the filters given, so the planner can pick the index that fits.
        let mut query = Select::new(format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE account_id = "));
        query.push_text(account.to_string());
        if let Some(endpoint) = &filter.endpoint_id {
            query.push(" AND endpoint_id = ").push_text(endpoint.to_string());
        }
        if let Some(event) = &filter.event_id {
            query.push(" AND event_id = ").push_text(event.to_string());
        }
        if let Some(status) = filter.status {
            query.push(" AND status = ").push_text(status.as_str().to_owned());
        }
        if let Some(event_type) = &filter.event_type {
            query.push(" AND event_type = ").push_text(event_type.as_str().to_owned());
        }
        query.fetch_page(self, page, rows::delivery, |d| d.id.to_string()).await
    }

    async fn get_delivery(&self, account: &AccountId, id: &DeliveryId) -> StoreResult<(Delivery, Vec<Attempt>)> {
        // The delivery and its attempts from the same snapshot.
        let mut tx = self.begin_snapshot().await?;
        let row = sqlx::query(&format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = $1 AND account_id = $2"))
            .arg(id.to_string())
            .arg(account.to_string())
            .fetch_optional(tx.exec())
            .await?
            .ok_or(StoreError::NotFound)?;
        let attempts = sqlx::query("SELECT * FROM attempts WHERE delivery_id = $1 ORDER BY n")
            .arg(id.to_string())
            .fetch_all(tx.exec())
            .await?
            .iter()
            .map(rows::attempt)
            .collect::<StoreResult<Vec<_>>>()?;
        tx.commit().await?;
        Ok((rows::delivery(&row)?, attempts))
    }

    async fn endpoint_outcomes(
        &self,
        account: &AccountId,
        endpoint: &EndpointId,
        since: Timestamp,
    ) -> StoreResult<Vec<HourOutcomes>> {
        // A delivery with an attempt since `since` was updated since then too,
        // so the endpoint's deliveries older than that are never joined. An
        // attempt succeeded when it has no error: a 2xx whose body then timed
        // out keeps its status but failed.
        let rows = sqlx::query(
            "SELECT a.started_at / $1 AS hour,
                    SUM(CASE WHEN a.error IS NULL THEN 1 ELSE 0 END) AS succeeded,
                    SUM(CASE WHEN a.error IS NULL THEN 0 ELSE 1 END) AS failed
             FROM deliveries d JOIN attempts a ON a.delivery_id = d.id
             WHERE d.endpoint_id = $2 AND d.account_id = $3 AND d.updated_at >= $4 AND a.started_at >= $4
               AND (a.error IS NULL OR a.error <> 'endpoint_disabled')
             GROUP BY hour ORDER BY hour",
        )
        .arg(HOUR_MILLIS)
        .arg(endpoint.to_string())
        .arg(account.to_string())
        .arg(since.millis())
        .fetch_all(self.reads())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(HourOutcomes {
                    start: Timestamp::from_millis(row.col::<i64>("hour")? * HOUR_MILLIS),
                    succeeded: u64::try_from(row.col::<i64>("succeeded")?).unwrap_or_default(),
                    failed: u64::try_from(row.col::<i64>("failed")?).unwrap_or_default(),
                })
            })
            .collect()
    }

    #[tracing::instrument(skip(self, now))]
    async fn request_retry(&self, account: &AccountId, id: &DeliveryId, now: Timestamp) -> StoreResult<Delivery> {
        let mut tx = self.begin_write().await?;
        let endpoint: String = sqlx::query("SELECT endpoint_id FROM deliveries WHERE id = $1 AND account_id = $2")
            .arg(id.to_string())
            .arg(account.to_string())
            .fetch_optional(tx.exec())
            .await?
            .ok_or(StoreError::NotFound)?
            .col("endpoint_id")?;
        // The endpoint row first (the order every transaction locks in), held
        // so a disable cannot slip in before the retry is committed.
        let enabled: bool = sqlx::query(&format!("SELECT enabled FROM endpoints WHERE id = $1{}", S::Db::FOR_SHARE))
            .arg(endpoint)
            .fetch_optional(tx.exec())
            .await?
            .ok_or(StoreError::NotFound)?
            .col("enabled")?;
        if !enabled {
            return Err(StoreError::EndpointDisabled);
        }
        // The CASEs read the row as this UPDATE changes it, so two concurrent
        // retries cannot both record the manual state as the way back.
        sqlx::query(
            "UPDATE deliveries SET
                resume_status = CASE WHEN manual THEN resume_status ELSE status END,
                resume_next_attempt_at = CASE WHEN manual THEN resume_next_attempt_at ELSE next_attempt_at END,
                manual = TRUE, status = 'pending', next_attempt_at = $1, updated_at = $1
             WHERE id = $2",
        )
        .arg(now.millis())
        .arg(id.to_string())
        .execute(tx.exec())
        .await?;
        // SQLite's RETURNING takes no `deliveries.*`: the row is read back.
        let row = sqlx::query(&format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = $1"))
            .arg(id.to_string())
            .fetch_one(tx.exec())
            .await?;
        tx.commit().await?;
        rows::delivery(&row)
    }
}
