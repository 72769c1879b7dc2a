//! Publishing on PostgreSQL, in groups: publishes queue here as data (the
//! account, its events, an idempotency key, when the first attempts are due,
//! the room the dispatcher reserved for the deliveries it hands off)
//! and one connection writes whatever has queued up in one transaction of a
//! constant handful of multi-row statements (`publish_statements.rs`),
//! so a group of a hundred publishes costs one commit and four round trips
//! (`BEGIN` and `COMMIT` included; two more when a publish has an
//! idempotency key, and one per key), not five hundred. One group is written
//! at a time (two at once, tried, bought nothing: the second waits for the
//! first's account row lock). Each caller
//! still learns its own outcome, and only after the commit that made its
//! events durable. (SQLite has its own writer, on a dedicated thread:
//! `sqlite/hot_writer.rs`.)
//!
//! Publishes queue as data rather than as closures because the statements of
//! a group are shared: one closure per publish would mean one set of
//! statements per publish, which is what this replaces.
//!
//! A missing account, a replayed key or a reused key answers its publish
//! alone and lets the rest of the group go on. Any other failure rolls the
//! group back, and every publish of it then runs again as a group of one in
//! a transaction of its own, so one bad publish never fails another. A group
//! whose `BEGIN` or `COMMIT` failed is not run again: whether it was written
//! is unknown, and running it again could publish its events twice.
//!
//! Each publish leases its own deliveries, under its own room, so it leases
//! the same in a group as alone; the leases of a group rolled back are
//! dropped with it. A publish whose commit is unknown hands nothing off: if
//! it was written, its leased deliveries wait for their leases to expire and
//! are claimed then, like those of a process that died.

use std::sync::Arc;

use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::{mpsc, oneshot};

use super::publish_statements::{write_group, Publish};
use crate::store::{PublishOutcome, Sealer, StoreError, StoreResult};

/// The most publishes written together.
const MAX_GROUP: usize = 256;
/// Publishes waiting for the writer, at most; callers beyond it wait to queue.
const QUEUE: usize = 4096;

/// A queued publish and its caller's reply channel.
struct Queued {
    publish: Publish,
    reply: oneshot::Sender<StoreResult<PublishOutcome>>,
}

/// The queue in front of the publishing connection.
#[derive(Debug, Clone)]
pub struct PublishGroup {
    queue: mpsc::Sender<Queued>,
}

impl PublishGroup {
    /// Starts the writer loop, taking a connection of `pool` for each group;
    /// `sealer` opens the secrets of endpoints that get handed-off deliveries.
    pub fn start(pool: PgPool, sealer: Arc<Sealer>) -> Self {
        let (queue, queued) = mpsc::channel(QUEUE);
        tokio::spawn(serve(pool, sealer, queued));
        Self { queue }
    }

    /// Writes `publish` in the next group; answers after its commit.
    pub(super) async fn publish(&self, publish: Publish) -> StoreResult<PublishOutcome> {
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::Writer("the publish group task has stopped".into());
        self.queue.send(Queued { publish, reply }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn serve(pool: PgPool, sealer: Arc<Sealer>, mut queued: mpsc::Receiver<Queued>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while queued.recv_many(&mut group, MAX_GROUP).await > 0 {
        let taken = std::mem::take(&mut group);
        match pool.acquire().await {
            Ok(mut conn) => commit_group(&mut conn, &sealer, taken).await,
            Err(e) => {
                for q in taken {
                    let _ = q.reply.send(Err(StoreError::of_shared_write(&e, "no connection")));
                }
            }
        }
    }
}

/// How a transaction ended.
enum Ended {
    /// Committed: each publish's outcome, in queue order.
    Committed(Vec<StoreResult<PublishOutcome>>),
    /// A statement failed and the transaction rolled back: nothing was written.
    RolledBack(StoreError),
    /// `BEGIN` or `COMMIT` failed: whether anything was written is unknown.
    Unknown(sqlx::Error),
}

async fn commit_group(conn: &mut PgConnection, sealer: &Sealer, group: Vec<Queued>) {
    if group.len() > 1 {
        let publishes: Vec<&Publish> = group.iter().map(|q| &q.publish).collect();
        match write_in_transaction(conn, sealer, &publishes).await {
            Ended::Committed(outcomes) if outcomes.len() == group.len() => {
                for (q, outcome) in group.into_iter().zip(outcomes) {
                    let _ = q.reply.send(outcome); // the caller may have gone; its events stand
                }
                return;
            }
            Ended::Committed(_) => {
                let e = "a publish group answered the wrong number of publishes";
                for q in group {
                    let _ = q.reply.send(Err(StoreError::Corrupt(e.into())));
                }
                return;
            }
            Ended::Unknown(e) => {
                for q in group {
                    let _ = q.reply.send(Err(StoreError::of_shared_write(&e, "the commit failed")));
                }
                return;
            }
            Ended::RolledBack(e) => tracing::debug!(error = %e, "a publish group failed; writing each publish alone"),
        }
    }
    for q in group {
        let outcome = match write_in_transaction(conn, sealer, &[&q.publish]).await {
            Ended::Committed(mut outcomes) => outcomes
                .pop()
                .unwrap_or_else(|| Err(StoreError::Corrupt("a publish wrote alone was not answered".into()))),
            Ended::RolledBack(e) => Err(e),
            Ended::Unknown(e) => Err(StoreError::of_shared_write(&e, "the commit failed")),
        };
        let _ = q.reply.send(outcome);
    }
}

/// Writes `publishes` in one transaction of their own.
async fn write_in_transaction(conn: &mut PgConnection, sealer: &Sealer, publishes: &[&Publish]) -> Ended {
    let mut tx = match conn.begin().await {
        Ok(tx) => tx,
        Err(e) => return Ended::Unknown(e),
    };
    match write_group(&mut tx, sealer, publishes).await {
        Ok(outcomes) => match tx.commit().await {
            Ok(()) => Ended::Committed(outcomes),
            Err(e) => Ended::Unknown(e),
        },
        Err(e) => {
            let _ = tx.rollback().await;
            Ended::RolledBack(e)
        }
    }
}
