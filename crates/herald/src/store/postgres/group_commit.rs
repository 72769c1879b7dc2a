//! Group commit for PostgreSQL: publishes queue here and one connection runs
//! whatever has queued up in one transaction, so a burst of a hundred
//! publishes costs one commit (one WAL flush), not a hundred, and an
//! account's position counter is locked once per burst instead of once per
//! event. Each caller still learns its own outcome, and only after the
//! commit that made its write durable. (SQLite has its own, on a dedicated
//! thread: `sqlite/hot_writer.rs`.)
//!
//! A write that fails takes its batch down with it (the transaction rolls
//! back), and every write of that batch then runs again in a transaction of
//! its own, so one bad write never fails another. Writes are therefore
//! closures that can run twice.

use futures::future::BoxFuture;
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::{mpsc, oneshot};

use crate::store::{StoreError, StoreResult};

/// The most writes committed together.
const MAX_BATCH: usize = 256;
/// Writes waiting for the writer, at most; callers beyond it wait to queue.
const QUEUE: usize = 4096;

/// One queued write, erased to what the writer loop needs.
trait Job: Send {
    /// Runs the write on `conn`; whether it succeeded.
    fn run<'c>(&'c mut self, conn: &'c mut PgConnection) -> BoxFuture<'c, bool>;
    /// Tells the caller, once its transaction is over.
    fn finish(self: Box<Self>, committed: Result<(), String>);
}

/// A write returning `T`, with the caller's reply channel.
struct Write<T, F> {
    write: F,
    result: Option<StoreResult<T>>,
    reply: oneshot::Sender<StoreResult<T>>,
}

impl<T, F> Job for Write<T, F>
where
    T: Send + 'static,
    F: for<'c> Fn(&'c mut PgConnection) -> BoxFuture<'c, StoreResult<T>> + Send + 'static,
{
    fn run<'c>(&'c mut self, conn: &'c mut PgConnection) -> BoxFuture<'c, bool> {
        Box::pin(async move {
            let result = (self.write)(conn).await;
            let ok = result.is_ok();
            self.result = Some(result);
            ok
        })
    }

    fn finish(self: Box<Self>, committed: Result<(), String>) {
        let outcome = match (committed, self.result) {
            (Ok(()), Some(result)) => result,
            (Err(e), _) => Err(StoreError::Writer(format!("the commit failed: {e}"))),
            (Ok(()), None) => Err(StoreError::Corrupt("a queued write never ran".into())),
        };
        let _ = self.reply.send(outcome); // the caller may have gone; its write stands
    }
}

/// The queue in front of the writer connection.
#[derive(Debug, Clone)]
pub struct GroupCommit {
    queue: mpsc::Sender<Box<dyn Job>>,
}

impl GroupCommit {
    /// Starts the writer loop, taking a connection of `pool` for each group.
    pub fn start(pool: PgPool) -> Self {
        let (queue, jobs) = mpsc::channel(QUEUE);
        tokio::spawn(serve(pool, jobs));
        Self { queue }
    }

    /// Runs `write` in the next group transaction; answers after its commit.
    pub async fn run<T, F>(&self, write: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> Fn(&'c mut PgConnection) -> BoxFuture<'c, StoreResult<T>> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(Write { write, result: None, reply });
        let stopped = || StoreError::Writer("the group commit task has stopped".into());
        self.queue.send(job).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn serve(writer: PgPool, mut jobs: mpsc::Receiver<Box<dyn Job>>) {
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let taken = std::mem::take(&mut batch);
        match writer.acquire().await {
            Ok(mut conn) => commit_batch(&mut conn, taken).await,
            Err(e) => {
                let e = e.to_string();
                for job in taken {
                    job.finish(Err(e.clone()));
                }
            }
        }
    }
}

async fn commit_batch(conn: &mut PgConnection, mut batch: Vec<Box<dyn Job>>) {
    if batch.len() > 1 {
        // When one write fails the batch rolls back, and each runs alone below.
        if let Ok(committed) = run_together(conn, &mut batch).await {
            for job in batch {
                job.finish(committed.clone());
            }
            return;
        }
    }
    for mut job in batch {
        let committed = run_alone(conn, job.as_mut()).await;
        job.finish(committed);
    }
}

/// Every write in one transaction: the commit's outcome, or `Err` when a write failed.
async fn run_together(conn: &mut PgConnection, batch: &mut [Box<dyn Job>]) -> Result<Result<(), String>, ()> {
    let mut tx = match conn.begin().await {
        Ok(tx) => tx,
        Err(e) => return Ok(Err(e.to_string())),
    };
    for job in batch.iter_mut() {
        if !job.run(&mut tx).await {
            let _ = tx.rollback().await;
            return Err(());
        }
    }
    Ok(tx.commit().await.map_err(|e| e.to_string()))
}

/// One write in its own transaction.
async fn run_alone(conn: &mut PgConnection, job: &mut dyn Job) -> Result<(), String> {
    let mut tx = conn.begin().await.map_err(|e| e.to_string())?;
    if job.run(&mut tx).await {
        tx.commit().await.map_err(|e| e.to_string())
    } else {
        tx.rollback().await.map_err(|e| e.to_string())
    }
}
