//! Events on PostgreSQL: publishing (handed to the publish group writer,
//! `publish_group.rs`, which commits concurrent publishes together), an
//! endpoint's test event (one transaction of its own), and reading.

use async_trait::async_trait;
use sqlx::{PgConnection, QueryBuilder, Row};

use super::{
    pool::PostgresStore,
    publish_rows::{insert_deliveries, insert_events, DeliveryRow, EventRow},
    publish_statements::Publish,
    rows,
};
use crate::{
    domain::{AccountId, DeliveryId, EndpointId, EventId, EventType, Timestamp},
    store::{
        columns::DELIVERY_COLUMNS, page::fetch_page, Delivery, EventStore, IdempotencyKey, LeaseAhead, NewEvent, Page,
        Paged, PublishOutcome, StoreError, StoreResult, StoredEvent,
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

    async fn list_events(
        &self,
        account: &AccountId,
        event_type: Option<&EventType>,
        page: &Page,
    ) -> StoreResult<Paged<StoredEvent>> {
        let mut query = QueryBuilder::new("SELECT * FROM events WHERE account_id = ");
        query.push_bind(account.as_str().to_owned()).push(" AND NOT is_test");
        if let Some(t) = event_type {
            query.push(" AND event_type = ").push_bind(t.as_str().to_owned());
        }
        fetch_page(&self.pool, &mut query, page, rows::event, |e| e.id.to_string()).await
    }

    async fn events_after(
        &self,
        account: &AccountId,
        event_type: Option<&EventType>,
        after: &EventId,
        limit: u32,
    ) -> StoreResult<Paged<StoredEvent>> {
        let mut query = QueryBuilder::new("SELECT * FROM events WHERE account_id = ");
        query.push_bind(account.as_str()).push(" AND NOT is_test");
        if let Some(t) = event_type {
            query.push(" AND event_type = ").push_bind(t.as_str());
        }
        query.push(" AND seq > COALESCE((SELECT seq FROM events WHERE account_id = ").push_bind(account.as_str());
        query.push(" AND id = ").push_bind(after.as_str());
        query.push("), (SELECT MIN(seq) - 1 FROM events WHERE account_id = ").push_bind(account.as_str());
        query.push(" AND id > ").push_bind(after.as_str());
        query.push("), 9223372036854775807) ORDER BY seq ASC LIMIT ").push_bind(i64::from(limit) + 1);
        let mut found =
            query.build().fetch_all(&self.pool).await?.iter().map(rows::event).collect::<StoreResult<Vec<_>>>()?;
        let more = found.len() > limit as usize;
        found.truncate(limit as usize);
        // Polling resumes from the last event it saw, so the cursor of the next page is that id.
        let next_cursor = if more { found.last().map(|e| e.id.to_string()) } else { None };
        Ok(Paged { items: found, next_cursor })
    }

    async fn last_event_id(&self, account: &AccountId) -> StoreResult<Option<EventId>> {
        let id: Option<String> =
            sqlx::query_scalar("SELECT id FROM events WHERE account_id = $1 ORDER BY seq DESC LIMIT 1")
                .bind(account.as_str())
                .fetch_optional(&self.pool)
                .await?;
        Ok(id.map(EventId::from_trusted))
    }

    async fn get_event(&self, account: &AccountId, id: &EventId) -> StoreResult<StoredEvent> {
        let row = sqlx::query("SELECT * FROM events WHERE id = $1 AND account_id = $2")
            .bind(id.as_str())
            .bind(account.as_str())
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        rows::event(&row)
    }
}
