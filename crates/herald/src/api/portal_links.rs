//! `/v1/accounts/{account}/portal-links`: one-time links into the developer portal.

use std::time::Duration;

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
use crate::domain::{
    secret::{random_token, token_hash},
    Timestamp,
};

/// How long a link lasts unless the request says otherwise: 15 minutes.
pub const DEFAULT_LINK_SECONDS: u64 = 15 * 60;
/// The longest a link may last: one day.
pub const MAX_LINK_SECONDS: u64 = 86_400;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_portal_link))
}

/// A one-time link into the portal.
#[derive(Debug, Serialize, ToSchema)]
pub struct PortalLinkView {
    /// Open it in a browser to start a portal session for the account; it works once.
    pub url: String,
    /// RFC 3339: unused after this, it no longer opens anything.
    pub expires_at: String,
}

/// Create a one-time link that opens the developer portal for one account.
#[utoipa::path(post, path = "/v1/accounts/{account}/portal-links", tag = "portal",
    request_body(content = super::bodies::PortalLinkBody, description = r#"{"expires_in_seconds"?: 900}"#,
        example = json!({"expires_in_seconds": 900})),
    responses((status = 201, body = PortalLinkView), (status = 404, body = super::error::Problem),
        (status = 422, body = super::error::Problem)))]
#[tracing::instrument(skip_all)]
async fn create_portal_link(
    State(state): State<AppState>,
    caller: Caller,
    Path(account): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<PortalLinkView>), ApiError> {
    // Another account's is not found before it is forbidden, as on every route.
    let account = caller.account(&account)?;
    caller.require_admin("only the admin token creates portal links")?;
    let mut f = Fields::new(&body, "");
    let seconds = f.optional_u64("expires_in_seconds").unwrap_or(DEFAULT_LINK_SECONDS);
    if !(1..=MAX_LINK_SECONDS).contains(&seconds) {
        f.error("expires_in_seconds", format!("must be between 1 and {MAX_LINK_SECONDS}"));
    }
    f.finish().map_err(ApiError::Invalid)?;
    state.store.get_account(&account).await.map_err(ApiError::from_store("account"))?;
    let token = random_token("plt_");
    let expires_at = Timestamp::now().plus(Duration::from_secs(seconds));
    state
        .store
        .create_portal_link(&account, &token_hash(&token), expires_at)
        .await
        .map_err(ApiError::from_store("portal link"))?;
    let url = format!("{}/portal/login?token={token}", state.public_url);
    Ok((StatusCode::CREATED, Json(PortalLinkView { url, expires_at: expires_at.to_rfc3339_millis() })))
}
