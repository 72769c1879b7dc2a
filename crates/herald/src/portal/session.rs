//! The portal session: a cookie holding a random token (stored hashed), as an
//! extractor, and the CSRF check for state-changing requests.

use axum::{
    extract::FromRequestParts,
    http::{request::Parts, StatusCode},
    response::Response,
};

use super::html::page;
use crate::{
    domain::secret::{same_secret, token_hash},
    domain::Timestamp,
    store::PortalSession,
    web::{cookie_token, AppState},
};

/// A signed-in visitor.
pub struct Visitor {
    /// The session, with the account it may see.
    pub session: PortalSession,
    /// The hash the session is stored under.
    pub token_hash: String,
}

impl Visitor {
    /// Whether a form's CSRF token is this session's.
    pub fn csrf_ok(&self, given: &str) -> bool {
        same_secret(given, &self.session.csrf_token)
    }
}

/// The answer to a form without this session's CSRF token.
pub fn csrf_refused() -> Response {
    page(
        StatusCode::FORBIDDEN,
        "Request refused",
        "<p>This form has expired. Go back, reload the page and try again.</p>",
    )
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let signed_out = || {
            page(
                StatusCode::UNAUTHORIZED,
                "Signed out",
                "<p>Your portal session has ended. Ask for a new portal link to sign in again.</p>",
            )
        };
        let token = cookie_token(parts).ok_or_else(signed_out)?;
        let hash = token_hash(&token);
        let session = state
            .store
            .find_portal_session(&hash, Timestamp::now())
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "failed to read a portal session");
                page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "<p>Please try again.</p>")
            })?
            .ok_or_else(signed_out)?;
        Ok(Self { session, token_hash: hash })
    }
}
