//! `/v1/accounts`: the platform's customers and their keys.

use axum::{extract::State, http::StatusCode, Json};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    auth::Caller,
    body::{Fields, JsonBody},
    error::ApiError,
    path::Path,
    query::Params,
    views::{AccountView, List},
    AppState,
};
use crate::{
    domain::{secret::random_token, secret::token_hash, AccountId, KeyId, Timestamp},
    store::Account,
};

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_account, list_accounts))
        .routes(routes!(get_account))
        .routes(routes!(create_key))
}

/// A new account key, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyView {
    /// `key_…`.
    pub id: String,
    /// `hk_…`: stored only as a hash, so this is the one time it is shown.
    pub key: String,
}

/// Create an account.
#[utoipa::path(post, path = "/v1/accounts", tag = "accounts",
    request_body(content = super::bodies::NewAccountBody, description = r#"{"id"?: "[A-Za-z0-9_-]{1,64}", "name": string}"#,
        example = json!({"name": "Acme Video"})),
    responses((status = 201, body = AccountView), (status = 409, body = super::error::Problem, description = "an account with this id exists (or the id is `herald`, the operational account's)"), (status = 422, body = super::error::Problem)))]
#[tracing::instrument(skip_all)]
async fn create_account(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<AccountView>), ApiError> {
    caller.require_admin("only the admin token creates accounts")?;
    let mut f = Fields::new(&body, "");
    let id = f.optional_str("id");
    let name = f.required_str("name");
    let id = match id.map(AccountId::parse) {
        None => Some(AccountId::generate()),
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => {
            f.error("id", "must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -");
            None
        }
    };
    if name.is_some_and(|n| n.trim().is_empty() || n.chars().count() > 256) {
        f.error("name", "must be 1 to 256 characters");
    }
    f.finish().map_err(ApiError::Invalid)?;
    let (Some(id), Some(name)) = (id, name) else {
        return Err(ApiError::invalid("", "incomplete account"));
    };
    let account = Account { id, name: name.trim().to_owned(), created_at: Timestamp::now() };
    state.store.create_account(&account).await.map_err(ApiError::from_store("account"))?;
    Ok((StatusCode::CREATED, Json(account.into())))
}

/// List accounts, newest first.
#[utoipa::path(get, path = "/v1/accounts", tag = "accounts",
    params(("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = List<AccountView>)))]
async fn list_accounts(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<List<AccountView>>, ApiError> {
    caller.require_admin("only the admin token lists accounts")?;
    let page = params.page(AccountId::parse)?;
    let accounts = state.store.list_accounts(&page).await.map_err(ApiError::from_store("account"))?;
    Ok(Json(List::of(accounts, AccountView::from)))
}

/// Read an account.
#[utoipa::path(get, path = "/v1/accounts/{account}", tag = "accounts",
    responses((status = 200, body = AccountView), (status = 404, body = super::error::Problem)))]
async fn get_account(
    State(state): State<AppState>,
    caller: Caller,
    Path(account): Path<String>,
) -> Result<Json<AccountView>, ApiError> {
    let account = caller.account(&account)?;
    let found = state.store.get_account(&account).await.map_err(ApiError::from_store("account"))?;
    Ok(Json(found.into()))
}

/// Create an account key.
#[utoipa::path(post, path = "/v1/accounts/{account}/keys", tag = "accounts",
    responses((status = 201, body = KeyView), (status = 404, body = super::error::Problem)))]
#[tracing::instrument(skip_all)]
async fn create_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(account): Path<String>,
) -> Result<(StatusCode, Json<KeyView>), ApiError> {
    // Another account's is not found before it is forbidden, as on every route.
    let account = caller.account(&account)?;
    caller.require_admin("only the admin token creates account keys")?;
    state.store.get_account(&account).await.map_err(ApiError::from_store("account"))?;
    let (id, key) = (KeyId::generate(), random_token("hk_"));
    state
        .store
        .create_key(&account, &id, &token_hash(&key), Timestamp::now())
        .await
        .map_err(ApiError::from_store("key"))?;
    Ok((StatusCode::CREATED, Json(KeyView { id: id.to_string(), key })))
}
