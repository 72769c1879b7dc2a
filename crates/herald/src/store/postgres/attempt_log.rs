//! The attempt log on PostgreSQL, written in groups: the dispatcher's
//! recorder (`dispatch/recorder.rs`) hands over whatever outcomes have
//! queued up there, and they are recorded on one connection of the pool.
//!
//! The successes of a group go first, in one statement of its own (one round
//! trip, its own transaction): it locks their deliveries in id order, moves
//! each to `succeeded` and logs its attempt. A success goes to `succeeded`
//! whatever its endpoint's flag says, so no endpoint row is locked. A
//! delivery that statement leaves alone (a manual retry was asked for while
//! the attempt was in flight) is recorded with the rest.
//!
//! The rest are recorded in one transaction of four multi-row statements
//! (lock the endpoints whose flag matters, lock the deliveries, insert every
//! attempt, move every delivery on) for the common ones: a success, or a
//! failure to try again later on an enabled endpoint. The others (a manual
//! retry waiting, an endpoint disabled meanwhile or now exhausted) are
//! recorded one by one by [`record_in`] in the same transaction. When that
//! group fails, it rolls back and each outcome is recorded again in a
//! transaction of its own, so one bad outcome never fails another. An
//! outcome whose attempt another node has recorded since is dropped
//! (`store/stale.rs`).

use std::collections::{HashMap, HashSet};

use sqlx::{postgres::PgArguments, query::Query, Connection, PgConnection, PgPool, Postgres, Row};

use super::{outcome::record_in, text::without_nul};
use crate::{
    domain::{
        transition::{after_attempt, Change, Missed, Standing, Transition},
        DeliveryStatus, Timestamp, Verdict,
    },
    store::{columns, stale, Outcome, StoreResult},
};

/// Records groups of outcomes on connections of its own pool.
#[derive(Debug, Clone)]
pub struct AttemptLog {
    pool: PgPool,
}

impl AttemptLog {
    /// Records on connections of `pool`.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Records `outcomes` together, each one alone if the group fails; the
    /// first error, after every outcome was tried.
    pub async fn record(&self, outcomes: &[Outcome]) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await?;
        commit_batch(&mut conn, outcomes).await
    }
}

async fn commit_batch(conn: &mut PgConnection, batch: &[Outcome]) -> StoreResult<()> {
    let (successes, mut rest): (Vec<&Outcome>, Vec<&Outcome>) =
        batch.iter().partition(|o| o.verdict == Verdict::Succeeded);
    if !successes.is_empty() {
        match record_successes(&mut *conn, &successes).await {
            Ok(moved) => rest.extend(successes.into_iter().filter(|o| !moved.contains(o.delivery.id.as_str()))),
            Err(e) => {
                tracing::debug!(error = %e, "a group of successes failed; recording them with the rest");
                rest.extend(successes);
            }
        }
    }
    if rest.len() > 1 {
        let together = async {
            let mut tx = conn.begin().await?;
            record_group(&mut tx, &rest).await?;
            tx.commit().await?;
            StoreResult::Ok(())
        };
        match together.await {
            Ok(()) => return Ok(()),
            Err(e) => tracing::debug!(error = %e, "a group of outcomes failed; recording each alone"),
        }
    }
    let mut first_error = Ok(());
    for outcome in rest {
        let alone = async {
            let mut tx = conn.begin().await?;
            record_in(&mut tx, &outcome.delivery, &outcome.attempt, outcome.verdict).await?;
            tx.commit().await?;
            StoreResult::Ok(())
        };
        if let (Err(e), Ok(())) = (alone.await, &first_error) {
            first_error = Err(e);
        }
    }
    first_error
}

/// Records every outcome of `batch` within the transaction on `tx`.
async fn record_group(tx: &mut PgConnection, batch: &[&Outcome]) -> StoreResult<()> {
    // Endpoint rows first, delivery rows second, as everywhere else. A
    // success goes to `succeeded` whatever its endpoint's flag says, so only
    // the other outcomes' endpoints are locked: publishes, which lock the
    // account's endpoints too, do not queue behind a group of successes.
    let flagged: Vec<&str> =
        batch.iter().filter(|o| o.verdict != Verdict::Succeeded).map(|o| o.delivery.endpoint_id.as_str()).collect();
    let enabled = if flagged.is_empty() {
        HashMap::new()
    } else {
        locked_flags(
            &mut *tx,
            "SELECT id, enabled AS flag FROM endpoints WHERE id = ANY($1) ORDER BY id FOR SHARE",
            &flagged,
        )
        .await?
    };
    let ids: Vec<&str> = batch.iter().map(|o| o.delivery.id.as_str()).collect();
    let deliveries = locked_deliveries(&mut *tx, &ids).await?;
    let (mut common, mut others) = (Vec::with_capacity(batch.len()), Vec::new());
    for &outcome in batch {
        // Gone with its endpoint while the attempt was in flight: nothing left to log.
        let Some(&(requested, recorded)) = deliveries.get(outcome.delivery.id.as_str()) else {
            continue;
        };
        if !stale::is_current(&outcome.delivery.id, recorded, outcome.attempt.n) {
            continue;
        }
        let standing = Standing {
            // A success moves on whatever the flag says; its endpoint was not locked.
            endpoint_enabled: outcome.verdict == Verdict::Succeeded
                || enabled.get(outcome.delivery.endpoint_id.as_str()) == Some(&true),
            retry_waiting: requested && !outcome.delivery.manual,
            resume: None,
        };
        match Moved::usual(outcome, &standing) {
            Some(moved) => common.push(moved),
            None => others.push(outcome),
        }
    }
    // The usual outcomes first, while the flags read above still hold: an
    // exhausted outcome below may disable an endpoint, and then stops the
    // deliveries just put back to pending, as if they were recorded before it.
    if !common.is_empty() {
        let outcomes: Vec<&Outcome> = common.iter().map(|m| m.outcome).collect();
        insert_attempts(&mut *tx, &outcomes).await?;
        move_on(&mut *tx, &common).await?;
    }
    for outcome in others {
        record_in(&mut *tx, &outcome.delivery, &outcome.attempt, outcome.verdict).await?;
    }
    Ok(())
}

/// Records `successes` in one statement: locks their deliveries in id order,
/// moves each one on to `succeeded` and logs its attempt, except a delivery
/// that is gone, or has a manual retry waiting that the attempt did not
/// carry out. The ids it moved.
async fn record_successes(conn: &mut PgConnection, successes: &[&Outcome]) -> StoreResult<HashSet<String>> {
    let query = sqlx::query(
        "WITH v AS (
             SELECT * FROM UNNEST($1::text[], $2::int[], $3::bigint[], $4::bigint[], $5::int[], $6::text[],
                                  $7::text[], $8::text[], $9::bool[], $10::text[], $11::bigint[], $12::bool[])
                 AS v(id, n, started_at, duration_ms, status, error, detail, body, carried_manual,
                      to_status, next, missed)
         ),
         locked AS MATERIALIZED (
             SELECT id, manual FROM deliveries WHERE id = ANY($1) ORDER BY id FOR UPDATE
         ),
         moved AS (
             UPDATE deliveries d SET attempt_count = GREATEST(d.attempt_count, v.n), lease_until = NULL,
                 last_response_status = v.status, updated_at = v.started_at + v.duration_ms, manual = FALSE,
                 resume_status = NULL, resume_next_attempt_at = NULL, status = v.to_status,
                 next_attempt_at = v.next, missed = COALESCE(v.missed, d.missed)
             FROM v JOIN locked l ON l.id = v.id
             WHERE d.id = v.id AND (v.carried_manual OR NOT l.manual)
               AND d.attempt_count < v.n -- store/stale.rs: a stale one falls to the rest, which drops it
             RETURNING d.id
         ),
         logged AS (
             INSERT INTO attempts (delivery_id, n, started_at, duration_ms, response_status, error, error_detail,
                                   response_body)
             SELECT v.id, v.n, v.started_at, v.duration_ms, v.status, v.error, v.detail, v.body
               FROM v JOIN moved m ON m.id = v.id
             ON CONFLICT DO NOTHING
         )
         SELECT id FROM moved",
    );
    // A success moves on whatever its endpoint's flag says; the statement
    // itself leaves out a delivery with a manual retry waiting, which the
    // rest then record.
    let standing = Standing { endpoint_enabled: true, retry_waiting: false, resume: None };
    let moves: Vec<Moved> = successes.iter().filter_map(|o| Moved::usual(o, &standing)).collect();
    let outcomes: Vec<&Outcome> = moves.iter().map(|m| m.outcome).collect();
    let query = bind_attempts(query, &outcomes).bind(outcomes.iter().map(|o| o.delivery.manual).collect::<Vec<_>>());
    let moved = bind_states(query, &moves).fetch_all(&mut *conn).await?;
    moved.iter().map(|r| Ok(r.try_get("id")?)).collect()
}

/// Locks the deliveries `ids` in id order and reads, by id, whether a manual
/// retry was asked for and how many attempts each has recorded.
async fn locked_deliveries(tx: &mut PgConnection, ids: &[&str]) -> StoreResult<HashMap<String, (bool, u32)>> {
    sqlx::query("SELECT id, manual, attempt_count FROM deliveries WHERE id = ANY($1) ORDER BY id FOR UPDATE")
        .bind(ids)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| {
            let recorded = u32::try_from(r.try_get::<i32, _>("attempt_count")?).unwrap_or(0);
            Ok((r.try_get("id")?, (r.try_get("manual")?, recorded)))
        })
        .collect()
}

/// Locks the rows `sql` picks out by `ids` and reads each one's `flag`, by id.
async fn locked_flags(tx: &mut PgConnection, sql: &str, ids: &[&str]) -> StoreResult<HashMap<String, bool>> {
    sqlx::query(sql)
        .bind(ids)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("flag")?)))
        .collect()
}

/// Binds the attempts of `outcomes` as `$1` to `$8`, a column each: delivery
/// id, attempt number, start, duration, response status, error, its detail,
/// response body.
fn bind_attempts<'q>(
    query: Query<'q, Postgres, PgArguments>,
    outcomes: &[&'q Outcome],
) -> Query<'q, Postgres, PgArguments> {
    let attempts = outcomes.iter().map(|o| &o.attempt);
    query
        .bind(outcomes.iter().map(|o| o.delivery.id.as_str()).collect::<Vec<_>>())
        .bind(attempts.clone().map(|a| i32::try_from(a.n).unwrap_or(i32::MAX)).collect::<Vec<_>>())
        .bind(attempts.clone().map(|a| a.started_at.millis()).collect::<Vec<_>>())
        .bind(attempts.clone().map(|a| i64::try_from(a.duration_ms).unwrap_or(i64::MAX)).collect::<Vec<_>>())
        .bind(attempts.clone().map(|a| a.response_status.map(i32::from)).collect::<Vec<_>>())
        .bind(attempts.clone().map(|a| a.error.map(|e| e.as_str())).collect::<Vec<_>>())
        .bind(attempts.clone().map(|a| a.error_detail.as_deref().map(without_nul)).collect::<Vec<_>>())
        .bind(attempts.map(|a| without_nul(&a.response_body)).collect::<Vec<_>>())
}

/// Logs the attempts of `outcomes` in one statement.
async fn insert_attempts(tx: &mut PgConnection, outcomes: &[&Outcome]) -> StoreResult<()> {
    let query = sqlx::query(
        "INSERT INTO attempts (delivery_id, n, started_at, duration_ms, response_status, error, error_detail,
                               response_body)
         SELECT * FROM UNNEST($1::text[], $2::int[], $3::bigint[], $4::bigint[], $5::int[], $6::text[], $7::text[],
                              $8::text[])
         ON CONFLICT DO NOTHING",
    );
    bind_attempts(query, outcomes).execute(&mut *tx).await?;
    Ok(())
}

/// An outcome of the usual kind, with the state `domain/transition.rs` gives its delivery.
struct Moved<'a> {
    outcome: &'a Outcome,
    status: DeliveryStatus,
    next_attempt_at: Option<Timestamp>,
    missed: Missed,
}

impl<'a> Moved<'a> {
    /// The usual: the delivery moves on within its schedule, to succeeded or
    /// pending, and nothing else changes, which the multi-row statements
    /// write; `None` for the others, whose row [`record_in`] reads whole.
    fn usual(outcome: &'a Outcome, standing: &Standing) -> Option<Self> {
        match after_attempt(outcome.verdict, standing) {
            Change {
                delivery:
                    Transition::Moves {
                        status: status @ (DeliveryStatus::Succeeded | DeliveryStatus::Pending),
                        next_attempt_at,
                        missed,
                        outside_schedule: false,
                    },
                disable_endpoint: None,
            } => Some(Self { outcome, status, next_attempt_at, missed }),
            _ => None,
        }
    }
}

/// Binds the new states of `moved` as the next three parameters, a column
/// each: status, next attempt, `missed` (null to keep it).
fn bind_states<'q>(query: Query<'q, Postgres, PgArguments>, moved: &[Moved<'q>]) -> Query<'q, Postgres, PgArguments> {
    query
        .bind(moved.iter().map(|m| m.status.as_str()).collect::<Vec<_>>())
        .bind(moved.iter().map(|m| m.next_attempt_at.map(Timestamp::millis)).collect::<Vec<_>>())
        .bind(moved.iter().map(|m| columns::missed(m.missed)).collect::<Vec<_>>())
}

/// Moves the deliveries of `moved` on in one statement, each to its new state.
async fn move_on(tx: &mut PgConnection, moved: &[Moved<'_>]) -> StoreResult<()> {
    let finished =
        |m: &Moved| m.outcome.attempt.started_at.millis() + i64::try_from(m.outcome.attempt.duration_ms).unwrap_or(0);
    let query = sqlx::query(
        "UPDATE deliveries d SET attempt_count = GREATEST(d.attempt_count, v.n), lease_until = NULL,
            last_response_status = v.response, updated_at = v.now, manual = FALSE, resume_status = NULL,
            resume_next_attempt_at = NULL, status = v.status, next_attempt_at = v.next,
            missed = COALESCE(v.missed, d.missed)
         FROM UNNEST($1::text[], $2::int[], $3::int[], $4::bigint[], $5::text[], $6::bigint[], $7::bool[])
             AS v(id, n, response, now, status, next, missed)
         WHERE d.id = v.id",
    )
    .bind(moved.iter().map(|m| m.outcome.delivery.id.as_str()).collect::<Vec<_>>())
    .bind(moved.iter().map(|m| i32::try_from(m.outcome.attempt.n).unwrap_or(i32::MAX)).collect::<Vec<_>>())
    .bind(moved.iter().map(|m| m.outcome.attempt.response_status.map(i32::from)).collect::<Vec<_>>())
    .bind(moved.iter().map(finished).collect::<Vec<_>>());
    bind_states(query, moved).execute(&mut *tx).await?;
    Ok(())
}
