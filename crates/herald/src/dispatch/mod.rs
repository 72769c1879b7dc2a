//! The dispatcher: claims due deliveries from the store and sends them.

use std::sync::Arc;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::{config::Config, store::SharedStore};

/// Claims and sends due deliveries until shut down.
pub struct Dispatcher {
    wake: Arc<Notify>,
    shutdown: CancellationToken,
}

impl Dispatcher {
    /// Builds the dispatcher (HTTP client, limits).
    pub fn new(
        _config: Arc<Config>,
        _store: SharedStore,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            wake: Arc::new(Notify::new()),
            shutdown,
        })
    }

    /// A handle that wakes the dispatcher when new work was committed.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Runs until shutdown.
    pub async fn run(self) {
        self.shutdown.cancelled().await;
    }
}
