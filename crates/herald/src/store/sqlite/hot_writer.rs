//! The hot writer: publishing, leasing and logging attempts run on one
//! thread that owns a connection of its own (rusqlite, no async hop per
//! statement), and everything queued while it worked is committed in one
//! transaction: a burst of a hundred writes costs one commit, not a hundred.
//! Each caller learns its own outcome only after the commit that made its
//! write durable.
//!
//! A write that fails takes its batch down with it (the transaction rolls
//! back), and every write of that batch then runs again in a transaction of
//! its own, so one bad write never fails another. Writes are therefore
//! closures that can run twice. On a full disk a write or its commit fails
//! with `SQLITE_FULL` and SQLite rolls it back whole; its caller is told
//! [`StoreError::DiskFull`], so that the API answers 503 and the recorder
//! keeps its outcomes, and the next write succeeds once space is freed.
//!
//! The other writes (accounts, endpoints, the portal, retention) go through
//! the `sqlx` writer; both take SQLite's write lock with `BEGIN IMMEDIATE`
//! and wait for each other (`busy_timeout`).

use std::{path::Path, time::Duration};

use rusqlite::{Connection, Transaction, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use super::wal_bound::WalBound;
use crate::store::{StoreError, StoreResult};

/// The most writes committed together.
const MAX_BATCH: usize = 512;
/// Writes waiting for the writer, at most; callers beyond it wait to queue.
const QUEUE: usize = 8192;
/// How long the writer waits for the `sqlx` writer's transactions.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// One queued write, erased to what the writer loop needs.
trait Job: Send {
    /// Runs the write; whether it succeeded.
    fn run(&mut self, tx: &Transaction<'_>) -> bool;
    /// Tells the caller, once its transaction is over.
    fn finish(self: Box<Self>, committed: Result<(), Failed>);
}

/// Why a transaction did not commit, told to each of its writes.
#[derive(Debug, Clone)]
struct Failed {
    /// SQLite's message.
    message: String,
    /// Whether it was `SQLITE_FULL`: the caller learns that the disk is
    /// full (and may try again), not that the writer failed.
    disk_full: bool,
}

impl From<rusqlite::Error> for Failed {
    fn from(e: rusqlite::Error) -> Self {
        let e = StoreError::Sqlite(e);
        Self { disk_full: e.is_disk_full(), message: e.to_string() }
    }
}

impl From<Failed> for StoreError {
    fn from(failed: Failed) -> Self {
        let message = format!("the commit failed: {}", failed.message);
        if failed.disk_full {
            Self::DiskFull(message)
        } else {
            Self::Writer(message)
        }
    }
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
    F: FnMut(&Transaction<'_>) -> StoreResult<T> + Send + 'static,
{
    fn run(&mut self, tx: &Transaction<'_>) -> bool {
        let result = (self.write)(tx);
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, committed: Result<(), Failed>) {
        let outcome = match (committed, self.result) {
            // The write's own error (a full disk, say) says more than the
            // rollback's: SQLite may already have rolled back on it.
            (_, Some(Err(e))) => Err(e),
            (Ok(()), Some(result)) => result,
            (Err(failed), _) => Err(failed.into()),
            (Ok(()), None) => Err(StoreError::Writer("a queued write never ran".into())),
        };
        let _ = self.reply.send(outcome); // the caller may have gone; its write stands
    }
}

/// The queue in front of the hot writer's thread.
#[derive(Debug, Clone)]
pub struct HotWriter {
    queue: mpsc::Sender<Box<dyn Job>>,
}

impl HotWriter {
    /// Opens the writer's connection to the database at `path` (already
    /// migrated) and starts its thread, which keeps the `-wal` file under
    /// `wal_limit` bytes; the thread ends when the last handle is dropped.
    pub fn start(path: &Path, wal_limit: u64) -> StoreResult<Self> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // NORMAL in WAL mode survives a crash of the process; only a power
        // loss can take back the last commits.
        // No checkpoints in this thread's commits: `checkpointer.rs` runs
        // them, and `wal_bound.rs` the catch-ups between them.
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
             PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = {};",
            WalBound::journal_size_limit(wal_limit)
        ))?;
        let bound = WalBound::new(path, wal_limit);
        conn.set_prepared_statement_cache_capacity(64);
        let (queue, jobs) = mpsc::channel(QUEUE);
        std::thread::Builder::new()
            .name("herald-sqlite-writer".into())
            .spawn(move || serve(conn, jobs, bound))
            .map_err(|e| StoreError::Writer(format!("cannot start the writer thread: {e}")))?;
        Ok(Self { queue })
    }

    /// Runs `write` in the next group transaction; answers after its commit.
    pub async fn run<T, F>(&self, write: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnMut(&Transaction<'_>) -> StoreResult<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(Write { write, result: None, reply });
        let stopped = || StoreError::Writer("the writer thread has stopped".into());
        self.queue.send(job).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn serve(mut conn: Connection, mut jobs: mpsc::Receiver<Box<dyn Job>>, mut bound: WalBound) {
    while let Some(first) = jobs.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit_batch(&mut conn, batch);
        bound.keep(&conn, BUSY_TIMEOUT);
    }
}

fn commit_batch(conn: &mut Connection, mut batch: Vec<Box<dyn Job>>) {
    if batch.len() > 1 {
        // When one write fails the batch rolls back, and each runs alone below.
        if let Ok(committed) = run_together(conn, &mut batch) {
            for job in batch {
                job.finish(committed.clone());
            }
            return;
        }
    }
    for mut job in batch {
        let committed = run_alone(conn, job.as_mut());
        job.finish(committed);
    }
}

/// Every write in one transaction: the commit's outcome, or `Err` when a write failed.
fn run_together(conn: &mut Connection, batch: &mut [Box<dyn Job>]) -> Result<Result<(), Failed>, ()> {
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return Ok(Err(e.into())),
    };
    for job in batch.iter_mut() {
        if !job.run(&tx) {
            let _ = tx.rollback();
            return Err(());
        }
    }
    Ok(tx.commit().map_err(Failed::from))
}

/// One write in its own transaction.
fn run_alone(conn: &mut Connection, job: &mut dyn Job) -> Result<(), Failed> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if job.run(&tx) {
        Ok(tx.commit()?)
    } else {
        Ok(tx.rollback()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: std::os::raw::c_int) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn a_commit_that_failed_on_a_full_disk_tells_each_write_so_and_any_other_failure_does_not() {
        let full = StoreError::from(Failed::from(failure(rusqlite::ffi::SQLITE_FULL)));
        assert!(matches!(full, StoreError::DiskFull(_)), "{full:?}");
        assert!(full.is_disk_full() && full.is_unavailable(), "{full}");
        let other = StoreError::from(Failed::from(failure(rusqlite::ffi::SQLITE_IOERR)));
        assert!(matches!(other, StoreError::Writer(_)), "{other:?}");
    }

    #[test]
    fn a_write_that_failed_is_told_its_own_error_whatever_its_rollback_said() {
        let (reply, answer) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(Write::<(), _> {
            write: |_: &Transaction<'_>| Ok(()),
            result: Some(Err(StoreError::Sqlite(failure(rusqlite::ffi::SQLITE_FULL)))),
            reply,
        });
        job.finish(Err(Failed { message: "cannot rollback - no transaction is active".into(), disk_full: false }));
        let told = answer.blocking_recv().expect("an answer").expect_err("a failure");
        assert!(told.is_disk_full(), "{told}");
    }
}
