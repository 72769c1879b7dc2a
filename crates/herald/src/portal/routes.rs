//! The portal's routes, under `/portal`, with the headers every page carries.

use axum::{
    http::{header, HeaderValue},
    routing::{get, post},
    Router,
};
use tower_http::set_header::SetResponseHeaderLayer;

use super::{assets, login, pages};
use crate::web::AppState;

/// The portal's routes, under `/portal`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portal/login", get(login::show_login).post(login::sign_in))
        .route("/portal/logout", post(login::sign_out))
        .route("/portal/", get(pages::endpoints))
        .route("/portal/endpoints/new", get(pages::new_endpoint))
        .route("/portal/endpoints/{id}", get(pages::endpoint))
        .route("/portal/endpoints/{id}/edit", get(pages::edit_endpoint))
        .route("/portal/deliveries", get(pages::deliveries))
        .route("/portal/deliveries/{id}", get(pages::delivery))
        .route("/portal/catalog", get(pages::catalog))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'; form-action 'self'"),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .route("/portal/assets/portal.js", get(assets::script))
        .route("/portal/assets/portal.css", get(assets::style))
        .route("/portal/assets/favicon.svg", get(assets::icon))
}
