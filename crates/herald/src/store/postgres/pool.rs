//! The [`PostgresStore`] itself: the connection pool, migrations, and the
//! list-page helper every list query ends with.

use std::{str::FromStr, sync::Arc, time::Duration};

use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    Connection, PgConnection, PgPool, Pool, Postgres,
};
use tokio::sync::Mutex;

use crate::store::{sql::dialect::Engine, Sealer, Store, StoreResult};

/// Connections per process: enough for the API and the workers' writes side by
/// side, few enough that a handful of nodes fit a default `max_connections`.
const POOL_SIZE: u32 = 16;
/// Connections for the dispatcher's claims.
const DISPATCH_POOL_SIZE: u32 = 2;
/// Connections for the attempt log (it writes one group at a time).
const ATTEMPT_POOL_SIZE: u32 = 2;

/// How long PostgreSQL lets a session of Herald's sit idle inside a
/// transaction before it ends the session. Herald's transactions run their
/// statements back to back, so only a node paused or cut off in the middle
/// of one gets there; its row locks are then freed for the other nodes
/// within this, rather than after the kernel's TCP keep-alive (hours).
const IDLE_IN_TRANSACTION_LIMIT: &str = "10s";

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    /// Every read and write goes through this pool, but for the dispatcher's
    /// writes; the database serialises what must be serialised with row
    /// locks, not the process.
    pub(super) pool: PgPool,
    /// The dispatcher's claims, whose commits (like the attempt log's) do not wait
    /// for the disk (`synchronous_commit = off`): what a crash of the database
    /// server could take back is a lease or an outcome of the last fraction
    /// of a second, and that delivery is then sent again (at least once, as
    /// after a crash of Herald). Publishes and the API's writes wait for the
    /// disk: an accepted event survives a crash of the server.
    pub(super) dispatch_pool: PgPool,
    /// Seals endpoint secrets before they are written, opens them after they are read.
    pub(super) sealer: Arc<Sealer>,
    /// Publishes, written in groups of multi-row statements on one connection at a time.
    pub(super) publish: super::publish_group::PublishGroup,
    /// Attempt outcomes, recorded in groups on a pool of their own.
    pub(super) attempts: super::attempt_log::AttemptLog,
    /// The health probe's own connection (made again after any failure),
    /// so that its pings wait on the database alone, never on a busy pool:
    /// a server that refuses connections is seen at once.
    probe: Arc<Mutex<Option<PgConnection>>>,
    /// What the probe connects with.
    options: PgConnectOptions,
}

impl PostgresStore {
    /// Connects to the database at `url` and brings its schema up to date.
    /// Several processes may start at once: the migrator holds a lock while it runs.
    /// Endpoint secrets go through `sealer`; a call waits at most `timeout`
    /// for a connection (one the server refuses is retried until then).
    pub async fn open(url: &str, sealer: Arc<Sealer>, timeout: Duration) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)?
            .options([("idle_in_transaction_session_timeout", IDLE_IN_TRANSACTION_LIMIT)]);
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(timeout)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        let unsynced = options.clone().options([("synchronous_commit", "off")]);
        let dispatch_pool = PgPoolOptions::new()
            .max_connections(DISPATCH_POOL_SIZE)
            .acquire_timeout(timeout)
            .connect_with(unsynced.clone())
            .await?;
        // The attempt log plans each execution for the table as it is then:
        // a plan cached while `deliveries` was small kept scanning it whole
        // (`id = ANY(…)` against every row) for every group of outcomes as
        // it grew, half of PostgreSQL's time in `throughput`. Claims keep
        // their cached plan, which walks the due index: planned afresh just
        // after a re-enable, on statistics from before it, they sorted.
        let attempt_pool = PgPoolOptions::new()
            .max_connections(ATTEMPT_POOL_SIZE)
            .acquire_timeout(timeout)
            .connect_with(unsynced.options([("plan_cache_mode", "force_custom_plan")]))
            .await?;
        let publish = super::publish_group::PublishGroup::start(pool.clone(), Arc::clone(&sealer));
        let attempts = super::attempt_log::AttemptLog::new(attempt_pool);
        let probe = Arc::new(Mutex::new(None));
        Ok(Self { pool, dispatch_pool, sealer, publish, attempts, probe, options })
    }
}

impl Engine for PostgresStore {
    type Db = Postgres;

    fn read_pool(&self) -> &Pool<Postgres> {
        &self.pool
    }

    fn write_pool(&self) -> &Pool<Postgres> {
        &self.pool
    }

    fn sealer(&self) -> &Sealer {
        &self.sealer
    }

    /// On the probe's own connection, taken out while in use: a ping cut
    /// short (its caller's timeout) drops it, and the next one connects afresh.
    async fn answers(&self) -> StoreResult<()> {
        let mut probe = self.probe.lock().await;
        let mut conn = match probe.take() {
            Some(conn) => conn,
            None => PgConnection::connect_with(&self.options).await?,
        };
        sqlx::query("SELECT 1").execute(&mut conn).await?;
        *probe = Some(conn);
        Ok(())
    }
}

impl Store for PostgresStore {}
