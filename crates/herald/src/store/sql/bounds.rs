//! sqlx states what a database can do as bounds on other types (`i64:
//! Encode<'q, DB>`, `&mut DB::Connection: Executor`), and Rust does not carry
//! such bounds from a trait to its users. The traits here restate them as
//! bounds on the database itself, which Rust does carry (`dialect.rs` gathers
//! them in `Sql`), with `.arg(v)` and `row.col("c")` for `.bind` and
//! `try_get`, so the shared code asks for nothing but `S: Engine`.

use sqlx::{query::Query, ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Postgres, Row, Sqlite, Type};

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
