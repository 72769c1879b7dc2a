//! Every limit of the API, at the limit and one past it: body size (413),
//! nesting depth (400), URL, description, name and filter lengths (422),
//! `Idempotency-Key` (400) and endpoints per account (409). Each refusal is
//! problem+json naming the field or parameter and the reason, and nothing
//! refused is stored, not even in part.

use futures::future::join_all;
use reqwest::{header::HeaderValue, Method};
use serde_json::{json, Value};

use crate::{
    checks::{expect_field_error, expect_json, expect_parameter_error, expect_problem},
    fixtures::credits_low,
    helpers::{spawn_app, spawn_app_with, Options, TestApp},
};

/// `levels` arrays, one inside the other.
fn nested(levels: usize) -> Value {
    (0..levels).fold(Value::Null, |inner, _| if inner.is_null() { json!([]) } else { json!([inner]) })
}

/// A valid `credits.low` publish whose `data.x` holds `levels` nested arrays:
/// the body is level 1, `data` level 2, so it nests `2 + levels` deep.
fn publish_nesting(levels: usize) -> Value {
    let mut data = credits_low(1);
    data["x"] = nested(levels);
    json!({"type": "credits.low", "data": data})
}

/// `n` valid entries of `event_types`.
fn filters(n: usize) -> Vec<&'static str> {
    (0..n).map(|i| if i % 2 == 0 { "credits.*" } else { "project.completed" }).collect()
}

async fn endpoints_of(app: &TestApp, account: &str) -> Vec<Value> {
    let list = app.get_json(&format!("/v1/accounts/{account}/endpoints?limit=500")).await;
    list["data"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_256_kib_is_too_large() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let mut body = publish_nesting(0);
    body["data"]["padding"] = json!("x".repeat(300 * 1024));

    let problem = expect_field_error(app.post_publish(&account, &body).await, 413, "").await;

    assert!(problem["detail"].as_str().unwrap().contains("262144 bytes"), "{problem}");
    assert!(app.list_events(&account).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_just_under_256_kib_is_accepted() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let mut body = publish_nesting(0);
    body["data"]["padding"] = json!("x".repeat(250 * 1024));

    expect_json(app.post_publish(&account, &body).await, 202).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_nested_32_levels_deep_are_accepted_and_33_are_refused_where_they_go_too_deep() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let endpoints = format!("/v1/accounts/{account}/endpoints");
    let too_deep = format!("/data/x{}", "/0".repeat(30));

    expect_json(app.post_publish(&account, &publish_nesting(30)).await, 202).await;
    let problem = expect_field_error(app.post_publish(&account, &publish_nesting(31)).await, 400, &too_deep).await;
    let batch = app.post(&format!("/v1/accounts/{account}/events/batch"), &json!([publish_nesting(31)])).await;
    // One level deeper in a batch, whose array is level 1.
    expect_field_error(batch, 400, &format!("/0/data/x{}", "/0".repeat(29))).await;
    let endpoint = json!({"url": "http://127.0.0.1:9/hook", "event_types": nested(32)});
    expect_field_error(app.post(&endpoints, &endpoint).await, 400, &format!("/event_types{}", "/0".repeat(31))).await;

    assert!(problem["detail"].as_str().unwrap().contains("deeper than 32 levels"), "{problem}");
    assert_eq!(app.list_events(&account).await.len(), 1, "only the event at the limit is stored");
    assert!(endpoints_of(&app, &account).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_levels_of_nesting_are_refused_without_harm() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let body = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));

    for path in [format!("/v1/accounts/{account}/events"), format!("/v1/accounts/{account}/events/batch")] {
        let response =
            app.request(Method::POST, &path).header("content-type", "application/json").body(body.clone()).send().await;
        expect_field_error(response.unwrap(), 400, &"/0".repeat(32)).await;
    }
    assert!(app.list_events(&account).await.is_empty());
    expect_json(app.get("/healthz").await, 200).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urls_of_2048_characters_are_accepted_and_longer_ones_refused() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let base = "http://127.0.0.1:9/";
    let at_limit = format!("{base}{}", "a".repeat(2048 - base.len()));
    // Short as typed, but over the limit once its non-ASCII is percent-encoded.
    let encoded_over = format!("{base}{}", "é".repeat(1000));
    let endpoints = format!("/v1/accounts/{account}/endpoints");

    let created = app.create_endpoint(&account, &at_limit).await;
    for url in [format!("{at_limit}a"), encoded_over] {
        let problem = expect_field_error(app.post(&endpoints, &json!({"url": url})).await, 422, "/url").await;
        assert!(problem["detail"].as_str().unwrap().contains("2048"), "{problem}");
        let patch = app.request(Method::PATCH, &format!("{endpoints}/{}", created.id)).json(&json!({"url": url}));
        expect_field_error(patch.send().await.unwrap(), 422, "/url").await;
    }
    assert_eq!(endpoints_of(&app, &account).await.len(), 1);
    assert_eq!(app.get_endpoint(&account, &created.id).await["url"], at_limit.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn descriptions_names_and_type_filters_have_a_length_limit() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let endpoints = format!("/v1/accounts/{account}/endpoints");
    let url = "http://127.0.0.1:9/hook";

    app.create_endpoint_with(&account, json!({"url": url, "description": "é".repeat(1024)})).await;
    app.create_endpoint_with(&account, json!({"url": url, "event_types": filters(100)})).await;
    for (body, pointer) in [
        (json!({"url": url, "description": "é".repeat(1025)}), "/description"),
        (json!({"url": url, "event_types": filters(101)}), "/event_types"),
    ] {
        let problem = expect_field_error(app.post(&endpoints, &body).await, 422, pointer).await;
        assert!(problem["detail"].as_str().unwrap().contains("at most"), "{problem}");
    }
    expect_json(app.post("/v1/accounts", &json!({"name": "n".repeat(256)})).await, 201).await;
    expect_field_error(app.post("/v1/accounts", &json!({"name": "n".repeat(257)})).await, 422, "/name").await;

    assert_eq!(endpoints_of(&app, &account).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_are_1_to_255_visible_ascii_characters() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let body = publish_nesting(0);
    let publish = |key: HeaderValue| {
        app.request(Method::POST, &format!("/v1/accounts/{account}/events"))
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };

    expect_json(publish(HeaderValue::from_str(&"k".repeat(255)).unwrap()).await.unwrap(), 202).await;
    for refused in [
        HeaderValue::from_str(&"k".repeat(256)).unwrap(),
        HeaderValue::from_static(""),
        HeaderValue::from_static("   "),
        HeaderValue::from_bytes("clé".as_bytes()).unwrap(),
    ] {
        expect_parameter_error(publish(refused).await.unwrap(), "Idempotency-Key").await;
    }
    assert_eq!(app.list_events(&account).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_has_at_most_the_configured_number_of_endpoints() {
    let app = spawn_app_with(Options::default().max_endpoints(3)).await;
    let account = app.create_account().await;
    let other = app.create_account().await;
    let url = "http://127.0.0.1:9/hook";
    let mut created = Vec::new();
    for _ in 0..3 {
        created.push(app.create_endpoint(&account, url).await.id);
    }

    let refused = app.post(&format!("/v1/accounts/{account}/endpoints"), &json!({"url": url})).await;
    let problem = expect_problem(refused, 409).await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("3 endpoints") && detail.contains("HERALD_MAX_ENDPOINTS_PER_ACCOUNT"), "{problem}");
    assert_eq!(endpoints_of(&app, &account).await.len(), 3);

    app.create_endpoint(&other, url).await;
    let deleted = app.request(Method::DELETE, &format!("/v1/accounts/{account}/endpoints/{}", created[0]));
    assert_eq!(deleted.send().await.unwrap().status(), 204);
    app.create_endpoint(&account, url).await;
    assert_eq!(endpoints_of(&app, &account).await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creations_never_exceed_the_endpoint_limit() {
    let app = spawn_app_with(Options::default().max_endpoints(3)).await;
    let account = app.create_account().await;
    let path = format!("/v1/accounts/{account}/endpoints");
    let body = json!({"url": "http://127.0.0.1:9/hook"});

    let statuses: Vec<u16> =
        join_all((0..12).map(|_| app.post(&path, &body))).await.iter().map(|r| r.status().as_u16()).collect();

    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 3, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 9, "{statuses:?}");
    assert_eq!(endpoints_of(&app, &account).await.len(), 3);
}
