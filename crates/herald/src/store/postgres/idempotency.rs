//! Idempotency keys on PostgreSQL: claiming a key inside a publish's
//! transaction, and answering a repeat with what the first publish stored.
//!
//! A key is claimed with `INSERT … ON CONFLICT DO NOTHING`: of two concurrent
//! publishes with one key, the second waits for the first to commit, inserts
//! nothing, and answers the first's events. The claiming row carries the
//! event ids of its publish from the start, so whatever reads it after the
//! commit finds them.

use std::collections::HashMap;

use sqlx::{PgConnection, Row};

use crate::{
    domain::{AccountId, Timestamp},
    store::{sql::rows, IdempotencyKey, PublishOutcome, Published, StoreError, StoreResult, StoredEvent},
};

/// Claims an idempotency key for this transaction, for the events `event_ids`
/// (comma-separated). `None`: the key is ours, and the ids are written with
/// it; `Some`: it was used before (and committed), and this is what the caller
/// gets instead.
pub(super) async fn claim_key(
    conn: &mut PgConnection,
    account: &AccountId,
    key: &IdempotencyKey,
    event_ids: &str,
) -> StoreResult<Option<PublishOutcome>> {
    let claimed = sqlx::query(
        "INSERT INTO idempotency_keys (account_id, key, request_hash, event_ids, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(account.as_str())
    .bind(&key.key)
    .bind(&key.request_hash)
    .bind(event_ids)
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
