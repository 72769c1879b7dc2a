//! Keeps the `-wal` file bounded. The checkpointer's `PASSIVE` checkpoints
//! copy pages back while the writer goes on appending, but under steady
//! writes they never catch up with the last frame, and SQLite starts the
//! WAL over only when one has: the file then grows for as long as the load
//! lasts (6.7 GB in an hour of the mix). So when the file passes a quarter
//! of its limit, the hot writer, between two of its transactions, runs a
//! `TRUNCATE` checkpoint itself: no frame is appended meanwhile, so it
//! copies back the little the checkpointer has not, and empties the file.
//! It does not wait for readers (busy timeout zero): if one still reads an
//! old snapshot, the checkpoint copies what it can and the next try, or the
//! next commit that finds it all copied (the file then cut to
//! `journal_size_limit`), starts the WAL over.
//!
//! The cost is one catch-up (the frames since the last `PASSIVE`, and its
//! syncs) in front of the commits queued at that moment, once per quarter
//! of the limit written.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use rusqlite::Connection;

/// The least time before a catch-up that a reader kept from emptying the
/// WAL is tried again, so such a reader does not make every transaction try.
const RETRY_AFTER: Duration = Duration::from_millis(50);

/// The default limit of the `-wal` file.
pub const DEFAULT_LIMIT: u64 = 64 * 1024 * 1024;

/// The watch the hot writer keeps on its `-wal` file.
#[derive(Debug)]
pub struct WalBound {
    /// `<database>-wal`.
    wal: PathBuf,
    /// The size past which the writer catches up: a quarter of the limit.
    trigger: u64,
    /// When a catch-up last failed to empty the file.
    failed_at: Option<Instant>,
    /// Whether the last catch-up failed with an error (said once per run of
    /// them: a full disk fails each until space is freed).
    erring: bool,
}

impl WalBound {
    /// A watch on the WAL of the database at `db`, keeping it under `limit` bytes.
    pub fn new(db: &Path, limit: u64) -> Self {
        let mut wal = db.as_os_str().to_owned();
        wal.push("-wal");
        Self { wal: PathBuf::from(wal), trigger: trigger(limit), failed_at: None, erring: false }
    }

    /// What `journal_size_limit` is set to on the writers' connections: a WAL
    /// that starts over is cut to this size.
    pub fn journal_size_limit(limit: u64) -> u64 {
        trigger(limit)
    }

    /// Catches up with the WAL on `conn`, the writer's own connection, if the
    /// file has passed its trigger; called between transactions.
    pub fn keep(&mut self, conn: &Connection, busy_timeout: Duration) {
        let size = std::fs::metadata(&self.wal).map(|m| m.len()).unwrap_or(0);
        if size <= self.trigger || self.failed_at.is_some_and(|at| at.elapsed() < RETRY_AFTER) {
            return;
        }
        let caught_up = conn.busy_timeout(Duration::ZERO).and_then(|()| {
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
            })
        });
        if let Err(e) = conn.busy_timeout(busy_timeout) {
            tracing::warn!(error = %e, "could not set the writer's busy timeout back");
        }
        let erred = caught_up.is_err();
        self.failed_at = match caught_up {
            Ok((0, ..)) => {
                tracing::debug!(size, "WAL checkpointed and emptied");
                None
            }
            Ok((_, frames, copied)) => {
                tracing::debug!(size, frames, copied, "WAL checkpointed; a reader kept it from being emptied");
                Some(Instant::now())
            }
            Err(e) => {
                if !self.erring {
                    tracing::warn!(error = %e, "a WAL catch-up checkpoint failed; trying again until one succeeds");
                }
                Some(Instant::now())
            }
        };
        self.erring = erred;
    }
}

/// A quarter of the limit, and never less than a megabyte.
fn trigger(limit: u64) -> u64 {
    (limit / 4).max(1024 * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writer_catches_up_at_a_quarter_of_the_limit_and_never_below_a_megabyte() {
        assert_eq!(trigger(DEFAULT_LIMIT), 16 * 1024 * 1024);
        assert_eq!(trigger(1024), 1024 * 1024);
    }

    #[test]
    fn a_wal_past_its_trigger_is_emptied_by_the_writers_catch_up() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let db = dir.path().join("t.db");
        let conn = Connection::open(&db).expect("a database");
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
             CREATE TABLE t (x BLOB);",
        )
        .expect("a table");
        for _ in 0..300 {
            conn.execute("INSERT INTO t VALUES (randomblob(8000))", []).expect("a row");
        }
        let mut bound = WalBound::new(&db, 4 * 1024 * 1024);
        let wal = |bound: &WalBound| std::fs::metadata(&bound.wal).map(|m| m.len()).unwrap_or(0);
        assert!(wal(&bound) > bound.trigger, "the test wrote past the trigger: {}", wal(&bound));

        bound.keep(&conn, Duration::from_secs(1));

        assert_eq!(wal(&bound), 0, "the WAL was emptied");
        let rows: i64 = conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).expect("a count");
        assert_eq!(rows, 300, "and nothing was lost");
    }
}
