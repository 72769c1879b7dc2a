//! Refusals: malformed JSON (400), wrong types and invalid values (422 with a
//! JSON pointer), schema violations, oversized bodies (413), and bad query
//! parameters (400 naming the parameter). Every one is problem+json.

use reqwest::Method;
use serde_json::{json, Value};

use crate::{
    checks::{expect_field_error, expect_json, expect_parameter_error, expect_problem},
    fixtures::{credits_low, project_completed},
    helpers::{spawn_app, TestApp},
};

async fn post_raw(app: &TestApp, path: &str, body: &'static str) -> reqwest::Response {
    app.request(Method::POST, path).header("content-type", "application/json").body(body).send().await.unwrap()
}

fn without(mut data: Value, field: &str) -> Value {
    data.as_object_mut().unwrap().remove(field);
    data
}

fn with(mut data: Value, field: &str, value: Value) -> Value {
    data[field] = value;
    data
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_is_a_bad_request() {
    let app = spawn_app().await;
    let account = app.create_account().await;

    for (path, body) in [
        (format!("/v1/accounts/{account}/events"), r#"{"type": "credits.low", "data": "#),
        (format!("/v1/accounts/{account}/events/batch"), "[{]"),
        (format!("/v1/accounts/{account}/endpoints"), "{url: nope}"),
        ("/v1/accounts".to_string(), "not json at all"),
    ] {
        expect_problem(post_raw(&app, &path, body).await, 400).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_with_wrong_types_or_an_unknown_type_is_refused_with_a_pointer() {
    let app = spawn_app().await;
    let account = app.create_account().await;

    for (body, pointer) in [
        (json!({"data": credits_low(1)}), "/type"),
        (json!({"type": 7, "data": credits_low(1)}), "/type"),
        (json!({"type": "credits.exploded", "data": credits_low(1)}), "/type"),
        (json!({"type": "credits.low"}), "/data"),
        (json!({"type": "credits.low", "data": "low"}), "/data"),
        (json!({"type": "credits.low", "data": [1]}), "/data"),
    ] {
        let response = app.post_publish(&account, &body).await;
        expect_field_error(response, 422, pointer).await;
    }
    assert!(app.list_events(&account).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_that_breaks_its_schema_is_refused_with_the_failing_field() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let completed = project_completed(1);

    let cases = [
        ("project.completed", without(completed.clone(), "project_id"), "/data/project_id"),
        ("project.completed", with(completed.clone(), "project_id", json!("42")), "/data/project_id"),
        ("project.completed", without(completed.clone(), "video_url"), "/data/video_url"),
        ("project.completed", with(completed.clone(), "video_url", json!("not a uri")), "/data/video_url"),
        ("project.completed", with(completed.clone(), "duration_seconds", json!("long")), "/data/duration_seconds"),
        ("project.completed", with(completed.clone(), "credits_used", json!(1.5)), "/data/credits_used"),
        (
            "project.processing",
            json!({"project_id": 1, "project_type": "scene_project", "progress": 101}),
            "/data/progress",
        ),
        (
            "project.failed",
            json!({"project_id": 1, "project_type": "scene_project", "error_code": "X"}),
            "/data/error_message",
        ),
        ("voice_clone.completed", json!({"person_id": 1}), "/data/voice_id"),
        ("voice_clone.failed", json!({"person_id": "one", "error_code": "X", "error_message": "m"}), "/data/person_id"),
        ("credits.low", json!({"balance": 10}), "/data/threshold"),
        ("credits.depleted", json!({"balance": 5}), "/data/balance"),
        ("project.created", json!({"project_id": 1}), "/data/project_type"),
    ];
    for (event_type, data, pointer) in cases {
        let response = app.post_publish(&account, &json!({"type": event_type, "data": data})).await;
        expect_field_error(response, 422, pointer).await;
    }
    assert!(app.list_events(&account).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_256_kib_is_too_large() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let data = with(credits_low(1), "padding", json!("x".repeat(300 * 1024)));

    let response = app.post_publish(&account, &json!({"type": "credits.low", "data": data})).await;

    expect_problem(response, 413).await;
    assert!(app.list_events(&account).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_just_under_256_kib_is_accepted() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let data = with(credits_low(1), "padding", json!("x".repeat(250 * 1024)));

    let response = app.post_publish(&account, &json!({"type": "credits.low", "data": data})).await;

    expect_json(response, 202).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoint_fields_of_the_wrong_type_or_value_are_refused_with_a_pointer() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let path = format!("/v1/accounts/{account}/endpoints");

    for (body, pointer) in [
        (json!({}), "/url"),
        (json!({"url": 42}), "/url"),
        (json!({"url": "not a url"}), "/url"),
        (json!({"url": "ftp://127.0.0.1/hook"}), "/url"),
        (json!({"url": "http://127.0.0.1:9/hook", "description": 5}), "/description"),
        (json!({"url": "http://127.0.0.1:9/hook", "event_types": "credits.low"}), "/event_types"),
        (json!({"url": "http://127.0.0.1:9/hook", "event_types": [5]}), "/event_types/0"),
    ] {
        expect_field_error(app.post(&path, &body).await, 422, pointer).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_with_an_invalid_value_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, "http://127.0.0.1:9/hook").await;
    let path = format!("/v1/accounts/{account}/endpoints/{}", endpoint.id);
    let before = app.get_endpoint(&account, &endpoint.id).await;

    for (body, pointer) in
        [(json!({"url": "not a url"}), "/url"), (json!({"event_types": ["nope.never"]}), "/event_types/0")]
    {
        let response = app.request(Method::PATCH, &path).json(&body).send().await.unwrap();
        expect_field_error(response, 422, pointer).await;
    }
    assert_eq!(app.get_endpoint(&account, &endpoint.id).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_fields_are_checked_and_explicit_ids_are_unique() {
    let app = spawn_app().await;

    for (body, pointer) in [
        (json!({}), "/name"),
        (json!({"name": 3}), "/name"),
        (json!({"id": "has space", "name": "x"}), "/id"),
        (json!({"id": "a".repeat(65), "name": "x"}), "/id"),
        (json!({"id": "", "name": "x"}), "/id"),
    ] {
        expect_field_error(app.post("/v1/accounts", &body).await, 422, pointer).await;
    }
    let chosen = json!({"id": "platform-user_42", "name": "Alex"});
    let created = expect_json(app.post("/v1/accounts", &chosen).await, 201).await;
    assert_eq!(created["id"], "platform-user_42");
    expect_problem(app.post("/v1/accounts", &chosen).await, 409).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_limits_outside_1_to_500_are_refused() {
    let app = spawn_app().await;
    let account = app.create_account().await;

    for limit in ["0", "501", "-1", "many"] {
        for list in ["events", "endpoints", "deliveries"] {
            let response = app.get(&format!("/v1/accounts/{account}/{list}?limit={limit}")).await;
            expect_parameter_error(response, "limit").await;
        }
    }
    let response = app.get(&format!("/v1/accounts/{account}/events?limit=500")).await;
    expect_json(response, 200).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cursor_herald_did_not_issue_is_refused() {
    let app = spawn_app().await;
    let account = app.create_account().await;

    for list in ["events", "endpoints", "deliveries"] {
        let response = app.get(&format!("/v1/accounts/{account}/{list}?cursor=not-a-cursor")).await;
        expect_parameter_error(response, "cursor").await;
    }
    expect_parameter_error(app.get("/v1/accounts?cursor=garbage").await, "cursor").await;
}
