//! Events on SQLite: publishing (event and deliveries in one commit) and reading.

use std::{collections::HashMap, sync::Arc};

use async_trait::async_trait;
use sqlx::{QueryBuilder, Row, SqliteConnection};

use super::{fetch_page, placeholders, rows, SqliteStore};
use crate::{
    domain::{AccountId, DeliveryId, EndpointId, EventId, EventType, Timestamp, TypeFilter},
    store::{
        Delivery, EventStore, IdempotencyKey, NewEvent, Page, Paged, PublishOutcome, Published, StoreError,
        StoreResult, StoredEvent,
    },
};

/// An endpoint as publishing sees it.
struct Subscriber {
    id: String,
    filter: TypeFilter,
    enabled: bool,
}

async fn require_account(conn: &mut SqliteConnection, account: &AccountId) -> StoreResult<()> {
    sqlx::query("SELECT 1 FROM accounts WHERE id = ?")
        .bind(account.as_str())
        .fetch_optional(conn)
        .await?
        .map(|_| ())
        .ok_or(StoreError::NotFound)
}

/// Takes the next `n` positions of the account's events; returns the first.
/// Only the writer calls this, so positions follow commit order.
async fn claim_positions(conn: &mut SqliteConnection, account: &AccountId, n: usize) -> StoreResult<i64> {
    let n = i64::try_from(n).map_err(|_| StoreError::Corrupt("too many events in one commit".into()))?;
    let last: i64 =
        sqlx::query_scalar("UPDATE accounts SET event_seq = event_seq + ? WHERE id = ? RETURNING event_seq")
            .bind(n)
            .bind(account.as_str())
            .fetch_optional(conn)
            .await?
            .ok_or(StoreError::NotFound)?;
    Ok(last - n + 1)
}

async fn insert_event(
    conn: &mut SqliteConnection,
    account: &AccountId,
    event: &NewEvent,
    seq: i64,
    is_test: bool,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO events (id, account_id, event_type, created_at, payload, is_test, seq)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(event.id.as_str())
    .bind(account.as_str())
    .bind(event.event_type.as_str())
    .bind(event.created_at.millis())
    .bind(&event.payload)
    .bind(is_test)
    .bind(seq)
    .execute(conn)
    .await
    .map_err(StoreError::from_insert)?;
    Ok(())
}

/// Inserts one delivery: pending for an enabled endpoint, skipped (and missed) otherwise.
async fn insert_delivery(
    conn: &mut SqliteConnection,
    account: &AccountId,
    event: &NewEvent,
    endpoint: &str,
    enabled: bool,
    first_attempt_at: Timestamp,
) -> StoreResult<DeliveryId> {
    let id = DeliveryId::generate();
    let (status, next, missed) =
        if enabled { ("pending", Some(first_attempt_at.millis()), false) } else { ("skipped", None, true) };
    sqlx::query(
        "INSERT INTO deliveries (id, account_id, event_id, endpoint_id, event_type, status, next_attempt_at, missed,
                                 created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(id.as_str())
    .bind(account.as_str())
    .bind(event.id.as_str())
    .bind(endpoint)
    .bind(event.event_type.as_str())
    .bind(status)
    .bind(next)
    .bind(missed)
    .bind(event.created_at.millis())
    .bind(event.created_at.millis())
    .execute(conn)
    .await?;
    Ok(id)
}

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

/// Publishes within the group transaction: the account's subscribers, then
/// each event with its deliveries, and the idempotency key.
async fn publish_in(
    conn: &mut SqliteConnection,
    account: &AccountId,
    events: &[NewEvent],
    idempotency: Option<&IdempotencyKey>,
    first_attempt_at: Timestamp,
) -> StoreResult<PublishOutcome> {
    let tx = conn;
    require_account(tx, account).await?;
    if let Some(key) = idempotency {
        let seen = sqlx::query("SELECT request_hash, event_ids FROM idempotency_keys WHERE account_id = ? AND key = ?")
            .bind(account.as_str())
            .bind(&key.key)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(seen) = seen {
            let hash: String = seen.try_get("request_hash")?;
            if hash != key.request_hash {
                return Ok(PublishOutcome::KeyReused);
            }
            let ids: String = seen.try_get("event_ids")?;
            return Ok(PublishOutcome::Replayed(replay(tx, &ids).await?));
        }
    }
    let subscribers = sqlx::query("SELECT id, event_types, enabled FROM endpoints WHERE account_id = ?")
        .bind(account.as_str())
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| {
            Ok(Subscriber {
                id: r.try_get("id")?,
                filter: rows::type_filter(r.try_get("event_types")?)?,
                enabled: r.try_get("enabled")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let first = claim_positions(&mut *tx, account, events.len()).await?;
    let mut published = Vec::with_capacity(events.len());
    for (seq, event) in (first..).zip(events) {
        insert_event(tx, account, event, seq, false).await?;
        let mut deliveries = 0;
        for s in subscribers.iter().filter(|s| s.filter.matches(&event.event_type)) {
            insert_delivery(tx, account, event, &s.id, s.enabled, first_attempt_at).await?;
            deliveries += 1;
        }
        let NewEvent { id, event_type, created_at, payload } = event.clone();
        published.push(Published { event: StoredEvent { id, event_type, created_at, payload }, deliveries });
    }
    if let Some(key) = idempotency {
        let ids: Vec<&str> = published.iter().map(|p| p.event.id.as_str()).collect();
        sqlx::query("INSERT INTO idempotency_keys (account_id, key, request_hash, event_ids, created_at) VALUES (?, ?, ?, ?, ?)")
        .bind(account.as_str())
        .bind(&key.key)
        .bind(&key.request_hash)
        .bind(ids.join(","))
        .bind(Timestamp::now().millis())
        .execute(&mut *tx)
        .await?;
    }
    Ok(PublishOutcome::Created(published))
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
    ) -> StoreResult<PublishOutcome> {
        let request = Arc::new((account.clone(), events, idempotency));
        self.group
            .run(move |conn| {
                let request = request.clone();
                Box::pin(async move {
                    let (account, events, idempotency) = &*request;
                    publish_in(conn, account, events, idempotency.as_ref(), first_attempt_at).await
                })
            })
            .await
    }

    async fn publish_test(
        &self,
        account: &AccountId,
        endpoint: &EndpointId,
        event: NewEvent,
        first_attempt_at: Timestamp,
    ) -> StoreResult<Delivery> {
        let mut tx = self.writer.begin().await?;
        let found = sqlx::query("SELECT enabled FROM endpoints WHERE id = ? AND account_id = ?")
            .bind(endpoint.as_str())
            .bind(account.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let enabled: bool = found.try_get("enabled")?;
        let seq = claim_positions(&mut tx, account, 1).await?;
        insert_event(&mut tx, account, &event, seq, true).await?;
        let id = insert_delivery(&mut tx, account, &event, endpoint.as_str(), enabled, first_attempt_at).await?;
        let row = sqlx::query("SELECT * FROM deliveries WHERE id = ?").bind(id.as_str()).fetch_one(&mut *tx).await?;
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
        query.push_bind(account.as_str().to_owned()).push(" AND is_test = 0");
        if let Some(t) = event_type {
            query.push(" AND event_type = ").push_bind(t.as_str().to_owned());
        }
        fetch_page(&self.reader, query, page, rows::event, |e| e.id.to_string()).await
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
