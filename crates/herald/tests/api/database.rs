//! The database under a test: a fresh, empty one per test, on the engine the
//! run asks for. `HERALD_TEST_ENGINE=postgres` gives each test a schema of its
//! own on the server named by `HERALD_TEST_DATABASE_URL` (dropped when the
//! test ends); otherwise each test gets a SQLite file in a temporary folder.

use std::time::Duration;

use sqlx::{Connection, PgConnection, SqliteConnection};
use tempfile::TempDir;

/// Selects the engine for the whole run.
const ENGINE_VAR: &str = "HERALD_TEST_ENGINE";

/// The PostgreSQL server tests make their schemas on.
const SERVER_VAR: &str = "HERALD_TEST_DATABASE_URL";

/// The engines the suite runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// An embedded SQLite file (the default).
    Sqlite,
    /// A schema on a PostgreSQL server.
    Postgres,
}

impl Engine {
    /// The engine this run asks for through `HERALD_TEST_ENGINE`.
    pub fn of_this_run() -> Self {
        match std::env::var(ENGINE_VAR).unwrap_or_default().to_ascii_lowercase().as_str() {
            "" | "sqlite" => Self::Sqlite,
            "postgres" | "postgresql" => Self::Postgres,
            other => panic!("{ENGINE_VAR}={other} is not an engine: use sqlite or postgres"),
        }
    }
}

/// One test's database, removed when the value is dropped.
pub struct TestDatabase {
    /// What Herald is given as `--database-url`.
    url: String,
    /// What holds the data, and what to clean up.
    backing: Backing,
}

enum Backing {
    /// The folder that holds the SQLite file; removed with it.
    Sqlite { _dir: TempDir },
    /// A PostgreSQL database the test manages itself (a private cluster).
    External,
    /// A schema of this test's own, dropped at the end.
    Postgres {
        /// The server's URL as given (no schema chosen).
        server: String,
        /// `test_<ulid>`; also the `application_name` of every connection to it.
        schema: String,
    },
}

impl TestDatabase {
    /// A fresh, empty database for one test: a SQLite file in a temporary
    /// folder, or — when `HERALD_TEST_ENGINE=postgres` — a schema of its own on
    /// the server named by `HERALD_TEST_DATABASE_URL`, dropped with the value.
    pub async fn create() -> Self {
        match Engine::of_this_run() {
            Engine::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary folder for the SQLite file");
                let url = format!("sqlite://{}", dir.path().join("herald.db").display());
                Self { url, backing: Backing::Sqlite { _dir: dir } }
            }
            Engine::Postgres => {
                let server = std::env::var(SERVER_VAR).unwrap_or_else(|_| {
                    panic!(
                        "{ENGINE_VAR}=postgres needs {SERVER_VAR}, the URL of a PostgreSQL server where tests may \
                         create schemas, e.g. postgres://postgres@127.0.0.1:5432/postgres"
                    )
                });
                let schema = format!("test_{}", ulid::Ulid::new().to_string().to_ascii_lowercase());
                let mut conn = PgConnection::connect(&server)
                    .await
                    .unwrap_or_else(|e| panic!("cannot connect to {SERVER_VAR} ({server}): {e}"));
                sqlx::query(&format!("CREATE SCHEMA {schema}"))
                    .execute(&mut conn)
                    .await
                    .unwrap_or_else(|e| panic!("cannot create schema {schema}: {e}"));
                conn.close().await.ok();
                let url = schema_url(&server, &schema);
                Self { url, backing: Backing::Postgres { server, schema } }
            }
        }
    }

    /// A PostgreSQL database at `url` that the test set up and cleans up itself.
    pub fn at(url: String) -> Self {
        Self { url, backing: Backing::External }
    }

    /// The engine it runs on.
    pub fn engine(&self) -> Engine {
        match self.backing {
            Backing::Sqlite { .. } => Engine::Sqlite,
            Backing::Postgres { .. } | Backing::External => Engine::Postgres,
        }
    }

    /// The `--database-url` for Herald. For PostgreSQL, the server URL with
    /// `options=-c search_path=<schema>`, which sqlx passes to the server at
    /// connection start, so every pooled connection works in this schema.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Runs a query that returns one integer (e.g. `SELECT COUNT(*) …`)
    /// directly against this database, for tests that inspect the store.
    pub async fn scalar_i64(&self, sql: &str) -> i64 {
        match self.engine() {
            Engine::Sqlite => {
                let mut conn = SqliteConnection::connect(&self.url).await.expect("a connection to the SQLite file");
                let value = sqlx::query_scalar(sql).fetch_one(&mut conn).await;
                conn.close().await.ok();
                value.unwrap_or_else(|e| panic!("`{sql}` returns one integer: {e}"))
            }
            Engine::Postgres => {
                let mut conn = PgConnection::connect(&self.url).await.expect("a connection to the test schema");
                let value = sqlx::query_scalar(sql).fetch_one(&mut conn).await;
                conn.close().await.ok();
                value.unwrap_or_else(|e| panic!("`{sql}` returns one integer: {e}"))
            }
        }
    }
}

impl TestDatabase {
    /// Runs a query that returns one text value or `NULL` (e.g. a raw
    /// column) directly against this database.
    pub async fn scalar_string(&self, sql: &str) -> Option<String> {
        match self.engine() {
            Engine::Sqlite => {
                let mut conn = SqliteConnection::connect(&self.url).await.expect("a connection to the SQLite file");
                let value = sqlx::query_scalar(sql).fetch_one(&mut conn).await;
                conn.close().await.ok();
                value.unwrap_or_else(|e| panic!("`{sql}` returns one text value: {e}"))
            }
            Engine::Postgres => {
                let mut conn = PgConnection::connect(&self.url).await.expect("a connection to the test schema");
                let value = sqlx::query_scalar(sql).fetch_one(&mut conn).await;
                conn.close().await.ok();
                value.unwrap_or_else(|e| panic!("`{sql}` returns one text value: {e}"))
            }
        }
    }
}

/// The server URL with a search path (and an application name to find the
/// schema's connections by) added to its query.
fn schema_url(server: &str, schema: &str) -> String {
    let mut url = url::Url::parse(server).unwrap_or_else(|e| panic!("{SERVER_VAR} is not a URL: {e}"));
    url.query_pairs_mut()
        .append_pair("options", &format!("-c search_path={schema}"))
        .append_pair("application_name", schema);
    url.to_string()
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Backing::Postgres { server, schema } = &self.backing else {
            return; // the TempDir removes the SQLite file; an external database is the test's own
        };
        // Synchronously, on a thread of its own with its own runtime, so it
        // works whatever runtime (or none) the test was using.
        let (server, schema) = (server.clone(), schema.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(drop_schema(&server, &schema))
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("warning: the test schema was not dropped: {e}"),
            Err(_) => eprintln!("warning: dropping the test schema panicked"),
        }
    }
}

/// Ends the connections Herald may still hold to the schema (an app whose
/// test failed may still be running), then drops the schema with everything in it.
async fn drop_schema(server: &str, schema: &str) -> anyhow::Result<()> {
    let mut conn = tokio::time::timeout(Duration::from_secs(10), PgConnection::connect(server)).await??;
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()")
        .bind(schema)
        .execute(&mut conn)
        .await?;
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).execute(&mut conn).await?;
    conn.close().await?;
    Ok(())
}
