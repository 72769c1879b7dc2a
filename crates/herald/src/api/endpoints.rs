//! `/v1/accounts/{account}/endpoints`: where an account's webhooks go.

use std::time::Duration;

use axum::{extract::State, http::StatusCode, Json};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    auth::Caller,
    body::{Fields, JsonBody},
    endpoint_fields::{
        check_filter, parse_description, parse_filter, parse_headers, parse_rate_limit, parse_secret,
        parse_type_filter, parse_url, unknown_type,
    },
    error::ApiError,
    path::Path,
    query::Params,
    views::{CreatedEndpointView, DeliveryView, EndpointView, HeadersView, List, SecretView},
    AppState,
};
use crate::{
    domain::{envelope::envelope_bytes, CustomHeaders, EndpointId, EventId, EventType, Timestamp, TypeFilter},
    store::{EndpointPatch, NewEndpoint, NewEvent, StoreError},
};

/// The longest grace period of a rotation: 30 days.
pub const MAX_GRACE_SECONDS: u64 = 30 * 86_400;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_endpoint, list_endpoints))
        .routes(routes!(get_endpoint, update_endpoint, delete_endpoint))
        .routes(routes!(get_secret))
        .routes(routes!(get_headers))
        .routes(routes!(rotate_secret))
        .routes(routes!(enable_endpoint))
        .routes(routes!(disable_endpoint))
        .routes(routes!(send_test))
}

/// Register an endpoint; the answer carries its signing secret.
#[utoipa::path(post, path = "/v1/accounts/{account}/endpoints", tag = "endpoints",
    request_body(content = super::bodies::NewEndpointBody, description = r#"{"url", "description"?, "event_types"?: ["project.*", …] | null, "secret"?: "whsec_…", "rate_limit"?: 1…10000 | null, "headers"?: {"Authorization": "…"} | null, "filter"?: "data.balance <= 10" | null, "ordered"?: false}"#,
        example = json!({"url": "https://example.com/webhooks", "description": "orders", "event_types": ["project.*", "credits.low"], "rate_limit": 50, "headers": {"Authorization": "Bearer gateway-token"}, "filter": "data.project_type == \"scene_project\"", "ordered": false})),
    responses((status = 201, body = CreatedEndpointView),
        (status = 409, body = super::error::Problem, description = "the account has HERALD_MAX_ENDPOINTS_PER_ACCOUNT endpoints already"),
        (status = 422, body = super::error::Problem)))]
#[tracing::instrument(skip_all)]
async fn create_endpoint(
    State(state): State<AppState>,
    caller: Caller,
    Path(account): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<CreatedEndpointView>), ApiError> {
    let account = caller.account(&account)?;
    let mut f = Fields::new(&body, "");
    let url = f.required_str("url").and_then(|u| parse_url(&state, &mut f, u));
    let description = f.optional_str("description").map_or(Some(String::new()), |d| parse_description(&mut f, d));
    let event_types =
        f.raw("event_types").map_or(Some(TypeFilter::all()), |v| parse_type_filter(&state, &account, &mut f, v));
    let secret = parse_secret(&mut f);
    let rate_limit = f.raw("rate_limit").map_or(Some(None), |v| parse_rate_limit(&mut f, v));
    let headers = f.raw("headers").map_or(Some(CustomHeaders::default()), |v| parse_headers(&mut f, v));
    let content_filter = f.raw("filter").map_or(Some(None), |v| parse_filter(&mut f, v));
    let ordered = f.optional_bool("ordered").unwrap_or(false);
    if let Some(Some(filter)) = &content_filter {
        check_filter(&state, &account, &mut f, filter);
    }
    f.finish().map_err(ApiError::Invalid)?;
    let (
        Some(url),
        Some(description),
        Some(event_types),
        Some(secret),
        Some(rate_limit),
        Some(headers),
        Some(content_filter),
    ) = (url, description, event_types, secret, rate_limit, headers, content_filter)
    else {
        return Err(ApiError::invalid("", "incomplete endpoint"));
    };
    let new = NewEndpoint {
        id: EndpointId::generate(),
        url,
        description,
        event_types,
        content_filter,
        secret,
        rate_limit,
        ordered,
        headers,
    };
    let max = state.config.max_endpoints_per_account;
    let endpoint =
        state.store.create_endpoint(&account, &new, max, Timestamp::now()).await.map_err(|e| match e {
            StoreError::LimitReached => ApiError::Conflict(format!(
                "the account already has {max} endpoints, the most allowed (HERALD_MAX_ENDPOINTS_PER_ACCOUNT); delete one first"
            )),
            other => ApiError::from_store("account")(other),
        })?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedEndpointView { endpoint: endpoint.into(), secret: new.secret.expose().to_owned() }),
    ))
}

/// List an account's endpoints, newest first.
#[utoipa::path(get, path = "/v1/accounts/{account}/endpoints", tag = "endpoints",
    params(("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = List<EndpointView>)))]
async fn list_endpoints(
    State(state): State<AppState>,
    caller: Caller,
    Path(account): Path<String>,
    params: Params,
) -> Result<Json<List<EndpointView>>, ApiError> {
    let account = caller.account(&account)?;
    state.store.get_account(&account).await.map_err(ApiError::from_store("account"))?;
    let page = params.page(EndpointId::parse)?;
    let endpoints = state.store.list_endpoints(&account, &page).await.map_err(ApiError::from_store("endpoint"))?;
    Ok(Json(List::of(endpoints, EndpointView::from)))
}

/// Read an endpoint.
#[utoipa::path(get, path = "/v1/accounts/{account}/endpoints/{endpoint}", tag = "endpoints",
    responses((status = 200, body = EndpointView), (status = 404, body = super::error::Problem)))]
async fn get_endpoint(
    State(state): State<AppState>,
    caller: Caller,
    Path((account, endpoint)): Path<(String, String)>,
) -> Result<Json<EndpointView>, ApiError> {
    let (account, endpoint) = caller.endpoint(&account, &endpoint)?;
    let found = state.store.get_endpoint(&account, &endpoint).await.map_err(ApiError::from_store("endpoint"))?;
    Ok(Json(found.into()))
}

/// Change an endpoint's `url`, `description`, `event_types` (null = every type), `filter` (null = none),
/// `rate_limit` (null = none), `ordered` (true: one delivery at a time, in publish order)
/// or `headers` (the whole set; null or {} = none).
#[utoipa::path(patch, path = "/v1/accounts/{account}/endpoints/{endpoint}", tag = "endpoints",
    request_body(content = super::bodies::EndpointPatchBody, description = r#"{"url"?, "description"?, "event_types"?, "filter"?, "rate_limit"?, "ordered"?, "headers"?}"#,
        example = json!({"description": "orders, v2", "event_types": null})),
    responses((status = 200, body = EndpointView), (status = 404, body = super::error::Problem), (status = 422, body = super::error::Problem)))]
#[tracing::instrument(skip_all)]
async fn update_endpoint(
    State(state): State<AppState>,
    caller: Caller,
    Path((account, endpoint)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<Json<EndpointView>, ApiError> {
    let (account, endpoint) = caller.endpoint(&account, &endpoint)?;
    let mut f = Fields::new(&body, "");
    let url = f.optional_str("url").map(|u| parse_url(&state, &mut f, u));
    let description = f.optional_str("description").map(|d| parse_description(&mut f, d));
    let event_types = f.raw("event_types").map(|v| parse_type_filter(&state, &account, &mut f, v));
    let rate_limit = f.raw("rate_limit").map(|v| parse_rate_limit(&mut f, v));
    let headers = f.raw("headers").map(|v| parse_headers(&mut f, v));
    let content_filter = f.raw("filter").map(|v| parse_filter(&mut f, v));
    let ordered = f.optional_bool("ordered");
    if let Some(Some(Some(filter))) = &content_filter {
        check_filter(&state, &account, &mut f, filter);
    }
    f.finish().map_err(ApiError::Invalid)?;
    let patch = EndpointPatch {
        url: url.flatten(),
        description: description.flatten(),
        event_types: event_types.flatten(),
        content_filter: content_filter.flatten(),
        rate_limit: rate_limit.flatten(),
        ordered,
        headers: headers.flatten(),
    };
    let updated = state
        .store
        .update_endpoint(&account, &endpoint, &patch, Timestamp::now())
        .await
        .map_err(ApiError::from_store("endpoint"))?;
    Ok(Json(updated.into()))
}

/// Delete an endpoint and its delivery log.
#[utoipa::path(delete, path = "/v1/accounts/{account}/endpoints/{endpoint}", tag = "endpoints",
    responses((status = 204), (status = 404, body = super::error::Problem)))]
#[tracing::instrument(skip_all)]
async fn delete_endpoint(
    State(state): State<AppState>,
    caller: Caller,
    Path((account, endpoint)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (account, endpoint) = caller.endpoint(&account, &endpoint)?;
    state.store.delete_endpoint(&account, &endpoint).await.map_err(ApiError::from_store("endpoint"))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Read the endpoint's current signing secret.
#[utoipa::path(get, path = "/v1/accounts/{account}/endpoints/{endpoint}/secret", tag = "endpoints",
    responses((status = 200, body = SecretView), (status = 404, body = super::error::Problem)))]
async fn get_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path((account, endpoint)): Path<(String, String)>,
) -> Result<Json<SecretView>, ApiError> {
    let (account, endpoint) = caller.endpoint(&account, &endpoint)?;
    let secrets = state.store.get_secrets(&account, &endpoint).await.map_err(ApiError::from_store("endpoint"))?;
    Ok(Json(SecretView { secret: secrets.current }))
}

/// Read the endpoint's custom headers, values included (the endpoint itself shows only their names).
#[utoipa::path(get, path = "/v1/accounts/{account}/endpoints/{endpoint}/headers", tag = "endpoints",
    responses((status = 200, body = HeadersView), (status = 404, body = super::error::Problem)))]
async fn get_headers(
    State(state): State<AppState>,
    caller: Caller,
    Path((account, endpoint)): Path<(String, String)>,
) -> Result<Json<HeadersView>, ApiError> {
    let (account, endpoint) = caller.endpoint(&account, &endpoint)?;
    let headers = state.store.get_headers(&account, &endpoint).await.map_err(ApiError::from_store("endpoint"))?;
    Ok(Json(headers.into()))
}

/// Replace the secret; the previous one still signs (first `v1`) until the grace period ends.
#[utoipa::path(post, path = "/v1/accounts/{account}/endpoints/{endpoint}/secret/rotate", tag = "endpoints",
    request_body(content = super::bodies::RotateBody, description = r#"{"grace_seconds"?: 86400, "secret"?: "whsec_…"}"#,
        example = json!({"grace_seconds": 3600})),
    responses((status = 200, body = SecretView), (status = 404, body = super::error::Problem), (status = 422, body = super::error::Problem)))]
#[tracing::instrument(skip_all)]
async fn rotate_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path((account, endpoint)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<Json<SecretView>, ApiError> {
    let (account, endpoint) = caller.endpoint(&account, &endpoint)?;
    let mut f = Fields::new(&body, "");
    let grace = f.optional_u64("grace_seconds").unwrap_or(86_400);
    if grace > MAX_GRACE_SECONDS {
        f.error("grace_seconds", format!("must be at most {MAX_GRACE_SECONDS} (30 days)"));
    }
    let secret = parse_secret(&mut f);
    f.finish().map_err(ApiError::Invalid)?;
    let secret = secret.ok_or_else(|| ApiError::invalid("/secret", "invalid secret"))?;
    let now = Timestamp::now();
    let previous_until = (grace > 0).then(|| now.plus(Duration::from_secs(grace)));
    state
        .store
        .rotate_secret(&account, &endpoint, secret.expose(), previous_until, now)
        .await
        .map_err(ApiError::from_store("endpoint"))?;
    Ok(Json(SecretView { secret: secret.expose().to_owned() }))
}

/// Re-enable an endpoint; with `redeliver_missed`, what it missed gets a fresh schedule now.
#[utoipa::path(post, path = "/v1/accounts/{account}/endpoints/{endpoint}/enable", tag = "endpoints",
    request_body(content = super::bodies::EnableBody, description = r#"{"redeliver_missed"?: false}"#,
        example = json!({"redeliver_missed": true})),
    responses((status = 200, body = EndpointView), (status = 404, body = super::error::Problem)))]
#[tracing::instrument(skip_all)]
async fn enable_endpoint(
    State(state): State<AppState>,
    caller: Caller,
    Path((account, endpoint)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<Json<EndpointView>, ApiError> {
    let (account, endpoint) = caller.endpoint(&account, &endpoint)?;
    let mut f = Fields::new(&body, "");
    let redeliver = f.optional_bool("redeliver_missed").unwrap_or(false);
    f.finish().map_err(ApiError::Invalid)?;
    let enabled = state
        .publisher
        .enable_endpoint(&account, &endpoint, redeliver)
        .await
        .map_err(ApiError::from_store("endpoint"))?;
    Ok(Json(enabled.into()))
}

/// Disable an endpoint by hand: its pending deliveries stop, new events are recorded as skipped.
#[utoipa::path(post, path = "/v1/accounts/{account}/endpoints/{endpoint}/disable", tag = "endpoints",
    responses((status = 200, body = EndpointView), (status = 404, body = super::error::Problem)))]
#[tracing::instrument(skip_all)]
async fn disable_endpoint(
    State(state): State<AppState>,
    caller: Caller,
    Path((account, endpoint)): Path<(String, String)>,
) -> Result<Json<EndpointView>, ApiError> {
    let (account, endpoint) = caller.endpoint(&account, &endpoint)?;
    let reason = match caller {
        Caller::Admin => "disabled by the platform",
        Caller::Account(_) => "disabled by the account",
    };
    let disabled = state
        .store
        .disable_endpoint(&account, &endpoint, reason, Timestamp::now())
        .await
        .map_err(ApiError::from_store("endpoint"))?;
    Ok(Json(disabled.into()))
}

/// Send a type's catalog example to this endpoint alone.
#[utoipa::path(post, path = "/v1/accounts/{account}/endpoints/{endpoint}/test", tag = "endpoints",
    request_body(content = super::bodies::TestEventBody, description = r#"{"type": "project.completed"}"#,
        example = json!({"type": "project.completed"})),
    responses((status = 202, body = DeliveryView), (status = 404, body = super::error::Problem),
        (status = 409, body = super::error::Problem, description = "the endpoint is disabled: enable it first"),
        (status = 422, body = super::error::Problem)))]
#[tracing::instrument(skip_all)]
async fn send_test(
    State(state): State<AppState>,
    caller: Caller,
    Path((account, endpoint)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<DeliveryView>), ApiError> {
    let (account, endpoint) = caller.endpoint(&account, &endpoint)?;
    let mut f = Fields::new(&body, "");
    let raw_type = f.required_str("type");
    let entry = raw_type.and_then(|t| {
        let found = EventType::parse(t).ok().and_then(|t| state.catalog_for(&account).get(&t).cloned());
        if found.is_none() {
            f.error("type", unknown_type(&account, t));
        }
        found
    });
    f.finish().map_err(ApiError::Invalid)?;
    let entry = entry.ok_or_else(|| ApiError::invalid("/type", "unknown type"))?;
    let endpoint_now = state.store.get_endpoint(&account, &endpoint).await.map_err(ApiError::from_store("endpoint"))?;
    if !endpoint_now.enabled {
        return Err(ApiError::Conflict("the endpoint is disabled; enable it first".into()));
    }
    let now = Timestamp::now();
    let (id, created_at) = (EventId::generate(), now.truncate_to_seconds());
    let payload = envelope_bytes(&id, &entry.event_type, created_at, &entry.example);
    let event = NewEvent { id, event_type: entry.event_type, created_at, payload };
    let delivery =
        state.publisher.publish_test(&account, &endpoint, event).await.map_err(ApiError::from_store("endpoint"))?;
    Ok((StatusCode::ACCEPTED, Json(delivery.into())))
}
