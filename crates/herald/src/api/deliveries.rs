//! `/v1/accounts/{account}/deliveries`: the delivery log and manual retries.

use axum::{extract::State, http::StatusCode, Json};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    auth::Caller,
    error::ApiError,
    path::Path,
    query::Params,
    views::{DeliveryDetailView, DeliveryView, List},
    AppState,
};
use crate::{
    domain::{AccountId, DeliveryId, DeliveryStatus, EndpointId, EventId, EventType},
    store::DeliveryFilter,
};

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_deliveries)).routes(routes!(get_delivery)).routes(routes!(retry_delivery))
}

fn ids(caller: &Caller, account: &str, delivery: &str) -> Result<(AccountId, DeliveryId), ApiError> {
    let account = caller.account(account)?;
    let delivery = DeliveryId::parse(delivery).map_err(|_| ApiError::NotFound("delivery"))?;
    Ok((account, delivery))
}

/// List deliveries, newest first.
#[utoipa::path(get, path = "/v1/accounts/{account}/deliveries", tag = "deliveries",
    params(("endpoint_id" = Option<String>, Query), ("event_id" = Option<String>, Query),
        ("status" = Option<String>, Query, description = "pending, succeeded, failed or skipped"),
        ("event_type" = Option<String>, Query, description = "only deliveries of this event type"),
        ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = List<DeliveryView>), (status = 400, body = super::error::Problem)))]
async fn list_deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Path(account): Path<String>,
    params: Params,
) -> Result<Json<List<DeliveryView>>, ApiError> {
    let account = caller.account(&account)?;
    state.store.get_account(&account).await.map_err(ApiError::from_store("account"))?;
    let filter = DeliveryFilter {
        endpoint_id: params.parsed("endpoint_id", EndpointId::parse)?,
        event_id: params.parsed("event_id", EventId::parse)?,
        status: params
            .parsed("status", |s| DeliveryStatus::parse(s).ok_or("must be pending, succeeded, failed or skipped"))?,
        event_type: params.parsed("event_type", EventType::parse)?,
    };
    let page = params.page(DeliveryId::parse)?;
    let found =
        state.store.list_deliveries(&account, &filter, &page).await.map_err(ApiError::from_store("delivery"))?;
    Ok(Json(List::of(found, DeliveryView::from)))
}

/// Read a delivery with every attempt.
#[utoipa::path(get, path = "/v1/accounts/{account}/deliveries/{delivery}", tag = "deliveries",
    responses((status = 200, body = DeliveryDetailView), (status = 404, body = super::error::Problem)))]
async fn get_delivery(
    State(state): State<AppState>,
    caller: Caller,
    Path((account, delivery)): Path<(String, String)>,
) -> Result<Json<DeliveryDetailView>, ApiError> {
    let (account, delivery) = ids(&caller, &account, &delivery)?;
    let (delivery, attempts) =
        state.store.get_delivery(&account, &delivery).await.map_err(ApiError::from_store("delivery"))?;
    Ok(Json(DeliveryDetailView { delivery: delivery.into(), attempts: attempts.into_iter().map(Into::into).collect() }))
}

/// Resend now: one new attempt, whatever the delivery's status.
#[utoipa::path(post, path = "/v1/accounts/{account}/deliveries/{delivery}/retry", tag = "deliveries",
    responses((status = 202, body = DeliveryView), (status = 404, body = super::error::Problem),
        (status = 409, body = super::error::Problem, description = "the endpoint is disabled")))]
#[tracing::instrument(skip_all)]
async fn retry_delivery(
    State(state): State<AppState>,
    caller: Caller,
    Path((account, delivery)): Path<(String, String)>,
) -> Result<(StatusCode, Json<DeliveryView>), ApiError> {
    let (account, delivery) = ids(&caller, &account, &delivery)?;
    let delivery = state.publisher.resend(&account, &delivery).await.map_err(ApiError::from_store("delivery"))?;
    Ok((StatusCode::ACCEPTED, Json(delivery.into())))
}
