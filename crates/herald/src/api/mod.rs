//! The HTTP API of the contract.

use std::sync::Arc;

use tokio::sync::Notify;

use crate::{config::Config, store::SharedStore};

/// State shared by every handler.
#[derive(Clone)]
pub struct AppState {}

impl AppState {
    /// Builds the state.
    pub fn new(
        _config: Arc<Config>,
        _store: SharedStore,
        _admin_token: &str,
        _wake: Arc<Notify>,
    ) -> Self {
        Self {}
    }
}

/// The whole router.
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new().with_state(state)
}
