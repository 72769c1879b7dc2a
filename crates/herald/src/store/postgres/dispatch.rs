//! The dispatcher's side of PostgreSQL: leasing due deliveries (`claim.rs`),
//! recording attempts (`attempt_log.rs`).

use std::sync::Arc;

use async_trait::async_trait;

use super::{claim, pool::PostgresStore};
use crate::{
    domain::{DeliveryId, EndpointId, Timestamp, Verdict},
    store::{Attempt, ClaimedDelivery, DispatchStore, Outcome, StoreResult},
};

#[async_trait]
impl DispatchStore for PostgresStore {
    async fn claim_due(
        &self,
        now: Timestamp,
        limit: u32,
        busy: &[EndpointId],
        lease_until: Timestamp,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        claim::claim(&self.dispatch_pool, &self.sealer, now, limit, busy, lease_until).await
    }

    async fn release(&self, ids: &[DeliveryId]) -> StoreResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = ids.iter().map(DeliveryId::as_str).collect();
        sqlx::query("UPDATE deliveries SET lease_until = NULL WHERE id = ANY($1)")
            .bind(&ids)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn renew_lease(&self, id: &DeliveryId, held: Timestamp, until: Timestamp) -> StoreResult<bool> {
        let renewed = sqlx::query(
            "UPDATE deliveries SET lease_until = $1 WHERE id = $2 AND lease_until = $3 AND status = 'pending'",
        )
        .bind(until.millis())
        .bind(id.as_str())
        .bind(held.millis())
        .execute(&self.pool)
        .await?;
        Ok(renewed.rows_affected() == 1)
    }

    #[tracing::instrument(skip_all, fields(delivery = %claimed.id, n = attempt.n, ?verdict))]
    async fn record_attempt(&self, claimed: &ClaimedDelivery, attempt: &Attempt, verdict: Verdict) -> StoreResult<()> {
        let outcome = Outcome { delivery: claimed.clone(), attempt: attempt.clone(), verdict };
        self.attempts.record(std::slice::from_ref(&outcome)).await
    }

    async fn record_attempts(&self, outcomes: Arc<[Outcome]>) -> StoreResult<()> {
        self.attempts.record(&outcomes).await
    }
}
