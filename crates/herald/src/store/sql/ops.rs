//! Health, gauges and retention.

use async_trait::async_trait;

use super::{
    bounds::{Affected, Arg, Col, Conn},
    dialect::{Engine, Sql},
};
use crate::{
    domain::{EventId, Timestamp},
    store::{Gauges, OpsStore, StoreResult},
};

#[async_trait]
impl<S: Engine> OpsStore for S {
    async fn ping(&self) -> StoreResult<()> {
        self.answers().await
    }

    async fn gauges(&self) -> StoreResult<Gauges> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM deliveries WHERE status = 'pending') AS pending,
                    (SELECT COUNT(*) FROM endpoints WHERE NOT enabled) AS disabled",
        )
        .fetch_one(self.reads())
        .await?;
        Ok(Gauges {
            pending_deliveries: row.col::<i64>("pending")?.try_into().unwrap_or(0),
            disabled_endpoints: row.col::<i64>("disabled")?.try_into().unwrap_or(0),
        })
    }

    #[tracing::instrument(skip(self))]
    async fn purge_before(&self, cutoff: Timestamp, batch: u32) -> StoreResult<u64> {
        let bound = EventId::lower_bound(u64::try_from(cutoff.millis()).unwrap_or(0));
        let mut tx = self.begin_write().await?;
        // Ids sort by creation time, so the primary key finds the oldest
        // events; their deliveries and attempts go by ON DELETE CASCADE.
        // Skipping locked rows lets two nodes purging at once take different batches.
        let deleted = sqlx::query(&format!(
            "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE id < $1 ORDER BY id LIMIT $2{})",
            S::Db::FOR_UPDATE_SKIP_LOCKED
        ))
        .arg(bound.as_str().to_owned())
        .arg(i64::from(batch))
        .execute(tx.exec())
        .await?
        .rows();
        sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .arg(cutoff.millis())
            .execute(tx.exec())
            .await?;
        tx.commit().await?;
        Ok(deleted)
    }
}
