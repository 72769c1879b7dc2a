//! Publishing on the hot writer's connection: an event and its deliveries,
//! with the account's commit-order positions and the idempotency key.

use std::sync::LazyLock;

use rusqlite::{params, OptionalExtension, Transaction};

use super::claim::target;

use crate::{
    domain::{AccountId, DeliveryId, EndpointId, EventData, Subscription, Timestamp},
    store::{
        columns,
        lease_ahead::{Leases, Secrets},
        target::{Target, TARGET_COLUMNS},
        ClaimedDelivery, IdempotencyKey, LeaseAhead, NewEvent, Published, Sealer, StoreError, StoreResult, StoredEvent,
    },
};

/// What a publish came to inside the transaction.
pub enum Publishing {
    /// The events are stored, with their deliveries; some leased to this process.
    Created {
        /// The events.
        published: Vec<Published>,
        /// Their deliveries leased to this process.
        leased: Vec<ClaimedDelivery>,
        /// Whether some pending ones were not leased.
        unleased: bool,
    },
    /// The idempotency key was used before with another request.
    KeyReused,
    /// The idempotency key was used before with this request: these events (comma-separated ids).
    Replay(String),
}

/// An endpoint as publishing sees it.
struct Subscriber {
    id: String,
    filter: Subscription,
    enabled: bool,
    /// Whether its deliveries go one at a time, in publish order.
    ordered: bool,
    /// Where its leased deliveries go, and who signs them.
    target: Target,
}

/// Publishes `events` for `account` within the group transaction; with
/// `lease`, the first deliveries to endpoints with room are leased to this
/// process in the same commit and returned, ready to send.
pub fn publish(
    tx: &Transaction<'_>,
    sealer: &Sealer,
    account: &AccountId,
    events: &[NewEvent],
    idempotency: Option<&IdempotencyKey>,
    first_attempt_at: Timestamp,
    lease: Option<&LeaseAhead>,
) -> StoreResult<Publishing> {
    if let Some(key) = idempotency {
        let seen: Option<(String, String)> = tx
            .prepare_cached("SELECT request_hash, event_ids FROM idempotency_keys WHERE account_id = ? AND key = ?")?
            .query_row(params![account.as_str(), key.key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((hash, ids)) = seen {
            return Ok(if hash == key.request_hash { Publishing::Replay(ids) } else { Publishing::KeyReused });
        }
    }
    let first = claim_positions(tx, account, events.len())?;
    let subscribers = subscribers(tx, account)?;
    let mut published = Vec::with_capacity(events.len());
    let (mut leases, mut secrets) = (Leases::new(lease), Secrets::new(sealer));
    for (seq, event) in (first..).zip(events) {
        insert_event(tx, account, event, seq, false)?;
        let mut deliveries = 0;
        let data = EventData::of(&event.payload);
        for s in subscribers.iter().filter(|s| s.filter.matches(&event.event_type, &data)) {
            let lease_until = leases.take(&s.id, s.enabled, s.ordered);
            let place = Placed { enabled: s.enabled, fifo_seq: s.ordered.then_some(seq), lease_until };
            let id = insert_delivery(tx, account, event, &s.id, first_attempt_at, place)?;
            if lease_until.is_some() {
                leases.leased.push(secrets.claimed(&id, &s.id, &s.target, event)?);
            }
            deliveries += 1;
        }
        let NewEvent { id, event_type, created_at, payload } = event.clone();
        published.push(Published { event: StoredEvent { id, event_type, created_at, payload }, deliveries });
    }
    if let Some(key) = idempotency {
        let ids: Vec<&str> = published.iter().map(|p| p.event.id.as_str()).collect();
        tx.prepare_cached(
            "INSERT INTO idempotency_keys (account_id, key, request_hash, event_ids, created_at) VALUES (?, ?, ?, ?, ?)",
        )?
        .execute(params![account.as_str(), key.key, key.request_hash, ids.join(","), Timestamp::now().millis()])?;
    }
    Ok(Publishing::Created { published, leased: leases.leased, unleased: leases.unleased })
}

/// Stores a test event and its one delivery, to `endpoint` alone; the delivery's id.
pub fn publish_test(
    tx: &Transaction<'_>,
    account: &AccountId,
    endpoint: &EndpointId,
    event: &NewEvent,
    first_attempt_at: Timestamp,
) -> StoreResult<DeliveryId> {
    let enabled: bool = tx
        .prepare_cached("SELECT enabled FROM endpoints WHERE id = ? AND account_id = ?")?
        .query_row(params![endpoint.as_str(), account.as_str()], |r| r.get(0))
        .optional()?
        .ok_or(StoreError::NotFound)?;
    let seq = claim_positions(tx, account, 1)?;
    insert_event(tx, account, event, seq, true)?;
    // A test event goes at once, outside an ordered endpoint's order.
    let place = Placed { enabled, fifo_seq: None, lease_until: None };
    insert_delivery(tx, account, event, endpoint.as_str(), first_attempt_at, place)
}

/// Takes the next `n` commit-order positions of the account's events; the first of them.
fn claim_positions(tx: &Transaction<'_>, account: &AccountId, n: usize) -> StoreResult<i64> {
    let n = i64::try_from(n).map_err(|_| StoreError::Corrupt("too many events in one commit".into()))?;
    let last: i64 = tx
        .prepare_cached("UPDATE accounts SET event_seq = event_seq + ? WHERE id = ? RETURNING event_seq")?
        .query_row(params![n, account.as_str()], |r| r.get(0))
        .optional()?
        .ok_or(StoreError::NotFound)?;
    Ok(last - n + 1)
}

/// The statement of [`subscribers`], written out once.
static SUBSCRIBERS_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT e.id, e.event_types, e.content_filter, e.enabled, e.ordered, {TARGET_COLUMNS} FROM endpoints e
          WHERE e.account_id = ?"
    )
});

/// The account's endpoints, with what a leased delivery needs of each.
fn subscribers(tx: &Transaction<'_>, account: &AccountId) -> StoreResult<Vec<Subscriber>> {
    let mut statement = tx.prepare_cached(&SUBSCRIBERS_SQL)?;
    let mut rows = statement.query(params![account.as_str()])?;
    let mut subscribers = Vec::new();
    while let Some(r) = rows.next()? {
        subscribers.push(Subscriber {
            id: r.get("id")?,
            filter: columns::subscription(r.get("event_types")?, r.get("content_filter")?)?,
            enabled: r.get("enabled")?,
            ordered: r.get("ordered")?,
            target: target(r)?,
        });
    }
    Ok(subscribers)
}

fn insert_event(
    tx: &Transaction<'_>,
    account: &AccountId,
    event: &NewEvent,
    seq: i64,
    is_test: bool,
) -> StoreResult<()> {
    tx.prepare_cached(
        "INSERT INTO events (id, account_id, event_type, created_at, payload, is_test, seq)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![
        event.id.as_str(),
        account.as_str(),
        event.event_type.as_str(),
        event.created_at.millis(),
        event.payload,
        is_test,
        seq
    ])
    .map_err(StoreError::from_sqlite_insert)?;
    Ok(())
}

/// Where a new delivery stands.
struct Placed {
    /// Whether its endpoint is enabled: pending if so, skipped (and missed) otherwise.
    enabled: bool,
    /// Its event's position, if its endpoint takes deliveries in order.
    fifo_seq: Option<i64>,
    /// Until when this process holds it, if the publish leased it.
    lease_until: Option<Timestamp>,
}

/// Inserts one delivery.
fn insert_delivery(
    tx: &Transaction<'_>,
    account: &AccountId,
    event: &NewEvent,
    endpoint: &str,
    first_attempt_at: Timestamp,
    Placed { enabled, fifo_seq, lease_until }: Placed,
) -> StoreResult<DeliveryId> {
    let id = DeliveryId::generate();
    let (status, next, missed) =
        if enabled { ("pending", Some(first_attempt_at.millis()), false) } else { ("skipped", None, true) };
    tx.prepare_cached(
        "INSERT INTO deliveries (id, account_id, event_id, endpoint_id, event_type, status, next_attempt_at, missed,
                                 created_at, updated_at, lease_until, fifo_seq)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![
        id.as_str(),
        account.as_str(),
        event.id.as_str(),
        endpoint,
        event.event_type.as_str(),
        status,
        next,
        missed,
        event.created_at.millis(),
        event.created_at.millis(),
        lease_until.map(Timestamp::millis),
        fifo_seq
    ])?;
    Ok(id)
}
