//! Who may do what: the admin token, account keys confined to their own
//! account, and another account's resources answered `404` as if absent.
//!
//! The tests of every route are generated from the server's own OpenAPI
//! document ([`documented_routes`]), so that a route added to the API is
//! covered without anyone editing them: strangers get `401`, another
//! account's key `404` on real objects of the account, nothing refused
//! changes them, and no answer to one account shows another's ids.

use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::{
    checks::{expect_json, expect_problem},
    fixtures::credits_low,
    helpers::{spawn_app, TestApp, ADMIN_TOKEN},
    receiver::Receiver,
    routes::{documented_routes, id_for, Route, METHODS},
    tenant::Tenant,
};

async fn send(app: &TestApp, token: Option<&str>, method: Method, path: &str) -> Response {
    let mut request = app.client.request(method.clone(), app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if method == Method::POST || method == Method::PATCH {
        request = request.json(&json!({}));
    }
    request.send().await.expect("request sent")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_are_created_listed_and_read_by_the_admin() {
    let app = spawn_app().await;

    let created = expect_json(app.post("/v1/accounts", &json!({"name": "Acme"})).await, 201).await;
    let read = app.get_json(&format!("/v1/accounts/{}", created["id"].as_str().unwrap())).await;
    let listed = app.get_json("/v1/accounts").await;

    crate::checks::assert_ulid_id(&created["id"], "acc_");
    assert_eq!(created["name"], "Acme");
    assert!(created["created_at"].is_string());
    assert_eq!(read, created);
    assert!(listed["data"].as_array().unwrap().contains(&created), "{listed}");
    assert!(listed.get("next_cursor").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_key_works_on_its_own_account() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    let created = expect_json(app.post(&format!("/v1/accounts/{account}/keys"), &json!({})).await, 201).await;
    let key = created["key"].as_str().unwrap().to_string();
    assert!(created["id"].as_str().is_some_and(|id| id.starts_with("key_")), "{created}");
    assert!(key.starts_with("hk_"), "{created}");

    let endpoint = app
        .request_as(&key, Method::POST, &format!("/v1/accounts/{account}/endpoints"))
        .json(&json!({"url": receiver.url()}))
        .send()
        .await
        .unwrap();
    let endpoint = expect_json(endpoint, 201).await;
    let published = app.publish(&account, "credits.low", credits_low(1)).await;
    receiver.wait_for(1).await;

    for path in [
        format!("/v1/accounts/{account}/endpoints"),
        format!("/v1/accounts/{account}/endpoints/{}", endpoint["id"].as_str().unwrap()),
        format!("/v1/accounts/{account}/events"),
        format!("/v1/accounts/{account}/events/{}", published.id),
        format!("/v1/accounts/{account}/deliveries"),
        "/v1/event-types".to_string(),
    ] {
        let response = send(&app, Some(&key), Method::GET, &path).await;
        expect_json(response, 200).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_key_may_neither_publish_nor_create_accounts_nor_keys() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let key = app.create_key(&account).await;

    let publish = app
        .request_as(&key, Method::POST, &format!("/v1/accounts/{account}/events"))
        .json(&json!({"type": "credits.low", "data": credits_low(1)}))
        .send()
        .await
        .unwrap();
    let batch = app
        .request_as(&key, Method::POST, &format!("/v1/accounts/{account}/events/batch"))
        .json(&json!([{"type": "credits.low", "data": credits_low(1)}]))
        .send()
        .await
        .unwrap();
    let new_account =
        app.request_as(&key, Method::POST, "/v1/accounts").json(&json!({"name": "mine now"})).send().await.unwrap();
    let new_key = send(&app, Some(&key), Method::POST, &format!("/v1/accounts/{account}/keys")).await;

    expect_problem(publish, 403).await;
    expect_problem(batch, 403).await;
    expect_problem(new_account, 403).await;
    let status = new_key.status().as_u16();
    assert!(matches!(status, 403 | 404), "a key cannot mint keys, got {status}");
    assert!(app.list_events(&account).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ids_and_ids_of_the_wrong_shape_are_not_found() {
    let app = spawn_app().await;
    let account = app.create_account().await;

    for path in [
        "/v1/accounts/acc_01JQ8Z6X3M0000000000000000".to_string(),
        "/v1/accounts/acc_01JQ8Z6X3M0000000000000000/endpoints".to_string(),
        format!("/v1/accounts/{account}/endpoints/ep_01JQ8Z6X3M0000000000000000"),
        format!("/v1/accounts/{account}/endpoints/nope"),
        format!("/v1/accounts/{account}/events/evt_01JQ8Z6X3M0000000000000000"),
        format!("/v1/accounts/{account}/events/nope"),
        format!("/v1/accounts/{account}/deliveries/nope"),
    ] {
        expect_problem(app.get(&path).await, 404).await;
    }
    let publish = app
        .post_publish("acc_01JQ8Z6X3M0000000000000000", &json!({"type": "credits.low", "data": credits_low(1)}))
        .await;
    expect_problem(publish, 404).await;
}

/// The headers of a request: credentials, good, bad or none.
type Credentials = Vec<(&'static str, String)>;

fn bearer(token: &str) -> Credentials {
    vec![("authorization", format!("Bearer {token}"))]
}

/// What a caller without valid credentials may present.
fn strangers() -> Vec<Credentials> {
    vec![
        vec![],
        bearer("garbage"),
        bearer("hk_forged"),
        bearer(""),
        vec![("authorization", "Basic YWRtaW46YWRtaW4=".into())],
        vec![("authorization", ADMIN_TOKEN.into())],
        vec![("cookie", "herald_portal=forged".into())],
    ]
}

/// A route's example body with every URL in it pointed at `receiver`, so no
/// request leaves the machine.
fn localised(example: &Value, receiver: &str) -> Value {
    match example {
        Value::String(s) if s.starts_with("http://") || s.starts_with("https://") => Value::String(receiver.into()),
        Value::Array(items) => Value::Array(items.iter().map(|v| localised(v, receiver)).collect()),
        Value::Object(fields) => {
            Value::Object(fields.iter().map(|(k, v)| (k.clone(), localised(v, receiver))).collect())
        }
        other => other.clone(),
    }
}

/// Sends a route's request to `path` (its example body, if it takes one); returns the status and body.
async fn call(
    app: &TestApp,
    receiver: &Receiver,
    route: &Route,
    path: &str,
    credentials: &Credentials,
) -> (u16, String) {
    let mut request = app.client.request(route.method.clone(), app.url(path));
    for (name, value) in credentials {
        request = request.header(*name, value);
    }
    if let Some(example) = &route.example {
        request = request.json(&localised(example, &receiver.url()));
    }
    let mut response = request.send().await.unwrap_or_else(|e| panic!("{} sent: {e}", route.name()));
    let status = response.status().as_u16();
    let streaming = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .is_some_and(|v| v.to_str().unwrap_or_default().starts_with("text/event-stream"));
    if streaming {
        // A live stream never ends: what it opens with is what it shows.
        let first = response.chunk().await.ok().flatten().unwrap_or_default();
        return (status, String::from_utf8_lossy(&first).into_owned());
    }
    (status, response.text().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_route_refuses_strangers_and_hides_other_accounts() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let (a, b) = (Tenant::create(&app, &receiver).await, Tenant::create(&app, &receiver).await);
    let routes = documented_routes(&app).await;
    let b_before = b.snapshot(&app).await;
    // B's objects under A's account.
    let mut mixed = b.ids.clone();
    mixed.insert("account", a.ids["account"].clone());

    for route in &routes {
        let name = route.name();
        let theirs = route.path(&b.ids);
        if !route.public {
            for credentials in strangers() {
                let (status, body) = call(&app, &receiver, route, &theirs, &credentials).await;
                assert_eq!(status, 401, "{name} with {credentials:?}: {body}");
            }
        }
        if !route.params.is_empty() {
            let (status, body) = call(&app, &receiver, route, &theirs, &bearer(&a.key)).await;
            assert_eq!(status, 404, "{name}: account A's key on account B's objects ({theirs}): {body}");
        }
        if route.takes_object_ids() && route.params.iter().any(|p| p == "account") {
            for token in [&a.key, &app.admin_token] {
                let (status, body) = call(&app, &receiver, route, &route.path(&mixed), &bearer(token)).await;
                assert_eq!(status, 404, "{name}: account B's objects under account A: {body}");
            }
        }
        if route.method == Method::GET {
            // A's own answers, even filtered by B's ids, never show B.
            let query: Vec<String> =
                route.id_queries.iter().map(|(q, kind)| format!("{q}={}", id_for(&b.ids, kind, &name))).collect();
            let path = format!("{}?{}", route.path(&a.ids), query.join("&"));
            let (_, body) = call(&app, &receiver, route, &path, &bearer(&a.key)).await;
            for identifier in b.identifiers() {
                assert!(!body.contains(identifier), "{name}: account A's answer shows B's `{identifier}`: {body}");
            }
        }
    }
    assert_eq!(b.snapshot(&app).await, b_before, "requests refused above changed account B");

    // The control: the admin reaches every route on B's objects (deletions last),
    // so the 404s above were about who asked, not about the path.
    let mut ordered = routes.clone();
    ordered.sort_by_key(|r| r.method == Method::DELETE);
    for route in &ordered {
        let (status, body) = call(&app, &receiver, route, &route.path(&b.ids), &bearer(&app.admin_token)).await;
        assert!(
            status < 500 && ![401, 403, 404, 405].contains(&status),
            "{}: the admin got {status}: {body}",
            route.name()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_path_refuses_the_methods_it_does_not_document() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let tenant = Tenant::create(&app, &receiver).await;
    let routes = documented_routes(&app).await;

    for route in &routes {
        let documented: Vec<&str> =
            routes.iter().filter(|r| r.template == route.template).map(|r| r.method.as_str()).collect();
        for method in METHODS.map(str::to_uppercase).iter().filter(|m| !documented.contains(&m.as_str())) {
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            let path = route.path(&tenant.ids);
            let response = app.request(method.clone(), &path).json(&json!({})).send().await.unwrap();
            let status = response.status().as_u16();
            assert_eq!(status, 405, "{method} {}: a route the OpenAPI document does not list answered", route.template);
        }
    }
}
