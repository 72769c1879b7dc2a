//! The SQLite store's connections: the writer, the hot writer's thread, the
//! readers, and the checkpointer, opened on one file that one process holds.

use std::{fs::File, str::FromStr, sync::Arc, time::Duration};

use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    Pool, Sqlite, SqlitePool,
};

use super::{
    checkpointer, hot_writer,
    integrity::{self, StartCheck},
    process_lock::wait_for_lock,
    wal_bound,
};
use crate::store::{sql::dialect::Engine, Sealer, Store, StoreError, StoreResult};

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// The single connection every write goes through.
    pub(super) writer: SqlitePool,
    /// The hot writes (publishing, leasing, attempt logs), committed in
    /// groups on a connection of their own.
    pub(super) hot: hot_writer::HotWriter,
    /// Connections for reads, which WAL lets run beside the writer.
    pub(super) reader: SqlitePool,
    /// Seals endpoint secrets before they are written, opens them after they are read.
    pub(super) sealer: Arc<Sealer>,
    /// An exclusive lock on `<file>.lock`, held while the store is open: one
    /// process per SQLite file (several nodes need PostgreSQL).
    _process_lock: Option<Arc<File>>,
    /// Checkpoints the WAL off the writers' threads, while the store is open.
    _checkpointer: Option<Arc<checkpointer::Checkpointer>>,
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database at `url`;
    /// endpoint secrets go through `sealer`, and the `-wal` file is kept
    /// under `wal_limit` bytes. An existing file must first pass `check`.
    pub async fn open(url: &str, sealer: Arc<Sealer>, wal_limit: u64, check: StartCheck) -> StoreResult<Self> {
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
        if process_lock.is_some() {
            let path = options.get_filename().to_owned();
            tokio::task::spawn_blocking(move || integrity::check(&path, check))
                .await
                .map_err(|e| StoreError::Writer(format!("the start check failed: {e}")))??;
        }
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

impl Engine for SqliteStore {
    type Db = Sqlite;

    fn read_pool(&self) -> &Pool<Sqlite> {
        &self.reader
    }

    fn write_pool(&self) -> &Pool<Sqlite> {
        &self.writer
    }

    fn sealer(&self) -> &Sealer {
        &self.sealer
    }
}

impl Store for SqliteStore {}
