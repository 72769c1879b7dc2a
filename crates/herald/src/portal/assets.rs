//! The portal's script and style sheet, compiled into the binary: the portal
//! needs nothing from any other host.

use axum::{
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
};

const SCRIPT: &str = include_str!("assets/portal.js");
const STYLE: &str = include_str!("assets/portal.css");
const ICON: &str = include_str!("assets/favicon.svg");

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        body,
    )
        .into_response()
}

/// `GET /portal/assets/portal.js`.
pub async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

/// `GET /portal/assets/portal.css`.
pub async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}

/// `GET /portal/assets/favicon.svg`.
pub async fn icon() -> Response {
    asset("image/svg+xml", ICON)
}
