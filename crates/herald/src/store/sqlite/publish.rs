//! Events on SQLite: publishing (event and deliveries in one commit), and an
//! endpoint's test event.

use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::{Row, SqliteConnection};

use super::{
    placeholders::placeholders,
    pool::SqliteStore,
    publish_statements::{self, Publishing},
};
use crate::{
    domain::{AccountId, EndpointId, Timestamp},
    store::{
        columns::DELIVERY_COLUMNS, sql::rows, Delivery, EventStore, IdempotencyKey, LeaseAhead, NewEvent,
        PublishOutcome, Published, StoreError, StoreResult, StoredEvent,
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
                publish_statements::publish(tx, &sealer, &account, &events, key, first_attempt_at, lease.as_ref())
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
        let id = self
            .hot
            .run(move |tx| publish_statements::publish_test(tx, &account, &endpoint, &event, first_attempt_at))
            .await?;
        let row = sqlx::query(&format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = ?"))
            .bind(id.as_str())
            .fetch_one(&self.reader)
            .await?;
        rows::delivery(&row)
    }
}
