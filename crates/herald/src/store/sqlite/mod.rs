//! The embedded store: one SQLite file in WAL mode, one writer connection
//! (so writes queue instead of failing busy) and a few readers.

mod checkpointer;
mod dispatch;
mod events;
mod hot_dispatch;
mod hot_events;
mod hot_writer;
mod placeholders;
mod pool;
mod process_lock;
mod wal_bound;

pub use pool::SqliteStore;
pub use wal_bound::DEFAULT_LIMIT as DEFAULT_WAL_LIMIT;
