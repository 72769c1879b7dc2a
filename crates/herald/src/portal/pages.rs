//! The signed-in pages. Each is the same shell (header, navigation, sign-out
//! form) around a `<main>` that the portal's script fills from the account's
//! own API, so the pages show exactly what the API answers, validation
//! messages included.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Response},
};

use super::{html::escape, session::Visitor};
use crate::web::AppState;

/// Which page the script renders, and for which object.
struct View<'a> {
    /// The page's title, for `<title>` and `<h1>`.
    title: &'a str,
    /// The script's name for the page.
    name: &'a str,
    /// The endpoint or delivery the page is about.
    id: Option<&'a str>,
    /// Which navigation entry is the current one.
    section: &'a str,
}

const SECTIONS: [(&str, &str, &str); 3] = [
    ("endpoints", "/portal/", "Endpoints"),
    ("deliveries", "/portal/deliveries", "Delivery log"),
    ("catalog", "/portal/catalog", "Event types"),
];

async fn shell(state: &AppState, visitor: &Visitor, view: View<'_>) -> Response {
    let account = match state.store.get_account(&visitor.session.account_id).await {
        Ok(account) => account,
        Err(e) => {
            tracing::error!(error = %e, "failed to read the portal's account");
            return super::html::page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "<p>Please try again.</p>",
            );
        }
    };
    let nav: String = SECTIONS
        .iter()
        .map(|(section, href, label)| {
            let current = if *section == view.section { " aria-current=\"page\"" } else { "" };
            format!("<li><a href=\"{href}\"{current}>{label}</a></li>")
        })
        .collect();
    let title = escape(view.title);
    let html = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"herald-account\" content=\"{account_id}\">\n\
         <meta name=\"herald-csrf\" content=\"{csrf}\">\n\
         <title>{title} · {account_name} · Herald</title>\n\
         <link rel=\"icon\" href=\"/portal/assets/favicon.svg\" type=\"image/svg+xml\">\n\
         <link rel=\"stylesheet\" href=\"/portal/assets/portal.css\">\n\
         <script src=\"/portal/assets/portal.js\" defer></script>\n</head>\n<body>\n\
         <a class=\"skip\" href=\"#content\">Skip to content</a>\n\
         <header class=\"top\">\n<p class=\"brand\">Webhooks · <strong>{account_name}</strong> \
         <code>{account_id}</code></p>\n\
         <nav aria-label=\"Portal\"><ul>{nav}</ul></nav>\n\
         <form method=\"post\" action=\"/portal/logout\" class=\"signout\">\n\
         <input type=\"hidden\" name=\"_csrf\" value=\"{csrf}\">\n\
         <button type=\"submit\" class=\"secondary\">Sign out</button>\n</form>\n</header>\n\
         <main id=\"content\" tabindex=\"-1\" data-view=\"{name}\" data-id=\"{id}\">\n<h1>{title}</h1>\n\
         <noscript><p>The developer portal needs JavaScript.</p></noscript>\n\
         <p class=\"loading\">Loading…</p>\n</main>\n</body>\n</html>\n",
        account_id = escape(account.id.as_str()),
        account_name = escape(&account.name),
        csrf = escape(&visitor.session.csrf_token),
        name = view.name,
        id = escape(view.id.unwrap_or_default()),
    );
    (StatusCode::OK, Html(html)).into_response()
}

/// `GET /portal/`: the account's endpoints.
pub async fn endpoints(State(state): State<AppState>, visitor: Visitor) -> Response {
    shell(&state, &visitor, View { title: "Endpoints", name: "endpoints", id: None, section: "endpoints" }).await
}

/// `GET /portal/endpoints/new`: the form that adds an endpoint.
pub async fn new_endpoint(State(state): State<AppState>, visitor: Visitor) -> Response {
    shell(&state, &visitor, View { title: "Add an endpoint", name: "new-endpoint", id: None, section: "endpoints" })
        .await
}

/// `GET /portal/endpoints/{id}`: one endpoint, its secret, its health.
pub async fn endpoint(State(state): State<AppState>, visitor: Visitor, Path(id): Path<String>) -> Response {
    shell(&state, &visitor, View { title: "Endpoint", name: "endpoint", id: Some(&id), section: "endpoints" }).await
}

/// `GET /portal/endpoints/{id}/edit`: the form that changes an endpoint.
pub async fn edit_endpoint(State(state): State<AppState>, visitor: Visitor, Path(id): Path<String>) -> Response {
    shell(&state, &visitor, View { title: "Edit endpoint", name: "edit-endpoint", id: Some(&id), section: "endpoints" })
        .await
}

/// `GET /portal/deliveries`: the delivery log.
pub async fn deliveries(State(state): State<AppState>, visitor: Visitor) -> Response {
    shell(&state, &visitor, View { title: "Delivery log", name: "deliveries", id: None, section: "deliveries" }).await
}

/// `GET /portal/deliveries/{id}`: one delivery, its payload and attempts.
pub async fn delivery(State(state): State<AppState>, visitor: Visitor, Path(id): Path<String>) -> Response {
    shell(&state, &visitor, View { title: "Delivery", name: "delivery", id: Some(&id), section: "deliveries" }).await
}

/// `GET /portal/catalog`: the event types.
pub async fn catalog(State(state): State<AppState>, visitor: Visitor) -> Response {
    shell(&state, &visitor, View { title: "Event types", name: "catalog", id: None, section: "catalog" }).await
}
