//! Events on SQLite: publishing (event and deliveries in one commit) and reading.

use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::{QueryBuilder, Row, SqliteConnection};

use super::{
    hot_events::{self, Publishing},
    placeholders::placeholders,
    pool::SqliteStore,
    rows,
};
use crate::{
    domain::{AccountId, EndpointId, EventId, EventType, Timestamp},
    store::{
        columns::DELIVERY_COLUMNS, page::fetch_page, Delivery, EventStore, IdempotencyKey, LeaseAhead, NewEvent, Page,
        Paged, PublishOutcome, Published, StoreError, StoreResult, StoredEvent,
    },
};

/// Rebuilds the answer of an earlier publish from the events it stored.
async fn replay(conn: &mut SqliteConnection, event_ids: &str) -> StoreResult<Vec<Published>> {
    let ids: Vec<&str> = event_ids.split(',').filter(|s| !s.is_empty()).collect();
    let sql = format!("SELECT * FROM events WHERE id IN ({})", placeholders(ids.len()));
    let mut query = sqlx::query(&sql);
    for id in &ids {
        query = query.bind(*id);
    }
    let mut events: HashMap<String, StoredEvent> = query
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| rows::event(r).map(|e| (e.id.to_string(), e)))
        .collect::<StoreResult<_>>()?;
    let sql = format!(
        "SELECT event_id, COUNT(*) AS n FROM deliveries WHERE event_id IN ({}) GROUP BY event_id",
        placeholders(ids.len())
    );
    let mut query = sqlx::query(&sql);
    for id in &ids {
        query = query.bind(*id);
    }
    let counts: HashMap<String, i64> = query
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("event_id")?, r.try_get("n")?)))
        .collect::<StoreResult<_>>()?;
    ids.iter()
        .map(|id| {
            let event =
                events.remove(*id).ok_or_else(|| StoreError::Corrupt(format!("idempotent event {id} is gone")))?;
            let deliveries = counts.get(*id).copied().unwrap_or(0).try_into().unwrap_or(0);
            Ok(Published { event, deliveries })
        })
        .collect()
}

#[async_trait]
impl EventStore for SqliteStore {
    #[tracing::instrument(skip_all, fields(account = %account, events = events.len()))]
    async fn publish(
        &self,
        account: &AccountId,
        events: Vec<NewEvent>,
        idempotency: Option<IdempotencyKey>,
        first_attempt_at: Timestamp,
        lease: Option<LeaseAhead>,
    ) -> StoreResult<PublishOutcome> {
        let (account, sealer) = (account.clone(), self.sealer.clone());
        let publishing = self
            .hot
            .run(move |tx| {
                let key = idempotency.as_ref();
                hot_events::publish(tx, &sealer, &account, &events, key, first_attempt_at, lease.as_ref())
            })
            .await?;
        match publishing {
            Publishing::Created { published, leased, unleased } => {
                Ok(PublishOutcome::Created { published, leased, unleased })
            }
            Publishing::KeyReused => Ok(PublishOutcome::KeyReused),
            Publishing::Replay(ids) => {
                let mut conn = self.reader.acquire().await?;
                Ok(PublishOutcome::Replayed(replay(&mut conn, &ids).await?))
            }
        }
    }

    async fn publish_test(
        &self,
        account: &AccountId,
        endpoint: &EndpointId,
        event: NewEvent,
        first_attempt_at: Timestamp,
    ) -> StoreResult<Delivery> {
        let (account, endpoint) = (account.clone(), endpoint.clone());
        let id =
            self.hot.run(move |tx| hot_events::publish_test(tx, &account, &endpoint, &event, first_attempt_at)).await?;
        let row = sqlx::query(&format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = ?"))
            .bind(id.as_str())
            .fetch_one(&self.reader)
            .await?;
        rows::delivery(&row)
    }

    async fn list_events(
        &self,
        account: &AccountId,
        event_type: Option<&EventType>,
        page: &Page,
    ) -> StoreResult<Paged<StoredEvent>> {
        let mut query = QueryBuilder::new("SELECT * FROM events WHERE account_id = ");
        query.push_bind(account.as_str().to_owned()).push(" AND is_test = 0");
        if let Some(t) = event_type {
            query.push(" AND event_type = ").push_bind(t.as_str().to_owned());
        }
        fetch_page(&self.reader, &mut query, page, rows::event, |e| e.id.to_string()).await
    }

    async fn events_after(
        &self,
        account: &AccountId,
        event_type: Option<&EventType>,
        after: &EventId,
        limit: u32,
    ) -> StoreResult<Paged<StoredEvent>> {
        let mut found = sqlx::query(
            "SELECT * FROM events WHERE account_id = ? AND is_test = 0 AND (? IS NULL OR event_type = ?)
               AND seq > COALESCE((SELECT seq FROM events WHERE account_id = ? AND id = ?),
                                  (SELECT MIN(seq) - 1 FROM events WHERE account_id = ? AND id > ?),
                                  9223372036854775807)
             ORDER BY seq ASC LIMIT ?",
        )
        .bind(account.as_str())
        .bind(event_type.map(EventType::as_str))
        .bind(event_type.map(EventType::as_str))
        .bind(account.as_str())
        .bind(after.as_str())
        .bind(account.as_str())
        .bind(after.as_str())
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(rows::event)
        .collect::<StoreResult<Vec<_>>>()?;
        let more = found.len() > limit as usize;
        found.truncate(limit as usize);
        // Polling resumes from the last event it saw, so the cursor of the next page is that id.
        let next_cursor = if more { found.last().map(|e| e.id.to_string()) } else { None };
        Ok(Paged { items: found, next_cursor })
    }

    async fn last_event_id(&self, account: &AccountId) -> StoreResult<Option<EventId>> {
        let id: Option<String> =
            sqlx::query_scalar("SELECT id FROM events WHERE account_id = ? ORDER BY seq DESC LIMIT 1")
                .bind(account.as_str())
                .fetch_optional(&self.reader)
                .await?;
        Ok(id.map(EventId::from_trusted))
    }

    async fn get_event(&self, account: &AccountId, id: &EventId) -> StoreResult<StoredEvent> {
        let row = sqlx::query("SELECT * FROM events WHERE id = ? AND account_id = ?")
            .bind(id.as_str())
            .bind(account.as_str())
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound)?;
        rows::event(&row)
    }
}
