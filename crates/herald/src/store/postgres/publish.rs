//! Events on PostgreSQL: publishing (handed to the publish group writer,
//! `publish_group.rs`, which commits concurrent publishes together), an
//! endpoint's test event (one transaction of its own).

use async_trait::async_trait;
use sqlx::{PgConnection, Row};

use super::{
    pool::PostgresStore,
    publish_rows::{insert_deliveries, insert_events, DeliveryRow, EventRow},
    publish_statements::Publish,
};
use crate::{
    domain::{AccountId, DeliveryId, EndpointId, Timestamp},
    store::{
        columns::DELIVERY_COLUMNS, sql::rows, Delivery, EventStore, IdempotencyKey, LeaseAhead, NewEvent,
        PublishOutcome, StoreError, StoreResult,
    },
};

/// Takes the next `events` positions of the account's events; returns the
/// first. The account row stays locked until this transaction ends, so the
/// next publish of the account takes its positions after this one committed:
/// positions follow commit order. Taken last before the inserts, so the lock
/// is held as briefly as it can be, and while no other lock is awaited.
async fn claim_positions(conn: &mut PgConnection, account: &AccountId, events: usize) -> StoreResult<i64> {
    let n = i64::try_from(events).map_err(|_| StoreError::Corrupt("too many events in one commit".into()))?;
    let last: i64 =
        sqlx::query_scalar("UPDATE accounts SET event_seq = event_seq + $1 WHERE id = $2 RETURNING event_seq")
            .bind(n)
            .bind(account.as_str())
            .fetch_optional(conn)
            .await?
            .ok_or(StoreError::NotFound)?;
    Ok(last - n + 1)
}

#[async_trait]
impl EventStore for PostgresStore {
    #[tracing::instrument(skip_all, fields(account = %account, events = events.len()))]
    async fn publish(
        &self,
        account: &AccountId,
        events: Vec<NewEvent>,
        idempotency: Option<IdempotencyKey>,
        first_attempt_at: Timestamp,
        lease: Option<LeaseAhead>,
    ) -> StoreResult<PublishOutcome> {
        self.publish.publish(Publish { account: account.clone(), events, idempotency, first_attempt_at, lease }).await
    }

    async fn publish_test(
        &self,
        account: &AccountId,
        endpoint: &EndpointId,
        event: NewEvent,
        first_attempt_at: Timestamp,
    ) -> StoreResult<Delivery> {
        let mut tx = self.pool.begin().await?;
        let found = sqlx::query("SELECT enabled FROM endpoints WHERE id = $1 AND account_id = $2 FOR SHARE")
            .bind(endpoint.as_str())
            .bind(account.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let enabled: bool = found.try_get("enabled")?;
        let seq = claim_positions(&mut tx, account, 1).await?;
        insert_events(&mut tx, &[EventRow { account: account.as_str(), event: &event, seq, is_test: true }]).await?;
        let delivery = DeliveryRow {
            id: DeliveryId::generate(),
            account: account.as_str(),
            event: &event,
            endpoint: endpoint.as_str(),
            enabled,
            ordered: false, // a test event goes at once, outside the endpoint's order
            first_attempt_at,
            lease_until: None,
        };
        insert_deliveries(&mut tx, std::slice::from_ref(&delivery)).await?;
        let row = sqlx::query(&format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = $1"))
            .bind(delivery.id.as_str())
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        rows::delivery(&row)
    }
}
