//! `POST /v1/accounts/{account}/endpoints/{endpoint}/recover` and
//! `GET …/recoveries/{recovery}`: an endpoint's failed and skipped
//! deliveries created in a time range, sent again with a fresh schedule, in
//! pages in the background (`publish/rounds.rs`), as Svix's recover does.

use axum::{extract::State, http::StatusCode, Json};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    auth::Caller,
    body::{Fields, JsonBody},
    error::ApiError,
    path::Path,
    AppState,
};
use crate::{
    domain::{RecoveryId, Timestamp},
    store::{Recovery, RecoveryStatus},
};

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(recover)).routes(routes!(get_recovery))
}

/// A recovery and how far it got.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryView {
    /// `rcv_…`.
    pub id: String,
    /// The endpoint.
    pub endpoint_id: String,
    /// Deliveries created at or after this time (RFC 3339)…
    pub since: String,
    /// …and before this one.
    pub until: String,
    /// `running` while pages are being queued, `done` once all are, or
    /// `stopped` if the endpoint was disabled first.
    pub status: RecoveryStatus,
    /// Failed and skipped deliveries given a fresh schedule so far.
    pub queued: u64,
    /// RFC 3339.
    pub created_at: String,
    /// When it ended, RFC 3339.
    pub finished_at: Option<String>,
}

impl From<Recovery> for RecoveryView {
    fn from(r: Recovery) -> Self {
        Self {
            id: r.id.to_string(),
            endpoint_id: r.endpoint_id.to_string(),
            since: r.since.to_rfc3339_millis(),
            until: r.until.to_rfc3339_millis(),
            status: r.status,
            queued: r.queued,
            created_at: r.created_at.to_rfc3339_millis(),
            finished_at: r.finished_at.map(Timestamp::to_rfc3339_millis),
        }
    }
}

/// A time field: RFC 3339 with an offset, not in the future.
fn parse_time(f: &mut Fields<'_>, key: &'static str, raw: &str) -> Option<Timestamp> {
    let time = Timestamp::parse_rfc3339(raw);
    if time.is_none() {
        f.error(key, format!("must be an RFC 3339 time with an offset, such as 2024-03-20T10:15:00Z, not `{raw}`"));
    }
    time
}

/// Send again every failed or skipped delivery of the endpoint created in `[since, until)`.
#[utoipa::path(post, path = "/v1/accounts/{account}/endpoints/{endpoint}/recover", tag = "endpoints",
    request_body(content = super::bodies::RecoverBody, description = r#"{"since": RFC 3339, "until"?: RFC 3339 (default: now)}"#,
        example = json!({"since": "2024-03-20T00:00:00Z"})),
    responses((status = 202, body = RecoveryView, description = "queued in the background: read its progress at its own path"),
        (status = 404, body = super::error::Problem), (status = 409, body = super::error::Problem, description = "the endpoint is disabled: enable it first"),
        (status = 422, body = super::error::Problem)))]
#[tracing::instrument(skip_all)]
async fn recover(
    State(state): State<AppState>,
    caller: Caller,
    Path((account, endpoint)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<RecoveryView>), ApiError> {
    let (account, endpoint) = caller.endpoint(&account, &endpoint)?;
    let now = Timestamp::now();
    let mut f = Fields::new(&body, "");
    let since = f.required_str("since").and_then(|s| parse_time(&mut f, "since", s));
    // No delivery is made after now, so a later end is now; a range that
    // ends where it starts, or before, holds nothing and queues nothing.
    let until = f.optional_str("until").map_or(Some(now), |u| parse_time(&mut f, "until", u)).map(|u| u.min(now));
    f.finish().map_err(ApiError::Invalid)?;
    let (Some(since), Some(until)) = (since, until) else {
        return Err(ApiError::invalid("/since", "invalid range"));
    };
    let recovery = state
        .store
        .start_recovery(&account, &endpoint, (since, until), now)
        .await
        .map_err(ApiError::from_store("endpoint"))?;
    Ok((StatusCode::ACCEPTED, Json(recovery.into())))
}

/// A recovery: its status and how many deliveries it queued.
#[utoipa::path(get, path = "/v1/accounts/{account}/endpoints/{endpoint}/recoveries/{recovery}", tag = "endpoints",
    responses((status = 200, body = RecoveryView), (status = 404, body = super::error::Problem)))]
async fn get_recovery(
    State(state): State<AppState>,
    caller: Caller,
    Path((account, endpoint, recovery)): Path<(String, String, String)>,
) -> Result<Json<RecoveryView>, ApiError> {
    let (account, endpoint) = caller.endpoint(&account, &endpoint)?;
    let id = RecoveryId::parse(&recovery).map_err(|_| ApiError::NotFound("recovery"))?;
    let found = state.store.get_recovery(&account, &endpoint, &id).await.map_err(ApiError::from_store("recovery"))?;
    Ok(Json(found.into()))
}
