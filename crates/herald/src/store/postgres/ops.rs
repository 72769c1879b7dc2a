//! Health, gauges and retention on PostgreSQL.

use async_trait::async_trait;
use sqlx::Row;

use super::pool::PostgresStore;
use crate::{
    domain::{EventId, Timestamp},
    store::{Gauges, OpsStore, StoreResult},
};

#[async_trait]
impl OpsStore for PostgresStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn gauges(&self) -> StoreResult<Gauges> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM deliveries WHERE status = 'pending') AS pending,
                    (SELECT COUNT(*) FROM endpoints WHERE NOT enabled) AS disabled",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(Gauges {
            pending_deliveries: row.try_get::<i64, _>("pending")?.try_into().unwrap_or(0),
            disabled_endpoints: row.try_get::<i64, _>("disabled")?.try_into().unwrap_or(0),
        })
    }

    #[tracing::instrument(skip(self))]
    async fn purge_before(&self, cutoff: Timestamp, batch: u32) -> StoreResult<u64> {
        let bound = EventId::lower_bound(u64::try_from(cutoff.millis()).unwrap_or(0));
        let mut tx = self.pool.begin().await?;
        // Ids sort by creation time, so the primary key finds the oldest
        // events; their deliveries and attempts go by ON DELETE CASCADE. SKIP
        // LOCKED lets two nodes purging at once take different batches.
        let deleted = sqlx::query(
            "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE id < $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)",
        )
        .bind(bound.as_str())
        .bind(i64::from(batch))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(cutoff.millis())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(deleted)
    }
}
