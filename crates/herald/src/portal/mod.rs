//! The developer portal: where an account's customer signs in from a
//! one-time link the platform hands out. Sessions are HttpOnly,
//! SameSite=Strict cookies; every state-changing request carries the
//! session's CSRF token.

mod html;
mod login;
mod session;

use axum::{
    http::{header, HeaderValue},
    routing::{get, post},
    Router,
};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::api::AppState;

/// The portal's routes, under `/portal`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portal/login", get(login::show_login).post(login::sign_in))
        .route("/portal/logout", post(login::sign_out))
        .route("/portal/", get(login::home))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'; form-action 'self'"),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
}
