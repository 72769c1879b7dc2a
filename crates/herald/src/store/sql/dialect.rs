//! What the SQL written once for both engines asks of a database and of an
//! engine: the values it binds and reads (`bounds.rs`), and the few places
//! where the two dialects differ: how transactions begin, the row locks, how
//! the `missed` condition is spelt, and the name of `GREATEST`.

use std::future::Future;

use sqlx::{Database, Executor, Pool, Postgres, Sqlite, Transaction};

use super::bounds::{Affected, Binds, Conn, Reads, Runs};
use crate::store::{Sealer, StoreResult};

/// Everything the shared SQL needs of a database: the values it binds and
/// reads (`TEXT`, `BIGINT` times and counts, `INTEGER` counts, flags, the
/// payload's bytes), its connections and its results.
pub trait Sql:
    Database<Connection: Conn<Db = Self>, QueryResult: Affected>
    + for<'q> Runs<'q>
    + Binds<String>
    + Binds<Option<String>>
    + Binds<i64>
    + Binds<Option<i64>>
    + Binds<bool>
    + Reads<String>
    + Reads<Option<String>>
    + Reads<i64>
    + Reads<Option<i64>>
    + Reads<i32>
    + Reads<Option<i32>>
    + Reads<bool>
    + Reads<Option<bool>>
    + Reads<Vec<u8>>
{
    /// Begins a transaction that writes, serialised with the engine's other writes.
    const BEGIN_WRITE: &'static str;
    /// Begins a read-only transaction whose reads all see the same snapshot.
    const BEGIN_SNAPSHOT: &'static str;
    /// Appended to a `SELECT` of a row that a transaction is about to change,
    /// to hold it until the commit (`""` where a write transaction holds the
    /// whole database already).
    const FOR_UPDATE: &'static str;
    /// Appended to a `SELECT` of an account row whose endpoints a transaction
    /// counts, so that the next creation for it waits for this one.
    const FOR_NO_KEY_UPDATE: &'static str;
    /// Appended to a `SELECT` of an endpoint row whose flag a transaction
    /// acts on, so that no disable slips in before the commit.
    const FOR_SHARE: &'static str;
    /// Appended to a `SELECT` that several nodes may run at once, so that
    /// each takes rows the others have not.
    const FOR_UPDATE_SKIP_LOCKED: &'static str;
    /// The condition on `deliveries` that picks the missed ones, written the
    /// way the partial index `deliveries_missed` is, so that it is used.
    const MISSED: &'static str;
    /// The function that takes the larger of two values (`MAX` on SQLite).
    const GREATEST: &'static str;
    /// A pool as an executor.
    fn pooled(pool: &Pool<Self>) -> impl Executor<'_, Database = Self>;
}

impl Sql for Sqlite {
    // IMMEDIATE takes the write lock first: what the transaction reads cannot
    // change before it writes, the hot writer's commits included. Holding
    // the whole database, it needs no row locks.
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";
    const BEGIN_SNAPSHOT: &'static str = "BEGIN";
    const FOR_UPDATE: &'static str = "";
    const FOR_NO_KEY_UPDATE: &'static str = "";
    const FOR_SHARE: &'static str = "";
    const FOR_UPDATE_SKIP_LOCKED: &'static str = "";
    // SQLite uses a partial index only for a query that says what it says.
    const MISSED: &'static str = "missed = 1";
    const GREATEST: &'static str = "MAX";

    fn pooled(pool: &Pool<Self>) -> impl Executor<'_, Database = Self> {
        pool
    }
}

impl Sql for Postgres {
    const BEGIN_WRITE: &'static str = "BEGIN";
    const BEGIN_SNAPSHOT: &'static str = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
    const FOR_UPDATE: &'static str = " FOR UPDATE";
    const FOR_NO_KEY_UPDATE: &'static str = " FOR NO KEY UPDATE";
    const FOR_SHARE: &'static str = " FOR SHARE";
    const FOR_UPDATE_SKIP_LOCKED: &'static str = " FOR UPDATE SKIP LOCKED";
    const MISSED: &'static str = "missed";
    const GREATEST: &'static str = "GREATEST";

    fn pooled(pool: &Pool<Self>) -> impl Executor<'_, Database = Self> {
        pool
    }
}

/// An engine's store as the shared SQL sees it.
pub trait Engine: Send + Sync + 'static {
    /// Its database.
    type Db: Sql;
    /// The pool that reads (beside the writes, where the engine allows).
    fn read_pool(&self) -> &Pool<Self::Db>;
    /// The pool that writes.
    fn write_pool(&self) -> &Pool<Self::Db>;
    /// Seals and opens endpoint secrets.
    fn sealer(&self) -> &Sealer;

    /// Statements that read.
    fn reads(&self) -> impl Executor<'_, Database = Self::Db> {
        Self::Db::pooled(self.read_pool())
    }

    /// Statements that write on their own.
    fn writes(&self) -> impl Executor<'_, Database = Self::Db> {
        Self::Db::pooled(self.write_pool())
    }

    /// A transaction that writes.
    fn begin_write(&self) -> impl Future<Output = StoreResult<Transaction<'static, Self::Db>>> + Send {
        async { Ok(self.write_pool().begin_with(Self::Db::BEGIN_WRITE).await?) }
    }

    /// A read-only transaction on one snapshot.
    fn begin_snapshot(&self) -> impl Future<Output = StoreResult<Transaction<'static, Self::Db>>> + Send {
        async { Ok(self.read_pool().begin_with(Self::Db::BEGIN_SNAPSHOT).await?) }
    }

    /// Whether the database answers a trivial statement (the health probe's ping).
    fn answers(&self) -> impl Future<Output = StoreResult<()>> + Send {
        async {
            sqlx::query("SELECT 1").execute(self.reads()).await?;
            Ok(())
        }
    }
}
