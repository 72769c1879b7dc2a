//! WAL checkpoints on a thread of their own. SQLite's automatic checkpoint
//! runs inside the commit that crosses its threshold, on the writer's
//! thread, and with `synchronous = NORMAL` it syncs the WAL and the database
//! file: every publish and outcome queued behind that commit waits for two
//! disk flushes. Here the writers never checkpoint (`wal_autocheckpoint = 0`
//! on their connections) and this thread runs a `PASSIVE` checkpoint every
//! [`EVERY`], which copies committed pages back while writers go on
//! appending (a checkpoint takes no write lock). Durability is unchanged: a
//! commit is durable against a crash of the process once it is in the WAL.

use std::{path::Path, sync::mpsc, time::Duration};

use rusqlite::Connection;

use crate::store::{StoreError, StoreResult};

/// How often the WAL is checkpointed.
const EVERY: Duration = Duration::from_millis(200);

/// The checkpointing thread; it stops when this is dropped.
#[derive(Debug)]
pub struct Checkpointer {
    /// Dropped to stop the thread.
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `path` (already in WAL mode).
    pub fn start(path: &Path) -> StoreResult<Self> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(1))?;
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("herald-sqlite-checkpoint".into())
            .spawn(move || {
                // Said once per run of failures: a full disk fails every
                // checkpoint until space is freed, five times a second.
                let mut failing = false;
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
                    match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                        Err(e) if !failing => {
                            tracing::warn!(error = %e, "a WAL checkpoint failed; trying again until one succeeds");
                            failing = true;
                        }
                        Ok(()) if failing => {
                            tracing::info!("WAL checkpoints succeed again");
                            failing = false;
                        }
                        _ => {}
                    }
                }
            })
            .map_err(|e| StoreError::Writer(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Self { _stop: stop })
    }
}
