//! The statements of one publish group, inside the group's transaction:
//!
//! 1. only when a publish of the group has an idempotency key,
//!    `SELECT id FROM accounts WHERE id = ANY($1)`: a publish to a missing
//!    account is answered [`StoreError::NotFound`] alone (the keys below
//!    need their account);
//! 2. the idempotency keys, one `INSERT … ON CONFLICT DO NOTHING` per keyed
//!    publish (they are rare), in key order;
//! 3. one `SELECT … FROM endpoints … FOR SHARE` for every account of the group;
//! 4. one statement (`publish_rows.rs`, [`insert_placed`]) that takes the
//!    positions of every account's events, handed out in queue order, and
//!    inserts the events and their deliveries (more only for groups of many
//!    thousand rows); a publish whose account it did not find is answered
//!    `NotFound` alone. The deliveries each publish hands off to the
//!    dispatcher are inserted leased (`store/lease_ahead.rs`) and come back
//!    in its outcome.
//!
//! A group without keys is therefore `BEGIN`, two statements and `COMMIT`.
//!
//! Two things differ from running each publish's statements in turn. A key
//! met twice in one group is claimed once, by the first publish in queue
//! order; the second is answered from the first's events (a replay, or a
//! reused key), since those events are only inserted at step 4. And a
//! claimed key carries its event ids from the claiming insert on, rather
//! than from an update after the event inserts.
//!
//! Locks are taken in one order by every group (and by every other
//! transaction of the store): idempotency keys first, in (account, key)
//! order; endpoint rows next, shared, in id order; account rows last, in id
//! order, held only while the inserts run and waiting on nothing else. Two
//! groups (of two nodes) therefore never wait on each other in a cycle.

use std::{
    collections::{HashMap, HashSet},
    sync::LazyLock,
};

use sqlx::{PgConnection, Row};

use super::{
    idempotency::claim_key,
    publish_rows::{
        insert_deliveries, insert_placed, place_ordered, DeliveryRow, EventRow, DELIVERY_CHUNK, EVENT_CHUNK,
    },
};
use crate::{
    domain::{AccountId, DeliveryId, EventData, Subscription, Timestamp},
    store::{
        columns,
        lease_ahead::{Leases, Secrets},
        sql::rows::target,
        target::{Target, TARGET_COLUMNS},
        ClaimedDelivery, IdempotencyKey, LeaseAhead, NewEvent, PublishOutcome, Published, Sealer, StoreError,
        StoreResult, StoredEvent,
    },
};

/// One publish, as the group writes it.
#[derive(Debug)]
pub(super) struct Publish {
    /// The account publishing.
    pub account: AccountId,
    /// Its events, in the order they take positions.
    pub events: Vec<NewEvent>,
    /// The caller's `Idempotency-Key`, if it sent one.
    pub idempotency: Option<IdempotencyKey>,
    /// When the first attempt of each new pending delivery is due.
    pub first_attempt_at: Timestamp,
    /// Room the dispatcher reserved for this publish's deliveries: those it
    /// leases in the commit come back in its outcome (`store/lease_ahead.rs`).
    pub lease: Option<LeaseAhead>,
}

/// Where a publish of the group stands while the group is written.
enum Fate {
    /// Answered without writing: a missing account, a replayed or reused key.
    Answered(StoreResult<PublishOutcome>),
    /// Writes its events (and has claimed its key, if it has one).
    Writes,
    /// Has the account and key of the publish at this index, which claimed the
    /// key earlier in this very transaction: its events are not in the table
    /// yet, so the answer is made from that publish's own.
    SameKeyAs(usize),
}

/// An endpoint as publishing sees it.
struct Subscriber {
    id: String,
    filter: Subscription,
    enabled: bool,
    /// Whether its deliveries go one at a time, in publish order.
    ordered: bool,
    /// Where a delivery handed off to the dispatcher goes, and who signs it.
    target: Target,
}

/// What one writer publish wrote.
#[derive(Default)]
struct Written {
    /// The deliveries each of its events made, in event order.
    counts: Vec<u64>,
    /// Those of them leased to this process in the commit, ready to send.
    leased: Vec<ClaimedDelivery>,
    /// Whether some pending one was left for a claim.
    unleased: bool,
}

/// Writes `publishes` within the transaction on `tx`; each one's outcome, in
/// order. `Err` when the group must roll back.
pub(super) async fn write_group(
    tx: &mut PgConnection,
    sealer: &Sealer,
    publishes: &[&Publish],
) -> StoreResult<Vec<StoreResult<PublishOutcome>>> {
    let keyed = publishes.iter().any(|p| p.idempotency.is_some());
    let mut fates = if keyed {
        existing_accounts(&mut *tx, publishes).await?
    } else {
        publishes.iter().map(|_| Fate::Writes).collect() // step 4 finds the missing accounts
    };
    claim_keys(&mut *tx, publishes, &mut fates).await?;
    let writers: Vec<usize> = (0..publishes.len()).filter(|&i| matches!(fates[i], Fate::Writes)).collect();
    let mut written = Vec::new();
    if !writers.is_empty() {
        let found;
        (written, found) = write_events(&mut *tx, sealer, publishes, &writers).await?;
        for &i in &writers {
            if !found.contains(publishes[i].account.as_str()) {
                fates[i] = Fate::Answered(Err(StoreError::NotFound));
            }
        }
    }
    let mut outcomes = Vec::with_capacity(publishes.len());
    for (i, fate) in fates.into_iter().enumerate() {
        outcomes.push(match fate {
            Fate::Answered(outcome) => outcome,
            Fate::Writes => {
                let published = published(&publishes[i].events, counts(&written, i));
                // Only the leases are taken: a later publish with the same key replays these counts.
                let (leased, unleased) =
                    written.get_mut(i).map_or((Vec::new(), false), |w| (std::mem::take(&mut w.leased), w.unleased));
                Ok(PublishOutcome::Created { published, leased, unleased })
            }
            Fate::SameKeyAs(first) => {
                let hash = |j: usize| publishes[j].idempotency.as_ref().map(|k| k.request_hash.as_str());
                if hash(i) == hash(first) {
                    Ok(PublishOutcome::Replayed(published(&publishes[first].events, counts(&written, first))))
                } else {
                    Ok(PublishOutcome::KeyReused)
                }
            }
        });
    }
    Ok(outcomes)
}

/// The deliveries made by each event of the publish at `i` (none for a non-writer).
fn counts(written: &[Written], i: usize) -> &[u64] {
    written.get(i).map_or(&[][..], |w| w.counts.as_slice())
}

/// Step 1: [`Fate::Writes`] for each publish whose account exists, `NotFound` otherwise.
async fn existing_accounts(tx: &mut PgConnection, publishes: &[&Publish]) -> StoreResult<Vec<Fate>> {
    let ids: Vec<&str> = publishes.iter().map(|p| p.account.as_str()).collect::<HashSet<_>>().into_iter().collect();
    let found: HashSet<String> = sqlx::query_scalar("SELECT id FROM accounts WHERE id = ANY($1)")
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
    let fate = |p: &&Publish| match found.contains(p.account.as_str()) {
        true => Fate::Writes,
        false => Fate::Answered(Err(StoreError::NotFound)),
    };
    Ok(publishes.iter().map(fate).collect())
}

/// Step 2: claims the key of every keyed publish still writing, in (account,
/// key) order so that two groups claiming the same keys wait on each other
/// in one order. The first publish of a key in queue order claims it; a later
/// one with the same key becomes [`Fate::SameKeyAs`] the first, as it would
/// had it come in the next group.
async fn claim_keys(tx: &mut PgConnection, publishes: &[&Publish], fates: &mut [Fate]) -> StoreResult<()> {
    let key_of = |i: usize| publishes[i].idempotency.as_ref().map(|k| (publishes[i].account.as_str(), k.key.as_str()));
    let mut keyed: Vec<usize> =
        (0..publishes.len()).filter(|&i| matches!(fates[i], Fate::Writes) && key_of(i).is_some()).collect();
    keyed.sort_by_key(|&i| key_of(i)); // stable: one key's publishes stay in queue order
    let mut claimed: HashMap<(&str, &str), usize> = HashMap::new();
    for i in keyed {
        let (Some(account_key), Some(key)) = (key_of(i), publishes[i].idempotency.as_ref()) else {
            continue;
        };
        if let Some(&first) = claimed.get(&account_key) {
            fates[i] = Fate::SameKeyAs(first);
            continue;
        }
        let ids: Vec<&str> = publishes[i].events.iter().map(|e| e.id.as_str()).collect();
        match claim_key(&mut *tx, &publishes[i].account, key, &ids.join(",")).await? {
            None => {
                claimed.insert(account_key, i);
            }
            Some(earlier) => fates[i] = Fate::Answered(Ok(earlier)),
        }
    }
    Ok(())
}

/// Steps 3 and 4 for the publishes at `writers`: what each wrote, by
/// publish index (nothing for a publish that is not a writer), and the
/// accounts found. Each writer leases under its own [`Publish::lease`], so a
/// publish leases the same whether it is written in a group or alone.
async fn write_events(
    tx: &mut PgConnection,
    sealer: &Sealer,
    publishes: &[&Publish],
    writers: &[usize],
) -> StoreResult<(Vec<Written>, HashSet<String>)> {
    let mut accounts: Vec<&str> = writers.iter().map(|&i| publishes[i].account.as_str()).collect();
    accounts.sort_unstable();
    accounts.dedup();
    // Endpoint rows before the account rows: locking the endpoints may wait
    // (on an endpoint being disabled or deleted), while the account rows are
    // exclusive and every other publish of those accounts queues behind them,
    // so they are taken last, held only while the inserts run, and held
    // while waiting on no other lock.
    let subscribers = lock_subscribers(&mut *tx, &accounts).await?;

    let none = Vec::new();
    let mut secrets = Secrets::new(sealer);
    let mut written: Vec<Written> = std::iter::repeat_with(Written::default).take(publishes.len()).collect();
    let mut deliveries: Vec<DeliveryRow<'_>> = Vec::new();
    for &i in writers {
        let p = publishes[i];
        let subscribers = subscribers.get(p.account.as_str()).unwrap_or(&none);
        let mut leases = Leases::new(p.lease.as_ref());
        for event in &p.events {
            let mut made = 0;
            let data = EventData::of(&event.payload);
            for s in subscribers.iter().filter(|s| s.filter.matches(&event.event_type, &data)) {
                let id = DeliveryId::generate();
                let lease_until = leases.take(&s.id, s.enabled, s.ordered);
                if lease_until.is_some() {
                    leases.leased.push(secrets.claimed(&id, &s.id, &s.target, event)?);
                }
                deliveries.push(DeliveryRow {
                    id,
                    account: p.account.as_str(),
                    event,
                    endpoint: &s.id,
                    enabled: s.enabled,
                    ordered: s.ordered,
                    first_attempt_at: p.first_attempt_at,
                    lease_until,
                });
                made += 1;
            }
            written[i].counts.push(made);
        }
        (written[i].leased, written[i].unleased) = (leases.leased, leases.unleased);
    }

    // The events in chunks, each placed after the last (within an account,
    // in queue order); the first chunk of deliveries rides with the last
    // chunk of events, and the rest follow.
    let events: Vec<(&str, &NewEvent)> = writers
        .iter()
        .flat_map(|&i| publishes[i].events.iter().map(move |e| (publishes[i].account.as_str(), e)))
        .collect();
    let chunks: Vec<&[(&str, &NewEvent)]> = events.chunks(EVENT_CHUNK).collect();
    let (first_deliveries, later_deliveries) = deliveries.split_at(deliveries.len().min(DELIVERY_CHUNK));
    let mut found = HashSet::new();
    for (n, chunk) in chunks.iter().enumerate() {
        let mut places: HashMap<&str, i64> = HashMap::new();
        let rows: Vec<EventRow<'_>> = chunk
            .iter()
            .map(|&(account, event)| {
                let place = places.entry(account).or_default();
                *place += 1;
                EventRow { account, event, seq: *place, is_test: false }
            })
            .collect();
        let riding = if n + 1 == chunks.len() { first_deliveries } else { &[] };
        found.extend(insert_placed(&mut *tx, &rows, riding).await?);
    }
    insert_deliveries(&mut *tx, later_deliveries).await?;
    place_ordered(&mut *tx, &deliveries).await?;
    Ok((written, found))
}

/// Step 3's statement, written out once.
static SUBSCRIBERS_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT e.id, e.account_id, e.event_types, e.content_filter, e.enabled, e.ordered, {TARGET_COLUMNS}
           FROM endpoints e WHERE e.account_id = ANY($1) ORDER BY e.id FOR SHARE"
    )
});

/// Step 3: the endpoints of `accounts`, by account, with their URLs and
/// sealed secrets for the deliveries handed off. FOR SHARE: an endpoint
/// cannot be disabled, re-enabled, deleted or given a new URL or secret
/// between reading it and committing its deliveries. In id order, so the
/// rows are locked in one order by every group.
async fn lock_subscribers(tx: &mut PgConnection, accounts: &[&str]) -> StoreResult<HashMap<String, Vec<Subscriber>>> {
    let mut by_account: HashMap<String, Vec<Subscriber>> = HashMap::new();
    let found = sqlx::query(&SUBSCRIBERS_SQL).bind(accounts).fetch_all(&mut *tx).await?;
    for r in &found {
        let subscriber = Subscriber {
            id: r.try_get("id")?,
            filter: columns::subscription(r.try_get("event_types")?, r.try_get("content_filter")?)?,
            enabled: r.try_get("enabled")?,
            ordered: r.try_get("ordered")?,
            target: target(r)?,
        };
        by_account.entry(r.try_get("account_id")?).or_default().push(subscriber);
    }
    Ok(by_account)
}

/// The answer of a publish that wrote `events`, `counts[i]` deliveries for the i-th.
fn published(events: &[NewEvent], counts: &[u64]) -> Vec<Published> {
    events
        .iter()
        .zip(counts.iter().copied().chain(std::iter::repeat(0)))
        .map(|(e, deliveries)| Published {
            event: StoredEvent {
                id: e.id.clone(),
                event_type: e.event_type.clone(),
                created_at: e.created_at,
                payload: e.payload.clone(),
            },
            deliveries,
        })
        .collect()
}
