//! Signing in from a one-time link, and signing out.
//!
//! Opening a link shows a button instead of signing in at once, so that link
//! previews (chat apps, mail scanners) cannot use the link up.

use std::collections::HashMap;

use axum::{
    extract::{Form, Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
};

use super::{
    html::{escape, page},
    session::{csrf_refused, Visitor},
};
use crate::{
    domain::{
        secret::{random_token, token_hash},
        Timestamp,
    },
    store::PortalSession,
    web::{AppState, COOKIE},
};

fn field<'a>(form: &'a HashMap<String, String>, name: &str) -> &'a str {
    form.get(name).map_or("", String::as_str)
}

fn failed() -> Response {
    page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "<p>Please try again.</p>")
}

/// `GET /portal/login?token=…`: a page with one button that signs in.
pub async fn show_login(Query(query): Query<HashMap<String, String>>) -> Response {
    let token = field(&query, "token");
    if token.is_empty() {
        return page(StatusCode::BAD_REQUEST, "Link incomplete", "<p>This portal link has no token.</p>");
    }
    let body = format!(
        "<p>This link opens your webhook developer portal.</p>\n\
         <form method=\"post\" action=\"/portal/login\">\n\
         <input type=\"hidden\" name=\"token\" value=\"{}\">\n\
         <button type=\"submit\">Open the developer portal</button>\n</form>",
        escape(token)
    );
    page(StatusCode::OK, "Developer portal", &body)
}

/// `POST /portal/login`: uses the link up and starts a session.
pub async fn sign_in(State(state): State<AppState>, Form(form): Form<HashMap<String, String>>) -> Response {
    let now = Timestamp::now();
    let account = match state.store.redeem_portal_link(&token_hash(field(&form, "token")), now).await {
        Ok(Some(account)) => account,
        Ok(None) => {
            return page(
                StatusCode::UNAUTHORIZED,
                "Link expired",
                "<p>This portal link has expired or was already used. Ask for a new one.</p>",
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "failed to redeem a portal link");
            return failed();
        }
    };
    let token = random_token("pst_");
    let lifetime = state.config.portal_session;
    let session = PortalSession { account_id: account, csrf_token: random_token(""), expires_at: now.plus(lifetime) };
    if let Err(e) = state.store.create_portal_session(&session, &token_hash(&token), now).await {
        tracing::error!(error = %e, "failed to start a portal session");
        return failed();
    }
    let secure = if state.public_url.starts_with("https://") { "; Secure" } else { "" };
    let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}", lifetime.as_secs());
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        headers.insert(header::SET_COOKIE, value);
    }
    (headers, Redirect::to("/portal/")).into_response()
}

/// `POST /portal/logout`: ends the session.
pub async fn sign_out(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !visitor.csrf_ok(field(&form, "_csrf")) {
        return csrf_refused();
    }
    if let Err(e) = state.store.delete_portal_session(&visitor.token_hash).await {
        tracing::error!(error = %e, "failed to end a portal session");
        return failed();
    }
    let mut response = page(StatusCode::OK, "Signed out", "<p>You are signed out of the developer portal.</p>");
    let clear = HeaderValue::from_str(&format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"));
    if let Ok(value) = clear {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}
