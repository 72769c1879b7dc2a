//! The store: the single truth for accounts, endpoints, events, deliveries and attempts.

use std::sync::Arc;

/// A shared handle to the store.
pub type SharedStore = Arc<()>;

/// Opens the store named by `url`.
pub async fn open(_url: &str) -> anyhow::Result<SharedStore> {
    Ok(Arc::new(()))
}
