//! The statements of one publish group, inside the group's transaction:
//!
//! 1. `SELECT id FROM accounts WHERE id = ANY($1)`: a publish to a missing
//!    account is answered [`StoreError::NotFound`] alone;
//! 2. the idempotency keys, one `INSERT … ON CONFLICT DO NOTHING` per keyed
//!    publish (they are rare), in key order;
//! 3. one `SELECT … FROM endpoints … FOR SHARE` for every account of the group;
//! 4. one `UPDATE accounts … FROM UNNEST(…) RETURNING` for the positions of
//!    every account's events, handed out in queue order;
//! 5. one `INSERT INTO events` and one `INSERT INTO deliveries` for the whole
//!    group (more only for groups of many thousand rows); the deliveries each
//!    publish hands off to the dispatcher are inserted leased
//!    (`store/lease_ahead.rs`) and come back in its outcome.
//!
//! Two things differ from running each publish's statements in turn. A key
//! met twice in one group is claimed once, by the first publish in queue
//! order; the second is answered from the first's events (a replay, or a
//! reused key), since those events are only inserted at step 5. And a
//! claimed key carries its event ids from the claiming insert on, rather
//! than from an update after the event inserts.
//!
//! Locks are taken in one order by every group (and by every other
//! transaction of the store): idempotency keys first, in (account, key)
//! order; endpoint rows next, shared, in id order; account rows last, in id
//! order, held only while the inserts run and waiting on nothing else. Two
//! groups (of two nodes) therefore never wait on each other in a cycle.

use std::collections::{BTreeMap, HashMap, HashSet};

use sqlx::{PgConnection, Row};

use super::{
    idempotency::claim_key,
    publish_group::Publish,
    publish_rows::{insert_deliveries, insert_events, DeliveryRow, EventRow, DELIVERY_CHUNK},
    rows,
};
use crate::{
    domain::{DeliveryId, TypeFilter},
    store::{
        lease_ahead::{Leases, Secrets, Target},
        ClaimedDelivery, NewEvent, PublishOutcome, Published, Sealer, StoreError, StoreResult, StoredEvent,
    },
};

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
    filter: TypeFilter,
    enabled: bool,
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
    let mut fates = existing_accounts(&mut *tx, publishes).await?;
    claim_keys(&mut *tx, publishes, &mut fates).await?;
    let writers: Vec<usize> = (0..publishes.len()).filter(|&i| matches!(fates[i], Fate::Writes)).collect();
    let mut written =
        if writers.is_empty() { Vec::new() } else { write_events(&mut *tx, sealer, publishes, &writers).await? };
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

/// Steps 3 to 5 for the publishes at `writers`: what each wrote, by publish
/// index (nothing for a publish that is not a writer). Each writer leases
/// under its own [`Publish::lease`], so a publish leases the same whether it
/// is written in a group or alone.
async fn write_events(
    tx: &mut PgConnection,
    sealer: &Sealer,
    publishes: &[&Publish],
    writers: &[usize],
) -> StoreResult<Vec<Written>> {
    let mut accounts: Vec<&str> = writers.iter().map(|&i| publishes[i].account.as_str()).collect();
    accounts.sort_unstable();
    accounts.dedup();
    // Endpoint rows before the account rows: locking the endpoints may wait
    // (on an endpoint being disabled or deleted), while the account rows are
    // exclusive and every other publish of those accounts queues behind them,
    // so they are taken last, held only while the inserts run, and held
    // while waiting on no other lock.
    let subscribers = lock_subscribers(&mut *tx, &accounts).await?;
    let firsts = claim_positions(&mut *tx, publishes, writers).await?;
    let events: Vec<EventRow<'_>> = writers
        .iter()
        .zip(firsts)
        .flat_map(|(&i, first)| {
            let p = publishes[i];
            (first..).zip(&p.events).map(|(seq, event)| EventRow {
                account: p.account.as_str(),
                event,
                seq,
                is_test: false,
            })
        })
        .collect();
    insert_events(&mut *tx, &events).await?;
    drop(events);

    let none = Vec::new();
    let mut secrets = Secrets::new(sealer);
    let mut written: Vec<Written> = std::iter::repeat_with(Written::default).take(publishes.len()).collect();
    let mut chunk: Vec<DeliveryRow<'_>> = Vec::new();
    for &i in writers {
        let p = publishes[i];
        let subscribers = subscribers.get(p.account.as_str()).unwrap_or(&none);
        let mut leases = Leases::new(p.lease.as_ref());
        for event in &p.events {
            let mut made = 0;
            for s in subscribers.iter().filter(|s| s.filter.matches(&event.event_type)) {
                let id = DeliveryId::generate();
                let lease_until = leases.take(&s.id, s.enabled);
                if lease_until.is_some() {
                    leases.leased.push(secrets.claimed(&id, &s.id, &s.target, event)?);
                }
                chunk.push(DeliveryRow {
                    id,
                    account: p.account.as_str(),
                    event,
                    endpoint: &s.id,
                    enabled: s.enabled,
                    first_attempt_at: p.first_attempt_at,
                    lease_until,
                });
                made += 1;
                if chunk.len() == DELIVERY_CHUNK {
                    insert_deliveries(&mut *tx, &chunk).await?;
                    chunk.clear();
                }
            }
            written[i].counts.push(made);
        }
        (written[i].leased, written[i].unleased) = (leases.leased, leases.unleased);
    }
    if !chunk.is_empty() {
        insert_deliveries(&mut *tx, &chunk).await?;
    }
    Ok(written)
}

/// Step 3: the endpoints of `accounts`, by account, with their URLs and
/// sealed secrets for the deliveries handed off. FOR SHARE: an endpoint
/// cannot be disabled, re-enabled, deleted or given a new URL or secret
/// between reading it and committing its deliveries. In id order, so the
/// rows are locked in one order by every group.
async fn lock_subscribers(tx: &mut PgConnection, accounts: &[&str]) -> StoreResult<HashMap<String, Vec<Subscriber>>> {
    let mut by_account: HashMap<String, Vec<Subscriber>> = HashMap::new();
    let found = sqlx::query(
        "SELECT id, account_id, event_types, enabled, url, secret, previous_secret, previous_expires_at
           FROM endpoints WHERE account_id = ANY($1) ORDER BY id FOR SHARE",
    )
    .bind(accounts)
    .fetch_all(&mut *tx)
    .await?;
    for r in &found {
        let subscriber = Subscriber {
            id: r.try_get("id")?,
            filter: rows::type_filter(r.try_get("event_types")?)?,
            enabled: r.try_get("enabled")?,
            target: Target {
                url: r.try_get("url")?,
                sealed: (r.try_get("secret")?, r.try_get("previous_secret")?, r.try_get("previous_expires_at")?),
            },
        };
        by_account.entry(r.try_get("account_id")?).or_default().push(subscriber);
    }
    Ok(by_account)
}

/// Step 4: takes the positions of every writer's events, in one statement;
/// the first position of each writer, in the order of `writers` (queue order,
/// so that within an account the group's events follow it). The account
/// rows stay locked until the transaction ends, so the next publish of an
/// account takes its positions after this group committed: positions follow
/// commit order. They are locked in id order (`ORDER BY id FOR UPDATE` in
/// the subquery, which hands out each id only once its row is locked, so
/// the update can only reach rows already locked in that order): two groups
/// of two nodes with the same accounts never lock them in opposite orders.
async fn claim_positions(tx: &mut PgConnection, publishes: &[&Publish], writers: &[usize]) -> StoreResult<Vec<i64>> {
    let too_many = || StoreError::Corrupt("too many events in one commit".into());
    let mut taken: BTreeMap<&str, i64> = BTreeMap::new();
    for &i in writers {
        let n = i64::try_from(publishes[i].events.len()).map_err(|_| too_many())?;
        *taken.entry(publishes[i].account.as_str()).or_default() += n;
    }
    let (ids, ns): (Vec<&str>, Vec<i64>) = taken.iter().map(|(id, n)| (*id, *n)).unzip();
    let last: HashMap<String, i64> = sqlx::query(
        "UPDATE accounts a SET event_seq = a.event_seq + v.n
           FROM UNNEST($1::text[], $2::bigint[]) AS v(id, n)
          WHERE a.id = v.id
            AND a.id IN (SELECT id FROM accounts WHERE id = ANY($1) ORDER BY id FOR UPDATE)
         RETURNING a.id, a.event_seq",
    )
    .bind(&ids)
    .bind(&ns)
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(|r| Ok((r.try_get("id")?, r.try_get("event_seq")?)))
    .collect::<StoreResult<_>>()?;
    // Deleted since step 1: the group rolls back, and alone the publish finds it missing.
    let mut next: HashMap<&str, i64> = HashMap::with_capacity(taken.len());
    for (id, n) in &taken {
        next.insert(id, last.get(*id).ok_or(StoreError::NotFound)? - n + 1);
    }
    writers
        .iter()
        .map(|&i| {
            let p = publishes[i];
            let at = next.get_mut(p.account.as_str()).ok_or(StoreError::NotFound)?;
            let first = *at;
            *at += i64::try_from(p.events.len()).map_err(|_| too_many())?;
            Ok(first)
        })
        .collect()
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
