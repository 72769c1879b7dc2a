//! The outbox of endpoint changes: rows written beside a disable or a
//! re-enable (`disable.rs`, `endpoints.rs`), read oldest first by the relay
//! that publishes them as operational events, and dropped once published.

use async_trait::async_trait;

use super::{
    bounds::{Arg, Col},
    dialect::Engine,
    rows,
};
use crate::{
    domain::{DeliveryId, DisabledCause, EndpointId, EventId, Timestamp},
    store::{Attempt, ChangeKind, ChangeStore, EndpointChange, StoreError, StoreResult},
};

#[async_trait]
impl<S: Engine> ChangeStore for S {
    async fn endpoint_changes(&self, limit: u32) -> StoreResult<Vec<EndpointChange>> {
        let rows = sqlx::query("SELECT * FROM endpoint_changes ORDER BY id LIMIT $1")
            .arg(i64::from(limit))
            .fetch_all(self.reads())
            .await?;
        let mut changes = Vec::with_capacity(rows.len());
        for row in &rows {
            let change: String = row.col("change")?;
            let kind = match change.as_str() {
                "enabled" => {
                    ChangeKind::Enabled { redeliver_missed: row.col::<Option<bool>>("redeliver_missed")? == Some(true) }
                }
                "disabled" => {
                    let cause: Option<String> = row.col("cause")?;
                    let attempt = row.col::<Option<String>>("delivery_id")?.zip(row.col::<Option<i64>>("attempt_n")?);
                    ChangeKind::Disabled {
                        cause: cause.as_deref().and_then(DisabledCause::parse).unwrap_or(DisabledCause::Manual),
                        reason: row.col::<Option<String>>("reason")?.unwrap_or_default(),
                        last_attempt: match attempt {
                            Some((delivery, n)) => logged_attempt(self, delivery, n).await?,
                            None => None,
                        },
                    }
                }
                other => return Err(StoreError::Corrupt(format!("endpoint_changes.change: `{other}`"))),
            };
            changes.push(EndpointChange {
                id: row.col("id")?,
                account_id: rows::account_id(row, "account_id")?,
                endpoint_id: EndpointId::from_trusted(row.col("endpoint_id")?),
                url: row.col("url")?,
                kind,
                at: Timestamp::from_millis(row.col("at")?),
            });
        }
        Ok(changes)
    }

    async fn forget_endpoint_change(&self, id: i64) -> StoreResult<()> {
        sqlx::query("DELETE FROM endpoint_changes WHERE id = $1").arg(id).execute(self.writes()).await?;
        Ok(())
    }
}

/// Attempt `n` of a delivery, with the delivery's event, if still logged.
async fn logged_attempt<S: Engine>(
    store: &S,
    delivery: String,
    n: i64,
) -> StoreResult<Option<(DeliveryId, EventId, Attempt)>> {
    let row = sqlx::query(
        "SELECT a.*, d.event_id FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
              WHERE a.delivery_id = $1 AND a.n = $2",
    )
    .arg(delivery.clone())
    .arg(n)
    .fetch_optional(store.reads())
    .await?;
    row.map(|r| Ok((DeliveryId::from_trusted(delivery), EventId::from_trusted(r.col("event_id")?), rows::attempt(&r)?)))
        .transpose()
}
