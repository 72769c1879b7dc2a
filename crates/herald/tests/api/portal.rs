//! The developer portal's access: one-time links, HttpOnly SameSite=Strict
//! session cookies, CSRF on state changes, signing out.

use reqwest::{header, Method, Response};
use serde_json::{json, Value};

use crate::{
    checks::{expect_json, expect_problem},
    helpers::{spawn_app, TestApp},
};

/// A portal link for a new account named `name`: (account id, link).
async fn link_for(app: &TestApp, name: &str, body: Value) -> (String, Value) {
    let account = expect_json(app.post("/v1/accounts", &json!({"name": name})).await, 201).await;
    let id = account["id"].as_str().unwrap().to_owned();
    let link = expect_json(app.post(&format!("/v1/accounts/{id}/portal-links"), &body).await, 201).await;
    (id, link)
}

fn token_of(link: &Value) -> String {
    let url = link["url"].as_str().unwrap();
    url.split_once("token=").expect("the link carries a token").1.to_owned()
}

async fn sign_in(app: &TestApp, token: &str) -> Response {
    app.client.post(app.url("/portal/login")).form(&[("token", token)]).send().await.unwrap()
}

/// The `name=value` of the session cookie a response sets.
fn session_cookie(response: &Response) -> String {
    let set = response.headers().get(header::SET_COOKIE).expect("a session cookie").to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

async fn portal_get(app: &TestApp, path: &str, cookie: &str) -> Response {
    app.client.request(Method::GET, app.url(path)).header(header::COOKIE, cookie).send().await.unwrap()
}

/// The CSRF token in a page's forms.
fn csrf_in(html: &str) -> String {
    let start = html.find("name=\"_csrf\" value=\"").expect("a CSRF field") + "name=\"_csrf\" value=\"".len();
    html[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_portal_link_signs_in_once_with_a_strict_http_only_cookie() {
    let app = spawn_app().await;
    let (_, link) = link_for(&app, "Acme <Studios>", json!({})).await;
    let url = link["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/portal/login?token=", app.address)), "{url}");

    let opened = app.client.get(url).send().await.unwrap();
    assert_eq!(opened.status().as_u16(), 200);
    assert!(opened.text().await.unwrap().contains("action=\"/portal/login\""), "opening the link only shows a button");

    let signed_in = sign_in(&app, &token_of(&link)).await;
    assert_eq!(signed_in.status().as_u16(), 303);
    assert_eq!(signed_in.headers()[header::LOCATION], "/portal/");
    let set_cookie = signed_in.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(set_cookie.contains(attribute), "{set_cookie} lacks {attribute}");
    }
    let home = portal_get(&app, "/portal/", &session_cookie(&signed_in)).await;
    assert_eq!(home.status().as_u16(), 200);
    let html = home.text().await.unwrap();
    assert!(html.contains("Acme &lt;Studios&gt;"), "the account's name, escaped: {html}");

    let again = sign_in(&app, &token_of(&link)).await;
    assert_eq!(again.status().as_u16(), 401, "a link works once");
    assert!(again.headers().get(header::SET_COOKIE).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_link_opens_nothing() {
    let app = spawn_app().await;
    let (_, link) = link_for(&app, "Acme", json!({"expires_in_seconds": 1})).await;
    let expires_at = link["expires_at"].as_str().unwrap();
    let expiry = chrono::DateTime::parse_from_rfc3339(expires_at).unwrap().with_timezone(&chrono::Utc);
    let wait = (expiry - chrono::Utc::now()).to_std().unwrap_or_default() + std::time::Duration::from_millis(5);
    tokio::time::sleep(wait).await; // the link's own lifetime passing, not synchronisation

    assert_eq!(sign_in(&app, &token_of(&link)).await.status().as_u16(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_needs_the_csrf_token_and_ends_the_session() {
    let app = spawn_app().await;
    let (_, link) = link_for(&app, "Acme", json!({})).await;
    let cookie = session_cookie(&sign_in(&app, &token_of(&link)).await);
    let html = portal_get(&app, "/portal/", &cookie).await.text().await.unwrap();
    let csrf = csrf_in(&html);
    let logout = |fields: Vec<(&'static str, String)>| {
        app.client.post(app.url("/portal/logout")).header(header::COOKIE, cookie.clone()).form(&fields).send()
    };

    assert_eq!(logout(vec![]).await.unwrap().status().as_u16(), 403, "no CSRF token");
    assert_eq!(logout(vec![("_csrf", "forged".into())]).await.unwrap().status().as_u16(), 403, "a wrong CSRF token");
    assert_eq!(portal_get(&app, "/portal/", &cookie).await.status().as_u16(), 200, "refused forms change nothing");

    let out = logout(vec![("_csrf", csrf)]).await.unwrap();
    assert_eq!(out.status().as_u16(), 200);
    assert!(out.headers()[header::SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(portal_get(&app, "/portal/", &cookie).await.status().as_u16(), 401, "the session is over");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_needs_a_session_and_links_need_the_admin_token() {
    let app = spawn_app().await;
    assert_eq!(portal_get(&app, "/portal/", "herald_portal=pst_made_up").await.status().as_u16(), 401);
    let account = app.create_account().await;
    let key = app.create_key(&account).await;

    let by_key = app.request_as(&key, Method::POST, &format!("/v1/accounts/{account}/portal-links")).json(&json!({}));
    assert_eq!(by_key.send().await.unwrap().status().as_u16(), 403);
    let too_long =
        app.post(&format!("/v1/accounts/{account}/portal-links"), &json!({"expires_in_seconds": 86_401})).await;
    assert_eq!(too_long.status().as_u16(), 422);
    let unknown = app.post("/v1/accounts/nobody/portal-links", &json!({})).await;
    assert_eq!(unknown.status().as_u16(), 404);
}

/// The portal's pages call the account's `/v1` API with the session cookie
/// and its CSRF token in `X-CSRF-Token`; nothing else gets through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_portal_session_reaches_its_own_accounts_api_with_its_csrf_header_only() {
    let app = spawn_app().await;
    let (account, link) = link_for(&app, "Acme", json!({})).await;
    let other = app.create_account().await;
    let endpoint = app.create_endpoint(&account, "http://127.0.0.1:9/hooks").await;
    let cookie = session_cookie(&sign_in(&app, &token_of(&link)).await);
    let csrf = csrf_in(&portal_get(&app, "/portal/", &cookie).await.text().await.unwrap());
    let call = |method: Method, path: String, csrf: Option<&str>| {
        let mut request = app.client.request(method, app.url(&path)).header(header::COOKIE, cookie.clone());
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        request.json(&json!({})).send()
    };
    let own = format!("/v1/accounts/{account}/endpoints/{}", endpoint.id);

    let read = expect_json(call(Method::GET, own.clone(), Some(&csrf)).await.unwrap(), 200).await;
    assert_eq!(read["id"], endpoint.id.as_str());
    let disabled = call(Method::POST, format!("{own}/disable"), Some(&csrf)).await.unwrap();
    assert_eq!(expect_json(disabled, 200).await["enabled"], false);

    for forged in [None, Some("forged")] {
        let refused = call(Method::POST, format!("{own}/enable"), forged).await.unwrap();
        assert_eq!(expect_problem(refused, 403).await["status"], 403, "CSRF token {forged:?}");
        expect_problem(call(Method::GET, own.clone(), forged).await.unwrap(), 403).await;
    }
    assert_eq!(app.get_endpoint(&account, &endpoint.id).await["enabled"], false, "refused calls change nothing");

    let elsewhere = call(Method::GET, format!("/v1/accounts/{other}/endpoints"), Some(&csrf)).await.unwrap();
    expect_problem(elsewhere, 404).await;
    let publish = call(Method::POST, format!("/v1/accounts/{account}/events"), Some(&csrf)).await.unwrap();
    expect_problem(publish, 403).await;
}
