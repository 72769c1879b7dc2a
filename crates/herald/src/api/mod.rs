//! The HTTP API of the contract: one module per resource, authentication as
//! an extractor, one error type mapped to problem+json, and the OpenAPI
//! document generated from the handlers.

mod accounts;
mod auth;
pub mod body;
mod deliveries;
pub mod depth;
mod endpoint_stats;
mod endpoints;
pub mod error;
mod event_types;
pub mod events;
mod ops;
mod path;
mod portal_links;
pub mod query;
pub mod stream;
mod views;

#[cfg(test)]
mod documented;

use std::sync::Arc;

use axum::{extract::DefaultBodyLimit, routing::get, Json};
use tokio::sync::Notify;
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::{
    config::Config,
    dispatch::Handoff,
    domain::{secret::SecretDigest, Catalog, Timestamp},
    store::SharedStore,
};

/// State shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// Limits, schedule and development mode.
    pub config: Arc<Config>,
    /// The truth.
    pub store: SharedStore,
    /// The event types accepted at publish.
    pub catalog: Arc<Catalog>,
    /// The platform's token, kept only as its digest and compared in constant time.
    pub admin_token: SecretDigest,
    /// Wakes the dispatcher after a commit that makes work due now.
    pub wake: Arc<Notify>,
    /// Lets a publish lease its deliveries straight into the dispatcher's queues.
    pub handoff: Handoff,
    /// Where people reach this Herald (`HERALD_PUBLIC_URL`), for portal links.
    pub public_url: Arc<str>,
    /// Rung after each commit of new events, so live streams read at once.
    pub new_events: stream::NewEvents,
    /// Cancelled when the server stops: live streams end, naming where to resume.
    pub shutdown: CancellationToken,
    /// The live streams' reader tasks, which the server waits for when it
    /// stops, so that none outlives it holding the store.
    pub streams: TaskTracker,
}

impl AppState {
    /// Builds the state.
    pub fn new(
        config: Arc<Config>,
        store: SharedStore,
        catalog: Catalog,
        admin_token: &str,
        public_url: &str,
        (wake, handoff): (Arc<Notify>, Handoff),
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            config,
            store,
            catalog: Arc::new(catalog),
            admin_token: SecretDigest::of(admin_token),
            wake,
            handoff,
            public_url: Arc::from(public_url),
            new_events: stream::NewEvents::new(),
            shutdown,
            streams: TaskTracker::new(),
        }
    }

    /// When the first attempt of a delivery scheduled at `now` is due.
    pub fn first_attempt_at(&self, now: Timestamp) -> Timestamp {
        now.plus(self.config.retry_schedule.delay_before(0).unwrap_or_default())
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Herald", description = "Webhook delivery: publish events, manage endpoints, read the delivery log."),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API routes and their OpenAPI document.
pub fn api_router() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(accounts::router())
        .merge(events::router())
        .merge(stream::router())
        .merge(endpoints::router())
        .merge(endpoint_stats::router())
        .merge(deliveries::router())
        .merge(event_types::router())
        .merge(portal_links::router())
        .split_for_parts()
}

/// The whole router: API, operations routes and `/openapi.json`.
pub fn router(state: AppState) -> axum::Router {
    routes()
        .layer(DefaultBodyLimit::max(body::MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http().make_span_with(crate::telemetry::request_span::<axum::body::Body>))
        .with_state(state)
}

/// Every route Herald serves: the API (each in the OpenAPI document), the
/// operations routes, the portal and `/openapi.json`.
fn routes() -> axum::Router<AppState> {
    let (api, openapi) = api_router();
    let openapi = Arc::new(openapi);
    api.merge(ops::router())
        .merge(crate::portal::router())
        .route("/openapi.json", get(move || async move { Json(openapi.as_ref().clone()) }))
        .fallback(|| async { error::ApiError::NotFound("route") })
        // After every route: it applies to the routes present when it is set.
        .method_not_allowed_fallback(|| async { error::ApiError::MethodNotAllowed })
}
