//! Who is calling: the platform (admin token), one account's key, or the
//! developer portal's page scripts (session cookie plus its CSRF header).
//! As an extractor, so a handler's signature says who may call it.

use axum::{extract::FromRequestParts, http::request::Parts};

use super::{error::ApiError, AppState};
use crate::{
    domain::{
        secret::{same_secret, token_hash},
        AccountId, EndpointId, Timestamp,
    },
    web::{cookie_token, CSRF_HEADER},
};

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub enum Caller {
    /// The platform: every route.
    Admin,
    /// One account's customer: only routes under that account, no publishing.
    Account(AccountId),
}

impl Caller {
    /// Parses the `{account}` of a path and checks the caller may see it.
    /// Another account's resources are answered 404, exactly as if absent.
    pub fn account(&self, raw: &str) -> Result<AccountId, ApiError> {
        let id = AccountId::parse(raw).map_err(|_| ApiError::NotFound("account"))?;
        match self {
            Self::Admin => Ok(id),
            Self::Account(own) if *own == id => Ok(id),
            Self::Account(_) => Err(ApiError::NotFound("account")),
        }
    }

    /// Parses the `{account}` and `{endpoint}` of a path, as
    /// [`account`](Self::account) does the account; an id that is not an
    /// endpoint's is a 404 too.
    pub fn endpoint(&self, account: &str, endpoint: &str) -> Result<(AccountId, EndpointId), ApiError> {
        let account = self.account(account)?;
        let endpoint = EndpointId::parse(endpoint).map_err(|_| ApiError::NotFound("endpoint"))?;
        Ok((account, endpoint))
    }

    /// Refuses account keys.
    pub fn require_admin(&self, what: &'static str) -> Result<(), ApiError> {
        match self {
            Self::Admin => Ok(()),
            Self::Account(_) => Err(ApiError::Forbidden(what)),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let Some(token) = bearer else {
            return portal_caller(parts, state).await;
        };
        if state.admin_token.matches(token) {
            return Ok(Self::Admin);
        }
        if !token.starts_with("hk_") {
            return Err(ApiError::Unauthorized);
        }
        let key = state
            .store
            .find_key(&token_hash(token))
            .await
            .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("Failed to look up an account key")))?
            .ok_or(ApiError::Unauthorized)?;
        within_share(state, key.account_id)
    }
}

/// The portal's page scripts: a live session cookie, and the session's CSRF
/// token in a header (which another site's page cannot set), on every method.
async fn portal_caller(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
    let token = cookie_token(parts).ok_or(ApiError::Unauthorized)?;
    let session = state
        .store
        .find_portal_session(&token_hash(&token), Timestamp::now())
        .await
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("Failed to read a portal session")))?
        .ok_or(ApiError::Unauthorized)?;
    let given = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !same_secret(given, &session.csrf_token) {
        return Err(ApiError::Forbidden("the portal session's CSRF token is missing or wrong (X-CSRF-Token)"));
    }
    within_share(state, session.account_id)
}

/// The account as the caller, if it has not used its share of requests
/// (`HERALD_ACCOUNT_RATE_LIMIT`); the admin token has no such limit.
fn within_share(state: &AppState, account: AccountId) -> Result<Caller, ApiError> {
    match state.account_rate.admit(&account, std::time::Instant::now()) {
        Ok(()) => Ok(Caller::Account(account)),
        Err(retry_after) => {
            metrics::counter!("herald_rate_limited_requests_total").increment(1);
            Err(ApiError::TooManyRequests { limit: state.config.account_rate_limit, retry_after })
        }
    }
}
