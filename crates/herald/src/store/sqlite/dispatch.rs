//! The dispatcher's side of SQLite: leasing due deliveries, recording attempts.

use std::sync::Arc;

use async_trait::async_trait;

use super::{claim, outcome, placeholders::placeholders, pool::SqliteStore};
use crate::{
    domain::{DeliveryId, EndpointId, Timestamp, Verdict},
    store::{Attempt, ClaimedDelivery, DispatchStore, Outcome, StoreResult},
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
        let (sealer, busy) = (self.sealer.clone(), busy.to_vec());
        self.hot.run(move |tx| claim::claim(tx, &sealer, now, limit, &busy, lease_until)).await
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

    async fn renew_lease(&self, id: &DeliveryId, held: Timestamp, until: Timestamp) -> StoreResult<bool> {
        let id = id.clone();
        self.hot.run(move |tx| claim::renew_lease(tx, &id, held, until)).await
    }

    #[tracing::instrument(skip_all, fields(delivery = %claimed.id, n = attempt.n, ?verdict))]
    async fn record_attempt(&self, claimed: &ClaimedDelivery, attempt: &Attempt, verdict: Verdict) -> StoreResult<()> {
        let (claimed, attempt) = (claimed.clone(), attempt.clone());
        self.hot.run(move |tx| outcome::record(tx, &claimed, &attempt, verdict)).await
    }

    async fn record_attempts(&self, outcomes: Arc<[Outcome]>) -> StoreResult<()> {
        self.hot
            .run(move |tx| outcomes.iter().try_for_each(|o| outcome::record(tx, &o.delivery, &o.attempt, o.verdict)))
            .await
    }
}
