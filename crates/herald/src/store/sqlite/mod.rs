//! The embedded store: one SQLite file in WAL mode, one writer connection
//! (so writes queue instead of failing busy) and a few readers.

mod accounts;
mod checkpointer;
mod deliveries;
mod dispatch;
mod endpoints;
mod events;
mod hot_dispatch;
mod hot_events;
mod hot_writer;
mod ops;
mod portal;
mod rows;
mod sealed;
mod wal_bound;

pub use wal_bound::DEFAULT_LIMIT as DEFAULT_WAL_LIMIT;

use std::{
    fs::{File, TryLockError},
    path::{Path, PathBuf},
    str::FromStr,
    sync::Arc,
    time::Duration,
};

use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous},
    QueryBuilder, Sqlite, SqlitePool,
};

use super::{Page, Paged, Sealer, StoreError, StoreResult};

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// The single connection every write goes through.
    writer: SqlitePool,
    /// The hot writes (publishing, leasing, attempt logs), committed in
    /// groups on a connection of their own.
    hot: hot_writer::HotWriter,
    /// Connections for reads, which WAL lets run beside the writer.
    reader: SqlitePool,
    /// Seals endpoint secrets before they are written, opens them after they are read.
    sealer: Arc<Sealer>,
    /// An exclusive lock on `<file>.lock`, held while the store is open: one
    /// process per SQLite file (several nodes need PostgreSQL).
    _process_lock: Option<Arc<File>>,
    /// Checkpoints the WAL off the writers' threads, while the store is open.
    _checkpointer: Option<Arc<checkpointer::Checkpointer>>,
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database at `url`;
    /// endpoint secrets go through `sealer`, and the `-wal` file is kept
    /// under `wal_limit` bytes.
    pub async fn open(url: &str, sealer: Arc<Sealer>, wal_limit: u64) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode survives a crash of the process; only a
            // power loss can take back the last commits.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        if let Some(parent) = options.get_filename().parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError::Corrupt(format!("cannot create {}: {e}", parent.display())))?;
        }
        let process_lock = wait_for_lock(options.get_filename()).await?;
        // The writers never checkpoint: `checkpointer.rs` does, on a thread of its own.
        let writer_options = options
            .clone()
            .pragma("wal_autocheckpoint", "0")
            .pragma("journal_size_limit", wal_bound::WalBound::journal_size_limit(wal_limit).to_string());
        let writer = SqlitePoolOptions::new().max_connections(1).connect_with(writer_options).await?;
        sqlx::migrate!("./migrations/sqlite").run(&writer).await?;
        let reader = SqlitePoolOptions::new().max_connections(4).connect_with(options.clone().read_only(true)).await?;
        let hot = hot_writer::HotWriter::start(options.get_filename(), wal_limit)?;
        let _checkpointer = match process_lock {
            Some(_) => Some(Arc::new(checkpointer::Checkpointer::start(options.get_filename())?)),
            None => None, // in memory: no WAL
        };
        Ok(Self { writer, hot, reader, sealer, _process_lock: process_lock, _checkpointer })
    }
}

/// How long opening waits for another process to let go of the file: a
/// process being restarted may find its predecessor still exiting.
const LOCK_WAIT: Duration = Duration::from_secs(2);

/// Takes the process lock, waiting up to [`LOCK_WAIT`] for a process that is exiting.
async fn wait_for_lock(db: &Path) -> StoreResult<Option<Arc<File>>> {
    let deadline = tokio::time::Instant::now() + LOCK_WAIT;
    loop {
        match lock_file(db) {
            Err(StoreError::Locked(_)) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => return other,
        }
    }
}

/// Takes the process lock of a database file (none for an in-memory database).
fn lock_file(db: &Path) -> StoreResult<Option<Arc<File>>> {
    if db.as_os_str().is_empty() || db == Path::new(":memory:") {
        return Ok(None);
    }
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    let path = PathBuf::from(name);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| StoreError::Corrupt(format!("cannot create {}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(Arc::new(file))),
        Err(TryLockError::WouldBlock) => Err(StoreError::Locked(db.display().to_string())),
        Err(TryLockError::Error(e)) => Err(StoreError::Corrupt(format!("cannot lock {}: {e}", path.display()))),
    }
}

/// Finishes a list query (`SELECT … WHERE <conditions>`) with the cursor,
/// newest-first order and `limit + 1`, and reads the page.
async fn fetch_page<T>(
    pool: &SqlitePool,
    mut query: QueryBuilder<'_, Sqlite>,
    page: &Page,
    read: fn(&SqliteRow) -> StoreResult<T>,
    id_of: fn(&T) -> String,
) -> StoreResult<Paged<T>> {
    if let Some(before) = &page.before {
        query.push(" AND id < ").push_bind(before.clone());
    }
    query.push(" ORDER BY id DESC LIMIT ").push_bind(i64::from(page.limit) + 1);
    let items = query.build().fetch_all(pool).await?.iter().map(read).collect::<StoreResult<Vec<_>>>()?;
    Ok(paged(items, page, id_of))
}

/// Turns `limit + 1` fetched rows into a page and its next cursor.
fn paged<T>(mut items: Vec<T>, page: &Page, id_of: impl Fn(&T) -> String) -> Paged<T> {
    let limit = page.limit as usize;
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(&id_of)
    } else {
        None
    };
    Paged { items, next_cursor }
}

/// `?, ?, ?` for `n` bind parameters.
fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}
