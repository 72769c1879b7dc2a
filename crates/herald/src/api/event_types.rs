//! `/v1/event-types`: the catalog, with each type's schema and example.

use axum::{extract::State, Json};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{auth::Caller, error::ApiError, AppState};
use crate::domain::catalog::CatalogEntry;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_event_types))
}

/// One catalogued event type.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventTypeView {
    /// The type name.
    #[serde(rename = "type")]
    pub event_type: String,
    /// What happened.
    pub description: String,
    /// The JSON Schema of `data`, or null when the type has none.
    #[schema(value_type = Option<Object>)]
    pub schema: Option<Value>,
    /// An example `data`.
    #[schema(value_type = Object)]
    pub example: Value,
    /// Whether Herald publishes it itself, to the `herald` account (whose
    /// endpoints subscribe to these types only); no other account gets it.
    pub operational: bool,
}

/// The event types list.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventTypeList {
    /// Every type, by name.
    pub data: Vec<EventTypeView>,
}

/// The event catalog, then the operational types Herald publishes itself.
#[utoipa::path(get, path = "/v1/event-types", tag = "events", responses((status = 200, body = EventTypeList)))]
async fn list_event_types(State(state): State<AppState>, _caller: Caller) -> Result<Json<EventTypeList>, ApiError> {
    let view = |operational: bool| {
        move |e: &CatalogEntry| EventTypeView {
            event_type: e.event_type.to_string(),
            description: e.description.clone(),
            schema: e.schema.clone(),
            example: e.example.clone(),
            operational,
        }
    };
    let data = state.catalog.entries().map(view(false)).chain(state.operational.entries().map(view(true))).collect();
    Ok(Json(EventTypeList { data }))
}
