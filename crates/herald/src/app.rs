//! Wiring: store + dispatcher + publisher + the API's and the portal's routers
//! in one [`Application`], with graceful shutdown.

use std::{net::SocketAddr, sync::Arc};

use anyhow::Context;
use axum::extract::DefaultBodyLimit;
use tokio::net::TcpListener;
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tower_http::trace::TraceLayer;

use crate::{
    admin_token, api,
    config::Config,
    dispatch::Dispatcher,
    domain::Catalog,
    portal,
    publish::{operational, rounds, Publisher},
    store, telemetry,
    web::AppState,
};

/// A built Herald: listening, store open, ready to run.
pub struct Application {
    /// The bound listener; port 0 in the config becomes a real port here.
    listener: TcpListener,
    /// The admin token in force (given or generated).
    admin_token: String,
    /// Whether this start generated the admin token (so it is printed once).
    token_was_generated: bool,
    /// The HTTP routes, with their shared state.
    router: axum::Router,
    /// The delivery workers.
    dispatcher: Dispatcher,
    /// The store, for background maintenance.
    store: store::SharedStore,
    /// How long events are kept.
    retention: std::time::Duration,
    /// How long open connections may finish after a shutdown signal.
    shutdown_grace: std::time::Duration,
    /// Cancelled to stop the server and the workers.
    shutdown: CancellationToken,
    /// The live streams' readers, waited for at the stop.
    streams: TaskTracker,
    /// Runs the publish side's background rounds (operational events,
    /// recoveries), and how often each looks for work.
    rounds: (Publisher, std::time::Duration),
    /// The probe of the database's health, which ends at the stop.
    probe: tokio::task::JoinHandle<()>,
    /// What the HTTP server allows each client.
    limits: crate::server::Limits,
}

/// Stops a running [`Application`] from outside (tests, signal handlers).
#[derive(Clone)]
pub struct ShutdownHandle(CancellationToken);

impl ShutdownHandle {
    /// Asks the application to stop: no new requests, attempts in flight finish
    /// within the grace period, everything else stays pending in the store.
    pub fn shutdown(&self) {
        self.0.cancel();
    }
}

impl Application {
    /// Reads the encryption keys and the catalog, binds the listener, then
    /// opens the store (creating it on first start, re-sealing endpoint
    /// secrets with the current key) and settles the admin token.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let config = Arc::new(config);
        telemetry::metrics_handle(); // installs the recorder before anything is counted
        let sealer = config.sealer().context("Failed to read the encryption keys")?;
        let mut catalog = Catalog::builtin();
        if let Some(path) = &config.event_types_file {
            catalog = catalog
                .with_extra_file(path)
                .with_context(|| format!("Failed to load the event types in {}", path.display()))?;
        }
        // Bound before anything is written: a start that cannot listen (the
        // port is taken) leaves no database and no admin token behind.
        let listener =
            TcpListener::bind(config.listen).await.with_context(|| format!("Failed to listen on {}", config.listen))?;
        let store = store::open(&config.database_url, sealer, config.store_settings())
            .await
            .context("Failed to open the store")?;
        let shutdown = CancellationToken::new();
        let dispatcher = Dispatcher::new(config.clone(), store.clone(), shutdown.clone())
            .context("Failed to build the dispatcher")?;
        // Last of all, so that a generated token is always printed by the start that made it.
        let data_dir = config.data_dir();
        let configured_token = config.admin_token.as_ref().map(crate::config::Hidden::expose);
        let (admin_token, token_was_generated) =
            admin_token::settle(configured_token, &data_dir).context("Failed to settle the admin token")?;
        let public_url = match &config.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", listener.local_addr()?),
        };
        let first_delay = config.retry_schedule.delay_before(0).unwrap_or_default();
        let publisher = Publisher::new(store.clone(), (dispatcher.waker(), dispatcher.handoff()), first_delay);
        operational::ensure_operational_account(&publisher)
            .await
            .context("Failed to create the operational account `herald`")?;
        let rounds = (publisher.clone(), config.poll_interval);
        let (health, probe) = store::probe(store.clone(), config.database_timeout, shutdown.clone());
        let state =
            AppState::new(config.clone(), publisher, catalog, (&admin_token, &public_url), (shutdown.clone(), health));
        let streams = state.streams.clone();
        let router = router(state);
        if config.dev {
            tracing::warn!("HERALD_DEV is on: http:// endpoints and private addresses are allowed");
        } else if let Some(allowed) = config.allow_targets.as_ref().filter(|a| !a.is_empty()) {
            tracing::info!(%allowed, "HERALD_ALLOW_TARGETS: these non-public blocks may receive deliveries");
        }
        Ok(Self {
            listener,
            admin_token,
            token_was_generated,
            router,
            dispatcher,
            store,
            retention: config.retention,
            shutdown_grace: config.shutdown_grace,
            shutdown,
            streams,
            rounds,
            probe,
            limits: crate::server::Limits {
                header_read_timeout: config.header_read_timeout,
                body_read_timeout: config.body_read_timeout,
                max_connections: config.max_connections,
            },
        })
    }

    /// The port the API listens on.
    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    /// The address the API listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// The admin token in force.
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// Whether the admin token was generated by this start (and should be shown once).
    pub fn token_was_generated(&self) -> bool {
        self.token_was_generated
    }

    /// A handle that stops this application.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle(self.shutdown.clone())
    }

    /// Serves the API and runs the delivery workers until shut down.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Self {
            listener,
            router,
            dispatcher,
            store,
            retention,
            shutdown_grace,
            shutdown,
            streams,
            rounds,
            probe,
            limits,
            ..
        } = self;
        tracing::info!(address = %listener.local_addr()?, "herald is listening");
        let workers = tokio::spawn(dispatcher.run());
        let purger = tokio::spawn(crate::retention::run(store, retention, shutdown.clone()));
        let (publisher, poll) = rounds;
        let rounds = tokio::spawn(rounds::run(publisher, poll, shutdown.clone()));
        let upkeep = tokio::spawn(telemetry::metrics_upkeep(shutdown.clone()));
        let server = crate::server::serve(listener, router, limits, shutdown.clone());
        // Live streams end at the signal, but a client that reads nothing
        // would hold its connection open forever: the grace period bounds it.
        let served = tokio::select! {
            () = server => Ok(()),
            () = async {
                shutdown.cancelled().await;
                tokio::time::sleep(shutdown_grace).await;
            } => {
                tracing::warn!(grace = ?shutdown_grace, "connections still open after the shutdown grace period are dropped");
                Ok(())
            }
        };
        shutdown.cancel();
        // The stream readers end at the signal; once they are gone, nothing of
        // this run holds the store (a restart on the same SQLite file needs that).
        streams.close();
        if tokio::time::timeout(shutdown_grace, streams.wait()).await.is_err() {
            tracing::warn!(open = streams.len(), "live-stream readers still running after the shutdown grace period");
        }
        workers.await.context("The dispatcher panicked")?;
        purger.await.context("The retention task panicked")?;
        rounds.await.context("The background rounds (operational events, recoveries) panicked")?;
        upkeep.await.context("The metrics upkeep task panicked")?;
        probe.await.context("The database's health probe panicked")?;
        tracing::info!("herald stopped");
        served
    }
}

/// Every route Herald serves, API and portal, with their shared limits.
fn router(state: AppState) -> axum::Router {
    api::routes()
        .merge(portal::router())
        .fallback(api::not_found)
        // After every route: it applies to the routes present when it is set.
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(DefaultBodyLimit::max(api::body::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(state.clone(), api::availability::guard))
        .layer(TraceLayer::new_for_http().make_span_with(crate::telemetry::request_span::<axum::body::Body>))
        .with_state(state)
}
