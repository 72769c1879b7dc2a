//! The embedded store: one SQLite file in WAL mode, one writer connection
//! (so writes queue instead of failing busy) and a few readers.

mod checkpointer;
mod claim;
mod dispatch;
mod hot_writer;
mod integrity;
mod outcome;
mod placeholders;
mod pool;
mod process_lock;
mod publish;
mod publish_statements;
mod wal_bound;

pub use integrity::StartCheck;
pub use pool::SqliteStore;
pub use wal_bound::DEFAULT_LIMIT as DEFAULT_WAL_LIMIT;
