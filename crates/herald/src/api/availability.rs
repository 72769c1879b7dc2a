//! Fast, honest answers while the database does not answer: every request
//! but liveness and readiness is refused at once with 503 and `Retry-After`
//! when the health probe finds the database silent, and one already waiting
//! on it is answered the same way as soon as the probe does, rather than
//! hanging until the database returns.

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::{error::ApiError, AppState};

/// Paths that answer for themselves: liveness (the process runs) and
/// readiness (which reports the probe's word).
const ANSWERED_ALWAYS: [&str; 2] = ["/healthz", "/readyz"];

/// The middleware: the request, unless the database is down or goes down first.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if ANSWERED_ALWAYS.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    if !state.health.is_up() {
        return ApiError::Unavailable.into_response();
    }
    tokio::select! {
        response = next.run(request) => response,
        () = state.health.went_down() => ApiError::Unavailable.into_response(),
    }
}
