//! Opening the store a database URL names, and re-sealing its endpoint
//! secrets before it is handed out.

use std::sync::Arc;

use super::{postgres, reseal, sealer::Sealer, sqlite, SharedStore};

/// How a store is run, beyond its URL.
#[derive(Debug, Clone, Copy)]
pub struct StoreSettings {
    /// SQLite: the most bytes the `-wal` file may grow to under load.
    pub sqlite_wal_limit: u64,
    /// SQLite: how an existing file is checked before Herald starts on it.
    pub sqlite_check_on_start: sqlite::StartCheck,
    /// PostgreSQL: how long a call waits for a connection before it fails.
    pub database_timeout: std::time::Duration,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self {
            sqlite_wal_limit: sqlite::DEFAULT_WAL_LIMIT,
            sqlite_check_on_start: sqlite::StartCheck::default(),
            database_timeout: std::time::Duration::from_secs(2),
        }
    }
}

/// Opens the store named by `url`, creating and migrating it as needed:
/// `sqlite:` URLs open (or create) a SQLite file, an existing one checked
/// first (`sqlite/integrity.rs`); `postgres://` and `postgresql://` URLs
/// connect to a PostgreSQL database that must exist.
/// Endpoint secrets are sealed and opened by `sealer`; every stored one is
/// brought to the form it writes before the store is handed out, and one
/// that no key of `sealer` opens fails the open.
pub async fn open(url: &str, sealer: Sealer, settings: StoreSettings) -> anyhow::Result<SharedStore> {
    let sealer = Arc::new(sealer);
    if url.starts_with("sqlite:") {
        let store =
            sqlite::SqliteStore::open(url, sealer.clone(), settings.sqlite_wal_limit, settings.sqlite_check_on_start)
                .await?;
        resealed(&store, &sealer).await?;
        Ok(Arc::new(store))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = postgres::PostgresStore::open(url, sealer.clone(), settings.database_timeout).await?;
        resealed(&store, &sealer).await?;
        Ok(Arc::new(store))
    } else {
        let shown = url.split_once("://").map_or(url, |(scheme, _)| scheme);
        anyhow::bail!(
            "unsupported HERALD_DATABASE_URL scheme `{shown}`: use sqlite://path/to/herald.db \
             or postgres://user:password@host:5432/database"
        )
    }
}

/// Runs the re-seal pass, and says what it did when it did anything.
async fn resealed(store: &(impl reseal::SecretColumns + Sync), sealer: &Sealer) -> anyhow::Result<()> {
    let report = reseal::reseal_all(store, sealer).await?;
    if report.resealed > 0 {
        match sealer.current_key_id() {
            Some(key) => tracing::info!(
                endpoints = report.resealed,
                key,
                "sealed endpoint secrets with the current encryption key"
            ),
            None => tracing::info!(
                endpoints = report.resealed,
                "stored endpoint secrets unencrypted (HERALD_ENCRYPTION_KEY is not set)"
            ),
        }
    }
    Ok(())
}
