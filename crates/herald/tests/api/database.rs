//! The store a test's Herald runs on, and one-integer queries straight against
//! it. A minimal SQLite-only stand-in: the full version (PostgreSQL too)
//! replaces this file.

use sqlx::{Connection, SqliteConnection};
use tempfile::TempDir;

/// Which store engine a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// One SQLite file (the default).
    Sqlite,
    /// A schema of its own on `HERALD_TEST_DATABASE_URL` (`HERALD_TEST_ENGINE=postgres`).
    Postgres,
}

/// A fresh database for one test, removed when dropped.
pub struct TestDatabase {
    /// Holds the SQLite file.
    dir: TempDir,
}

impl TestDatabase {
    /// A new, empty database (Herald creates its tables at first start).
    pub async fn create() -> Self {
        if std::env::var("HERALD_TEST_ENGINE").is_ok_and(|e| e.eq_ignore_ascii_case("postgres")) {
            panic!("PostgreSQL support arrives with the PostgreSQL store");
        }
        Self { dir: tempfile::tempdir().expect("a temporary folder for the database") }
    }

    /// The engine this database runs on.
    pub fn engine(&self) -> Engine {
        Engine::Sqlite
    }

    /// The `--database-url` to give Herald.
    pub fn url(&self) -> String {
        format!("sqlite://{}", self.dir.path().join("herald.db").display())
    }

    /// The one integer `sql` selects, read straight from the store.
    pub async fn scalar_i64(&self, sql: &str) -> i64 {
        let mut connection = SqliteConnection::connect(&self.url()).await.expect("the test database opens");
        let value = sqlx::query_scalar(sql).fetch_one(&mut connection).await;
        connection.close().await.expect("the test database closes");
        value.unwrap_or_else(|e| panic!("`{sql}` selects one integer: {e}"))
    }
}
