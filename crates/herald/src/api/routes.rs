//! The API's routes, the operations routes and `/openapi.json`, and the
//! OpenAPI document generated from the handlers' annotations.

use std::sync::{Arc, OnceLock};

use axum::{extract::State, routing::get, Json};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use super::{
    accounts, contract, deliveries, endpoint_stats, endpoints, error::ApiError, event_types, events, ops, portal_links,
    recoveries, stream, AppState,
};

#[derive(OpenApi)]
#[openapi(info(
    title = "Herald",
    description = "Webhook delivery: publish events, manage endpoints, read the delivery log."
))]
struct ApiDoc;

/// The API routes and their OpenAPI document as the handlers annotate it
/// (`contract::finish` adds what holds for every operation).
pub fn api_router() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(accounts::router())
        .merge(events::router())
        .merge(stream::router())
        .merge(endpoints::router())
        .merge(endpoint_stats::router())
        .merge(recoveries::router())
        .merge(deliveries::router())
        .merge(event_types::router())
        .merge(portal_links::router())
        .split_for_parts()
}

/// The API's routes (each in the OpenAPI document), the operations routes
/// and `/openapi.json`.
pub fn routes() -> axum::Router<AppState> {
    let (api, openapi) = api_router();
    let openapi = Arc::new(openapi);
    // Finished once, with the server's own catalog (its extra types
    // included), which the state brings and which never changes.
    let finished = Arc::new(OnceLock::new());
    let document = move |State(state): State<AppState>| async move {
        Json(finished.get_or_init(|| contract::finish(&openapi, &state.catalog)).clone())
    };
    api.merge(ops::router()).route("/openapi.json", get(document))
}

/// The answer to a path nothing routes.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("route")
}

/// The answer to a method a routed path does not take.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
