//! Refusals: malformed JSON (400), wrong types and invalid values (422 with a
//! JSON pointer), schema violations, bad query parameters and cursors (400
//! naming the parameter), ids and paths that name nothing of ours (404), and
//! methods a path does not take (405). Every one is problem+json. The limits
//! (sizes, lengths, depth, counts) are in `limits`.

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
    let taken = expect_problem(app.post("/v1/accounts", &chosen).await, 409).await;
    assert_eq!(taken["detail"], "an account with that id already exists");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_limits_outside_1_to_500_are_refused() {
    let app = spawn_app().await;
    let account = app.create_account().await;

    for limit in ["0", "501", "-1", "many", ""] {
        for list in ["events", "endpoints", "deliveries"] {
            let response = app.get(&format!("/v1/accounts/{account}/{list}?limit={limit}")).await;
            expect_parameter_error(response, "limit").await;
        }
    }
    let response = app.get(&format!("/v1/accounts/{account}/events?limit=500")).await;
    expect_json(response, 200).await;
}

/// The cursor after the first endpoint of an account's list.
async fn first_cursor(app: &TestApp, account: &str) -> String {
    let page = app.get_json(&format!("/v1/accounts/{account}/endpoints?limit=1")).await;
    page["next_cursor"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cursor_is_an_id_of_the_list_kind_and_pages_the_callers_own_list_only() {
    let app = spawn_app().await;
    let mine = app.create_account().await;
    let theirs = app.create_account().await;
    for _ in 0..2 {
        app.create_endpoint(&mine, "http://127.0.0.1:9/hook").await;
        app.create_endpoint(&theirs, "http://127.0.0.1:9/hook").await;
    }
    let (my_cursor, their_cursor) = (first_cursor(&app, &mine).await, first_cursor(&app, &theirs).await);
    let overlong = "A".repeat(10_000);

    for cursor in ["not-a-cursor", "%E2%98%83", "%FF", &overlong, "evt_123"] {
        for list in ["events", "endpoints", "deliveries"] {
            let response = app.get(&format!("/v1/accounts/{mine}/{list}?cursor={cursor}")).await;
            expect_parameter_error(response, "cursor").await;
        }
    }
    // An endpoint's id is no position in the list of events or deliveries.
    for list in ["events", "deliveries"] {
        expect_parameter_error(app.get(&format!("/v1/accounts/{mine}/{list}?cursor={my_cursor}")).await, "cursor")
            .await;
    }
    expect_parameter_error(app.get("/v1/accounts?cursor=a%2Fb").await, "cursor").await;
    let next = app.get_json(&format!("/v1/accounts/{mine}/endpoints?limit=1&cursor={my_cursor}")).await;
    assert_eq!(next["data"].as_array().unwrap().len(), 1, "{next}");

    // Another account's id is a position too, but in the caller's own list: nothing of theirs shows.
    let own: Vec<Value> = app.get_json(&format!("/v1/accounts/{mine}/endpoints")).await["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].clone())
        .collect();
    let positioned = app.get_json(&format!("/v1/accounts/{mine}/endpoints?cursor={their_cursor}")).await;
    for endpoint in positioned["data"].as_array().unwrap() {
        assert!(own.contains(&endpoint["id"]), "{endpoint} is not of {mine}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_filters_that_are_not_ids_or_values_of_ours_are_refused_by_name() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let overlong = "x".repeat(5_000);

    for (query, parameter) in [
        ("endpoint_id=nope", "endpoint_id"),
        ("endpoint_id=%E2%98%83", "endpoint_id"),
        ("event_id=evt_%FF", "event_id"),
        ("status=lost", "status"),
        ("event_type=Credits%20Low", "event_type"),
        (&format!("event_id={overlong}"), "event_id"),
    ] {
        expect_parameter_error(app.get(&format!("/v1/accounts/{account}/deliveries?{query}")).await, parameter).await;
    }
    for (query, parameter) in [("after=nope", "after"), ("after=%00", "after"), ("type=%E2%98%83", "type")] {
        expect_parameter_error(app.get(&format!("/v1/accounts/{account}/events?{query}")).await, parameter).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_that_name_nothing_of_ours_are_not_found_whatever_their_shape() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let overlong = "x".repeat(10_000);
    let overlong_id = format!("ep_{}", "0".repeat(5_000));

    for id in [
        "ep_01JQ8Z6X3M0000000000000000",
        "nope",
        &overlong,
        &overlong_id,
        "%E2%98%83",
        "ep_01JQ8Z6X3M00000000000000%C3%A9",
        "%FF%FE",
        "%00",
        "%2E%2E%2F",
    ] {
        for (method, path) in [
            (Method::GET, format!("/v1/accounts/{id}")),
            (Method::GET, format!("/v1/accounts/{id}/endpoints")),
            (Method::POST, format!("/v1/accounts/{id}/events")),
            (Method::GET, format!("/v1/accounts/{account}/endpoints/{id}")),
            (Method::PATCH, format!("/v1/accounts/{account}/endpoints/{id}")),
            (Method::POST, format!("/v1/accounts/{account}/endpoints/{id}/disable")),
            (Method::GET, format!("/v1/accounts/{account}/events/{id}")),
            (Method::GET, format!("/v1/accounts/{account}/deliveries/{id}")),
            (Method::POST, format!("/v1/accounts/{account}/deliveries/{id}/retry")),
        ] {
            let body = match method {
                Method::PATCH => json!({"description": "valid"}),
                _ => json!({"type": "credits.low", "data": credits_low(1)}),
            };
            let response = app.request(method.clone(), &path).json(&body).send().await.unwrap();
            let problem = expect_problem(response, 404).await;
            assert!(problem["detail"].as_str().unwrap().starts_with("no such"), "{method} {path}: {problem}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_a_path_does_not_take_is_refused_with_the_methods_it_does() {
    let app = spawn_app().await;
    let account = app.create_account().await;

    for (method, path) in [
        (Method::PUT, "/v1/accounts".to_string()),
        (Method::DELETE, format!("/v1/accounts/{account}")),
        (Method::PUT, format!("/v1/accounts/{account}/events")),
    ] {
        let response = app.request(method, &path).send().await.unwrap();
        let allow = response.headers().get("allow").map(|v| v.to_str().unwrap().to_string());
        expect_problem(response, 405).await;
        assert!(allow.is_some_and(|a| a.contains("GET")), "{path}");
    }
}
