//! Events on PostgreSQL: publishing (events and deliveries in one commit,
//! written with multi-row inserts) and reading.
//!
//! An idempotency key is claimed first, with `INSERT … ON CONFLICT DO
//! NOTHING`: of two concurrent publishes with one key, the second waits for
//! the first to commit, inserts nothing, and answers the first's events.

use std::{collections::HashMap, sync::Arc};

use async_trait::async_trait;
use sqlx::{PgConnection, QueryBuilder, Row};

use super::{pool::fetch_page, rows, PostgresStore};
use crate::{
    domain::{AccountId, DeliveryId, EndpointId, EventId, EventType, Timestamp, TypeFilter},
    store::{
        Delivery, EventStore, IdempotencyKey, NewEvent, Page, Paged, PublishOutcome, Published, StoreError,
        StoreResult, StoredEvent,
    },
};

/// Rows per multi-row insert: well under PostgreSQL's 65 535 bind parameters.
const INSERT_CHUNK: usize = 1000;

/// An endpoint as publishing sees it.
struct Subscriber {
    id: String,
    filter: TypeFilter,
    enabled: bool,
}

/// One delivery row to insert.
struct NewDelivery<'a> {
    id: DeliveryId,
    event: &'a NewEvent,
    endpoint: &'a str,
    enabled: bool,
}

async fn require_account(conn: &mut PgConnection, account: &AccountId) -> StoreResult<()> {
    sqlx::query("SELECT 1 FROM accounts WHERE id = $1")
        .bind(account.as_str())
        .fetch_optional(conn)
        .await?
        .map(|_| ())
        .ok_or(StoreError::NotFound)
}

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

/// Inserts events numbered from `first` in the order given.
async fn insert_events(
    conn: &mut PgConnection,
    account: &AccountId,
    events: &[NewEvent],
    first: i64,
    is_test: bool,
) -> StoreResult<()> {
    let numbered: Vec<(i64, &NewEvent)> = (first..).zip(events).collect();
    for chunk in numbered.chunks(INSERT_CHUNK) {
        let mut query =
            QueryBuilder::new("INSERT INTO events (id, account_id, event_type, created_at, payload, is_test, seq) ");
        query.push_values(chunk, |mut row, (seq, event)| {
            row.push_bind(event.id.as_str())
                .push_bind(account.as_str())
                .push_bind(event.event_type.as_str())
                .push_bind(event.created_at.millis())
                .push_bind(&event.payload)
                .push_bind(is_test)
                .push_bind(*seq);
        });
        query.build().execute(&mut *conn).await.map_err(StoreError::from_insert)?;
    }
    Ok(())
}

/// Inserts deliveries: pending for an enabled endpoint, skipped (and missed) otherwise.
async fn insert_deliveries(
    conn: &mut PgConnection,
    account: &AccountId,
    deliveries: &[NewDelivery<'_>],
    first_attempt_at: Timestamp,
) -> StoreResult<()> {
    for chunk in deliveries.chunks(INSERT_CHUNK) {
        let mut query = QueryBuilder::new(
            "INSERT INTO deliveries (id, account_id, event_id, endpoint_id, event_type, status, next_attempt_at,
                                     missed, created_at, updated_at) ",
        );
        query.push_values(chunk, |mut row, d| {
            let (status, next) =
                if d.enabled { ("pending", Some(first_attempt_at.millis())) } else { ("skipped", None) };
            row.push_bind(d.id.as_str())
                .push_bind(account.as_str())
                .push_bind(d.event.id.as_str())
                .push_bind(d.endpoint)
                .push_bind(d.event.event_type.as_str())
                .push_bind(status)
                .push_bind(next)
                .push_bind(!d.enabled)
                .push_bind(d.event.created_at.millis())
                .push_bind(d.event.created_at.millis());
        });
        query.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Rebuilds the answer of an earlier publish from the events it stored.
async fn replay(conn: &mut PgConnection, event_ids: &str) -> StoreResult<Vec<Published>> {
    let ids: Vec<String> = event_ids.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect();
    let mut events: HashMap<String, StoredEvent> = sqlx::query("SELECT * FROM events WHERE id = ANY($1)")
        .bind(&ids)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| rows::event(r).map(|e| (e.id.to_string(), e)))
        .collect::<StoreResult<_>>()?;
    let counts: HashMap<String, i64> =
        sqlx::query("SELECT event_id, COUNT(*) AS n FROM deliveries WHERE event_id = ANY($1) GROUP BY event_id")
            .bind(&ids)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("event_id")?, r.try_get("n")?)))
            .collect::<StoreResult<_>>()?;
    ids.iter()
        .map(|id| {
            let event =
                events.remove(id).ok_or_else(|| StoreError::Corrupt(format!("idempotent event {id} is gone")))?;
            let deliveries = counts.get(id).copied().unwrap_or(0).try_into().unwrap_or(0);
            Ok(Published { event, deliveries })
        })
        .collect()
}

/// Claims an idempotency key for this transaction. `None`: the key is ours
/// (and its event ids are written before commit); `Some`: it was used
/// before, and this is what the caller gets instead.
async fn claim_key(
    conn: &mut PgConnection,
    account: &AccountId,
    key: &IdempotencyKey,
) -> StoreResult<Option<PublishOutcome>> {
    let claimed = sqlx::query(
        "INSERT INTO idempotency_keys (account_id, key, request_hash, event_ids, created_at)
         VALUES ($1, $2, $3, '', $4) ON CONFLICT DO NOTHING",
    )
    .bind(account.as_str())
    .bind(&key.key)
    .bind(&key.request_hash)
    .bind(Timestamp::now().millis())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if claimed == 1 {
        return Ok(None);
    }
    // Taken by a committed publish (the insert waited for it if it was in flight).
    let seen = sqlx::query("SELECT request_hash, event_ids FROM idempotency_keys WHERE account_id = $1 AND key = $2")
        .bind(account.as_str())
        .bind(&key.key)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("idempotency key {} vanished while it was read", key.key)))?;
    let hash: String = seen.try_get("request_hash")?;
    if hash != key.request_hash {
        return Ok(Some(PublishOutcome::KeyReused));
    }
    let ids: String = seen.try_get("event_ids")?;
    Ok(Some(PublishOutcome::Replayed(replay(conn, &ids).await?)))
}

/// Publishes within the group transaction: subscribers, positions, events,
/// deliveries and the idempotency key.
async fn publish_in(
    tx: &mut PgConnection,
    account: &AccountId,
    events: &[NewEvent],
    idempotency: Option<&IdempotencyKey>,
    first_attempt_at: Timestamp,
) -> StoreResult<PublishOutcome> {
    require_account(&mut *tx, account).await?;
    if let Some(key) = idempotency {
        if let Some(earlier) = claim_key(&mut *tx, account, key).await? {
            return Ok(earlier);
        }
    }
    // FOR SHARE: an endpoint cannot be disabled, re-enabled or deleted
    // between reading its flag and committing its deliveries.
    let subscribers = sqlx::query("SELECT id, event_types, enabled FROM endpoints WHERE account_id = $1 FOR SHARE")
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
    let mut deliveries = Vec::new();
    let mut counts = Vec::with_capacity(events.len());
    for event in events {
        let before = deliveries.len();
        for s in subscribers.iter().filter(|s| s.filter.matches(&event.event_type)) {
            deliveries.push(NewDelivery { id: DeliveryId::generate(), event, endpoint: &s.id, enabled: s.enabled });
        }
        counts.push((deliveries.len() - before) as u64);
    }
    let first = claim_positions(&mut *tx, account, events.len()).await?;
    insert_events(&mut *tx, account, events, first, false).await?;
    insert_deliveries(&mut *tx, account, &deliveries, first_attempt_at).await?;
    drop(deliveries);
    if let Some(key) = idempotency {
        let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
        sqlx::query("UPDATE idempotency_keys SET event_ids = $1 WHERE account_id = $2 AND key = $3")
            .bind(ids.join(","))
            .bind(account.as_str())
            .bind(&key.key)
            .execute(&mut *tx)
            .await?;
    }
    let published = events
        .iter()
        .cloned()
        .zip(counts)
        .map(|(NewEvent { id, event_type, created_at, payload }, deliveries)| Published {
            event: StoredEvent { id, event_type, created_at, payload },
            deliveries,
        })
        .collect();
    Ok(PublishOutcome::Created(published))
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
        let mut tx = self.pool.begin().await?;
        let found = sqlx::query("SELECT enabled FROM endpoints WHERE id = $1 AND account_id = $2 FOR SHARE")
            .bind(endpoint.as_str())
            .bind(account.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let enabled: bool = found.try_get("enabled")?;
        let id = DeliveryId::generate();
        let seq = claim_positions(&mut tx, account, 1).await?;
        insert_events(&mut tx, account, std::slice::from_ref(&event), seq, true).await?;
        let delivery = NewDelivery { id, event: &event, endpoint: endpoint.as_str(), enabled };
        insert_deliveries(&mut tx, account, std::slice::from_ref(&delivery), first_attempt_at).await?;
        let row = sqlx::query("SELECT * FROM deliveries WHERE id = $1")
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
        fetch_page(&self.pool, query, page, rows::event, |e| e.id.to_string()).await
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
