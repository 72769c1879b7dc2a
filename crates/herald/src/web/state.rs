//! The state every HTTP handler, API or portal, is given.

use std::sync::Arc;

use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::AccountRate;
use crate::{
    config::Config,
    domain::{secret::SecretDigest, AccountId, Catalog},
    publish::Publisher,
    store::{Health, SharedStore},
};

/// State shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// Limits, schedule and development mode.
    pub config: Arc<Config>,
    /// The truth, for reads and for writes that give the dispatcher no work.
    pub store: SharedStore,
    /// Every write that gives the dispatcher work: publishing, test events,
    /// resends and redeliveries.
    pub publisher: Publisher,
    /// The event types accepted at publish.
    pub catalog: Arc<Catalog>,
    /// The types Herald publishes itself, to the operational account.
    pub operational: Arc<Catalog>,
    /// The platform's token, kept only as its digest and compared in constant time.
    pub admin_token: SecretDigest,
    /// Where people reach this Herald (`HERALD_PUBLIC_URL`), for portal links.
    pub public_url: Arc<str>,
    /// Cancelled when the server stops: live streams end, naming where to resume.
    pub shutdown: CancellationToken,
    /// The live streams' reader tasks, which the server waits for when it
    /// stops, so that none outlives it holding the store.
    pub streams: TaskTracker,
    /// Whether the database answers (`store::probe`).
    pub health: Health,
    /// Each account's share of requests (`HERALD_ACCOUNT_RATE_LIMIT`).
    pub account_rate: Arc<AccountRate>,
}

impl AppState {
    /// The types an account's endpoints subscribe to and its test events
    /// use: the operational ones for the operational account, the catalog
    /// for every other.
    pub fn catalog_for(&self, account: &AccountId) -> &Catalog {
        if account.is_operational() {
            &self.operational
        } else {
            &self.catalog
        }
    }

    /// Builds the state.
    pub fn new(
        config: Arc<Config>,
        publisher: Publisher,
        catalog: Catalog,
        (admin_token, public_url): (&str, &str),
        (shutdown, health): (CancellationToken, Health),
    ) -> Self {
        let account_rate = Arc::new(AccountRate::new(config.account_rate_limit));
        Self {
            config,
            store: publisher.store().clone(),
            publisher,
            catalog: Arc::new(catalog),
            operational: Arc::new(Catalog::operational()),
            admin_token: SecretDigest::of(admin_token),
            public_url: Arc::from(public_url),
            shutdown,
            streams: TaskTracker::new(),
            health,
            account_rate,
        }
    }
}
