//! Health and gauges on SQLite.

use async_trait::async_trait;
use sqlx::Row;

use super::SqliteStore;
use crate::store::{Gauges, OpsStore, StoreResult};

#[async_trait]
impl OpsStore for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    async fn gauges(&self) -> StoreResult<Gauges> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM deliveries WHERE status = 'pending') AS pending,
                    (SELECT COUNT(*) FROM endpoints WHERE enabled = 0) AS disabled",
        )
        .fetch_one(&self.reader)
        .await?;
        Ok(Gauges {
            pending_deliveries: row.try_get::<i64, _>("pending")?.try_into().unwrap_or(0),
            disabled_endpoints: row.try_get::<i64, _>("disabled")?.try_into().unwrap_or(0),
        })
    }
}
