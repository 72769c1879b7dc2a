//! What the SQL written once for both engines asks of an engine: the values
//! it binds and reads, how its statements run, and the few places where the
//! two dialects differ (write transactions and row locks).
//!
//! sqlx states what a database can do as bounds on other types (`i64:
//! Encode<'q, DB>`, `&mut DB::Connection: Executor`), and Rust does not carry
//! such bounds from a trait to its users. The traits here restate them as
//! bounds on the database itself, which Rust does carry, so the shared code
//! asks for nothing but `S: Engine`.

use std::future::Future;

use sqlx::{
    query::Query, ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, Postgres, Row, Sqlite,
    Transaction, Type,
};

use crate::store::{Sealer, StoreResult};

/// A statement with its arguments, as `sqlx::query` builds it.
pub type SqlQuery<'q, DB> = Query<'q, DB, <DB as Database>::Arguments<'q>>;

/// A database that binds values of type `T`.
pub trait Binds<T>: Database {
    /// `query.bind(value)`.
    fn bind_to<'q>(query: SqlQuery<'q, Self>, value: T) -> SqlQuery<'q, Self>;
}

impl<DB: Database, T> Binds<T> for DB
where
    T: for<'q> Encode<'q, DB> + Type<DB> + Send + 'static,
{
    fn bind_to<'q>(query: SqlQuery<'q, Self>, value: T) -> SqlQuery<'q, Self> {
        query.bind(value)
    }
}

/// A database that reads columns as values of type `T`.
pub trait Reads<T>: Database {
    /// `row.try_get(column)`.
    fn read(row: &Self::Row, column: &str) -> Result<T, sqlx::Error>;
}

impl<DB: Database, T> Reads<T> for DB
where
    T: for<'r> Decode<'r, DB> + Type<DB>,
    for<'c> &'c str: ColumnIndex<DB::Row>,
{
    fn read(row: &Self::Row, column: &str) -> Result<T, sqlx::Error> {
        row.try_get(column)
    }
}

/// A database whose statements, with arguments borrowed for `'q`, run.
pub trait Runs<'q>: Database<Arguments<'q>: IntoArguments<'q, Self>> {}

impl<'q, DB: Database> Runs<'q> for DB where DB::Arguments<'q>: IntoArguments<'q, DB> {}

/// A connection (or a transaction, through `DerefMut`) that runs statements.
pub trait Conn: Send {
    /// The database it speaks to.
    type Db: Database;
    /// The connection as an executor.
    fn exec(&mut self) -> impl Executor<'_, Database = Self::Db>;
}

/// How many rows a statement changed.
pub trait Affected {
    /// The count.
    fn rows(&self) -> u64;
}

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

    fn pooled(pool: &Pool<Self>) -> impl Executor<'_, Database = Self> {
        pool
    }
}

/// Both engines' connections and results, as the traits above name them.
macro_rules! connection {
    ($db:ty, $connection:ty, $result:ty) => {
        impl Conn for $connection {
            type Db = $db;

            fn exec(&mut self) -> impl Executor<'_, Database = $db> {
                self
            }
        }

        impl Affected for $result {
            fn rows(&self) -> u64 {
                self.rows_affected()
            }
        }
    };
}

connection!(Sqlite, sqlx::SqliteConnection, sqlx::sqlite::SqliteQueryResult);
connection!(Postgres, sqlx::PgConnection, sqlx::postgres::PgQueryResult);

/// `.arg(value)` on a statement: `.bind(value)` for the shared SQL.
pub trait Arg<DB: Database> {
    /// Binds the next placeholder.
    fn arg<T>(self, value: T) -> Self
    where
        DB: Binds<T>;
}

impl<'q, DB: Database> Arg<DB> for SqlQuery<'q, DB> {
    fn arg<T>(self, value: T) -> Self
    where
        DB: Binds<T>,
    {
        DB::bind_to(self, value)
    }
}

/// `row.col("name")`: `row.try_get("name")` for the shared SQL.
pub trait Col {
    /// The database the row came from.
    type Db: Database;
    /// The column's value.
    fn col<T>(&self, column: &str) -> Result<T, sqlx::Error>
    where
        Self::Db: Reads<T>;
}

impl<R: Row> Col for R {
    type Db = R::Database;

    fn col<T>(&self, column: &str) -> Result<T, sqlx::Error>
    where
        Self::Db: Reads<T>,
    {
        <R::Database as Reads<T>>::read(self, column)
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
}
