//! The attempt log on PostgreSQL, written in groups: outcomes queue here and
//! one connection records whatever has queued up.
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
//! transaction of its own, so one bad outcome never fails another.

use std::{
    borrow::Cow,
    collections::{HashMap, HashSet},
};

use sqlx::{postgres::PgArguments, query::Query, Connection, PgConnection, PgPool, Postgres, Row};
use tokio::sync::{mpsc, oneshot};

use super::dispatch::record_in;
use crate::store::{Attempt, ClaimedDelivery, StoreError, StoreResult, Verdict};

/// The most outcomes recorded together.
const MAX_BATCH: usize = 512;
/// Outcomes waiting for the writer, at most; callers beyond it wait to queue.
const QUEUE: usize = 4096;

/// One outcome to record, with its caller's reply channel.
struct Outcome {
    claimed: ClaimedDelivery,
    attempt: Attempt,
    verdict: Verdict,
    reply: oneshot::Sender<StoreResult<()>>,
}

/// The queue in front of the attempt-log connection.
#[derive(Debug, Clone)]
pub struct AttemptLog {
    queue: mpsc::Sender<Outcome>,
}

impl AttemptLog {
    /// Starts the writer loop, taking a connection of `pool` for each group.
    pub fn start(pool: PgPool) -> Self {
        let (queue, outcomes) = mpsc::channel(QUEUE);
        tokio::spawn(serve(pool, outcomes));
        Self { queue }
    }

    /// Records an outcome in the next group; answers after its commit.
    pub async fn record(&self, claimed: &ClaimedDelivery, attempt: &Attempt, verdict: Verdict) -> StoreResult<()> {
        let (reply, answer) = oneshot::channel();
        let outcome = Outcome { claimed: claimed.clone(), attempt: attempt.clone(), verdict, reply };
        let stopped = || StoreError::Writer("the attempt log task has stopped".into());
        self.queue.send(outcome).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn serve(pool: PgPool, mut outcomes: mpsc::Receiver<Outcome>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while outcomes.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let taken = std::mem::take(&mut batch);
        match pool.acquire().await {
            Ok(mut conn) => commit_batch(&mut conn, taken).await,
            Err(e) => {
                let e = e.to_string();
                for outcome in taken {
                    let _ = outcome.reply.send(Err(StoreError::Writer(e.clone())));
                }
            }
        }
    }
}

async fn commit_batch(conn: &mut PgConnection, batch: Vec<Outcome>) {
    let (successes, mut batch): (Vec<Outcome>, Vec<Outcome>) =
        batch.into_iter().partition(|o| o.verdict == Verdict::Succeeded);
    if !successes.is_empty() {
        match record_successes(&mut *conn, &successes).await {
            Ok(moved) => {
                for outcome in successes {
                    if moved.contains(outcome.claimed.id.as_str()) {
                        let _ = outcome.reply.send(Ok(()));
                    } else {
                        batch.push(outcome);
                    }
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, "a group of successes failed; recording them with the rest");
                batch.extend(successes);
            }
        }
    }
    if batch.is_empty() {
        return;
    }
    if batch.len() > 1 {
        let together = async {
            let mut tx = conn.begin().await?;
            record_group(&mut tx, &batch).await?;
            tx.commit().await?;
            StoreResult::Ok(())
        };
        match together.await {
            Ok(()) => {
                for outcome in batch {
                    let _ = outcome.reply.send(Ok(()));
                }
                return;
            }
            Err(e) => tracing::debug!(error = %e, "a group of outcomes failed; recording each alone"),
        }
    }
    for outcome in batch {
        let alone = async {
            let mut tx = conn.begin().await?;
            record_in(&mut tx, &outcome.claimed, &outcome.attempt, outcome.verdict).await?;
            tx.commit().await?;
            StoreResult::Ok(())
        };
        let _ = outcome.reply.send(alone.await);
    }
}

/// Records every outcome of `batch` within the transaction on `tx`.
async fn record_group(tx: &mut PgConnection, batch: &[Outcome]) -> StoreResult<()> {
    // Endpoint rows first, delivery rows second, as everywhere else. A
    // success goes to `succeeded` whatever its endpoint's flag says, so only
    // the other outcomes' endpoints are locked: publishes, which lock the
    // account's endpoints too, do not queue behind a group of successes.
    let flagged: Vec<&str> =
        batch.iter().filter(|o| o.verdict != Verdict::Succeeded).map(|o| o.claimed.endpoint_id.as_str()).collect();
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
    let ids: Vec<&str> = batch.iter().map(|o| o.claimed.id.as_str()).collect();
    let retry_requested = locked_flags(
        &mut *tx,
        "SELECT id, manual AS flag FROM deliveries WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        &ids,
    )
    .await?;
    let (mut common, mut others) = (Vec::with_capacity(batch.len()), Vec::new());
    for outcome in batch {
        // Gone with its endpoint while the attempt was in flight: nothing left to log.
        let Some(&requested) = retry_requested.get(outcome.claimed.id.as_str()) else {
            continue;
        };
        let retry_waiting = requested && !outcome.claimed.manual;
        let usual = match outcome.verdict {
            Verdict::Succeeded => true,
            Verdict::RetryAt(_) => enabled.get(outcome.claimed.endpoint_id.as_str()) == Some(&true),
            Verdict::Exhausted | Verdict::ManualFailed => false,
        };
        if usual && !retry_waiting {
            common.push(outcome);
        } else {
            others.push(outcome);
        }
    }
    // The usual outcomes first, while the flags read above still hold: an
    // exhausted outcome below may disable an endpoint, and then stops the
    // deliveries just put back to pending, as if they were recorded before it.
    if !common.is_empty() {
        insert_attempts(&mut *tx, &common).await?;
        move_on(&mut *tx, &common).await?;
    }
    for outcome in others {
        record_in(&mut *tx, &outcome.claimed, &outcome.attempt, outcome.verdict).await?;
    }
    Ok(())
}

/// Records `successes` in one statement: locks their deliveries in id order,
/// moves each one on to `succeeded` and logs its attempt, except a delivery
/// that is gone, or has a manual retry waiting that the attempt did not
/// carry out. The ids it moved.
async fn record_successes(conn: &mut PgConnection, successes: &[Outcome]) -> StoreResult<HashSet<String>> {
    let successes: Vec<&Outcome> = successes.iter().collect();
    let query = sqlx::query(
        "WITH v AS (
             SELECT * FROM UNNEST($1::text[], $2::int[], $3::bigint[], $4::bigint[], $5::int[], $6::text[],
                                  $7::text[], $8::bool[])
                 AS v(id, n, started_at, duration_ms, status, error, body, carried_manual)
         ),
         locked AS MATERIALIZED (
             SELECT id, manual FROM deliveries WHERE id = ANY($1) ORDER BY id FOR UPDATE
         ),
         moved AS (
             UPDATE deliveries d SET attempt_count = GREATEST(d.attempt_count, v.n), lease_until = NULL,
                 last_response_status = v.status, updated_at = v.started_at + v.duration_ms, manual = FALSE,
                 resume_status = NULL, resume_next_attempt_at = NULL, next_attempt_at = NULL,
                 status = 'succeeded', missed = FALSE
             FROM v JOIN locked l ON l.id = v.id
             WHERE d.id = v.id AND (v.carried_manual OR NOT l.manual)
             RETURNING d.id
         ),
         logged AS (
             INSERT INTO attempts (delivery_id, n, started_at, duration_ms, response_status, error, response_body)
             SELECT v.id, v.n, v.started_at, v.duration_ms, v.status, v.error, v.body
               FROM v JOIN moved m ON m.id = v.id
             ON CONFLICT DO NOTHING
         )
         SELECT id FROM moved",
    );
    let moved = bind_attempts(query, &successes)
        .bind(successes.iter().map(|o| o.claimed.manual).collect::<Vec<_>>())
        .fetch_all(&mut *conn)
        .await?;
    moved.iter().map(|r| Ok(r.try_get("id")?)).collect()
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

/// Binds the attempts of `outcomes` as `$1` to `$7`, a column each: delivery
/// id, attempt number, start, duration, response status, error, response body.
fn bind_attempts<'q>(
    query: Query<'q, Postgres, PgArguments>,
    outcomes: &[&'q Outcome],
) -> Query<'q, Postgres, PgArguments> {
    let attempts = outcomes.iter().map(|o| &o.attempt);
    query
        .bind(outcomes.iter().map(|o| o.claimed.id.as_str()).collect::<Vec<_>>())
        .bind(attempts.clone().map(|a| i32::try_from(a.n).unwrap_or(i32::MAX)).collect::<Vec<_>>())
        .bind(attempts.clone().map(|a| a.started_at.millis()).collect::<Vec<_>>())
        .bind(attempts.clone().map(|a| i64::try_from(a.duration_ms).unwrap_or(i64::MAX)).collect::<Vec<_>>())
        .bind(attempts.clone().map(|a| a.response_status.map(i32::from)).collect::<Vec<_>>())
        .bind(attempts.clone().map(|a| a.error.map(|e| e.as_str())).collect::<Vec<_>>())
        .bind(attempts.map(|a| without_nul(&a.response_body)).collect::<Vec<_>>())
}

/// Logs the attempts of `outcomes` in one statement.
async fn insert_attempts(tx: &mut PgConnection, outcomes: &[&Outcome]) -> StoreResult<()> {
    let query = sqlx::query(
        "INSERT INTO attempts (delivery_id, n, started_at, duration_ms, response_status, error, response_body)
         SELECT * FROM UNNEST($1::text[], $2::int[], $3::bigint[], $4::bigint[], $5::int[], $6::text[], $7::text[])
         ON CONFLICT DO NOTHING",
    );
    bind_attempts(query, outcomes).execute(&mut *tx).await?;
    Ok(())
}

/// Moves the deliveries of `outcomes` on in one statement: succeeded, or
/// pending until their next attempt.
async fn move_on(tx: &mut PgConnection, outcomes: &[&Outcome]) -> StoreResult<()> {
    let next = |o: &&Outcome| match o.verdict {
        Verdict::RetryAt(at) => Some(at.millis()),
        _ => None,
    };
    let finished = |o: &&Outcome| o.attempt.started_at.millis() + i64::try_from(o.attempt.duration_ms).unwrap_or(0);
    sqlx::query(
        "UPDATE deliveries d SET attempt_count = GREATEST(d.attempt_count, v.n), lease_until = NULL,
            last_response_status = v.status, updated_at = v.now, manual = FALSE, resume_status = NULL,
            resume_next_attempt_at = NULL, next_attempt_at = v.next,
            status = CASE WHEN v.next IS NULL THEN 'succeeded' ELSE 'pending' END,
            missed = CASE WHEN v.next IS NULL THEN FALSE ELSE d.missed END
         FROM UNNEST($1::text[], $2::int[], $3::int[], $4::bigint[], $5::bigint[]) AS v(id, n, status, now, next)
         WHERE d.id = v.id",
    )
    .bind(outcomes.iter().map(|o| o.claimed.id.as_str()).collect::<Vec<_>>())
    .bind(outcomes.iter().map(|o| i32::try_from(o.attempt.n).unwrap_or(i32::MAX)).collect::<Vec<_>>())
    .bind(outcomes.iter().map(|o| o.attempt.response_status.map(i32::from)).collect::<Vec<_>>())
    .bind(outcomes.iter().map(finished).collect::<Vec<_>>())
    .bind(outcomes.iter().map(next).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// TEXT cannot hold NUL on PostgreSQL; a receiver's body may.
pub(super) fn without_nul(body: &str) -> Cow<'_, str> {
    if body.contains('\0') {
        Cow::Owned(body.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(body)
    }
}
