//! The portal session as it travels: the cookie that carries its token and
//! the header in which the portal's scripts send its CSRF token.

use axum::http::{header, request::Parts};

/// The cookie that carries the session token.
pub const COOKIE: &str = "herald_portal";
/// The header in which the portal's scripts send the session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The session token in the request's cookies, if any.
pub fn cookie_token(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}
