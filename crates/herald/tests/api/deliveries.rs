//! The delivery log: the delivery object, its attempts in order, and the
//! list's filters by endpoint, event and status.

use serde_json::{json, Value};

use crate::{
    checks::{assert_whole_second_utc, expect_problem},
    fixtures::{credits_low, project_completed},
    helpers::spawn_app,
    receiver::Receiver,
};

fn assert_delivery_shape(d: &Value) {
    for field in [
        "id",
        "event_id",
        "endpoint_id",
        "event_type",
        "status",
        "attempt_count",
        "next_attempt_at",
        "last_response_status",
        "created_at",
        "updated_at",
    ] {
        assert!(d.get(field).is_some(), "delivery has `{field}`: {d:#}");
    }
    assert!(d["id"].as_str().is_some_and(|id| id.starts_with("dlv_")), "{d}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_successful_delivery_is_logged_with_its_single_attempt() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &receiver.url()).await;
    let published = app.publish(&account, "project.completed", project_completed(42)).await;
    let listed = app.delivery_of(&account, &published.id, &endpoint.id).await;
    let id = listed["id"].as_str().unwrap();

    let d = app.wait_for_delivery_status(&account, id, "succeeded").await;

    assert_delivery_shape(&d);
    assert_eq!(d["event_id"], published.id.as_str());
    assert_eq!(d["endpoint_id"], endpoint.id.as_str());
    assert_eq!(d["event_type"], "project.completed");
    assert_eq!(d["attempt_count"], 1);
    assert_eq!(d["last_response_status"], 200);
    assert_eq!(d["next_attempt_at"], Value::Null);
    let attempts = d["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 1, "{d:#}");
    let attempt = &attempts[0];
    assert_eq!(attempt["n"], 1);
    assert_eq!(attempt["response_status"], 200);
    assert_eq!(attempt["error"], Value::Null);
    assert!(attempt["duration_ms"].is_u64(), "{attempt}");
    assert!(attempt["started_at"].is_string(), "{attempt}");
    assert!(attempt.get("response_body").is_some(), "{attempt}");
    assert_eq!(receiver.count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_attempt_log_lists_every_attempt_in_ascending_order() {
    let app = spawn_app().await;
    let receiver = Receiver::sequence(&[500, 503], 200).await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &receiver.url()).await;
    let published = app.publish(&account, "credits.low", credits_low(3)).await;
    let id = app.delivery_of(&account, &published.id, &endpoint.id).await["id"].as_str().unwrap().to_string();

    let d = app.wait_for_delivery_status(&account, &id, "succeeded").await;

    assert_eq!(d["attempt_count"], 3);
    assert_eq!(d["last_response_status"], 200);
    let attempts = d["attempts"].as_array().expect("attempts");
    let summary: Vec<(Value, Value, Value)> =
        attempts.iter().map(|a| (a["n"].clone(), a["response_status"].clone(), a["error"].clone())).collect();
    assert_eq!(
        summary,
        vec![
            (json!(1), json!(500), json!("status")),
            (json!(2), json!(503), json!("status")),
            (json!(3), json!(200), Value::Null),
        ]
    );
    let endpoint = app.get_endpoint(&account, &endpoint.id).await;
    assert_eq!(endpoint["enabled"], true, "a delivery that succeeded disables nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_can_be_filtered_by_endpoint_event_and_status() {
    let app = spawn_app().await;
    let healthy = Receiver::ok().await;
    let failing = Receiver::failing().await;
    let account = app.create_account().await;
    let good = app.create_endpoint(&account, &healthy.url()).await;
    let bad = app.create_endpoint(&account, &failing.url()).await;
    let first = app.publish(&account, "credits.low", credits_low(1)).await;
    let second = app.publish(&account, "credits.low", credits_low(2)).await;
    for event in [&first.id, &second.id] {
        let d = app.delivery_of(&account, event, &bad.id).await;
        app.wait_for_delivery_status(&account, d["id"].as_str().unwrap(), "failed").await;
        let d = app.delivery_of(&account, event, &good.id).await;
        app.wait_for_delivery_status(&account, d["id"].as_str().unwrap(), "succeeded").await;
    }

    let all = app.list_deliveries(&account, "").await;
    let by_endpoint = app.list_deliveries(&account, &format!("endpoint_id={}", good.id)).await;
    let by_event = app.list_deliveries(&account, &format!("event_id={}", first.id)).await;
    let failed = app.list_deliveries(&account, "status=failed").await;
    let succeeded = app.list_deliveries(&account, "status=succeeded").await;

    assert_eq!(all.len(), 4);
    all.iter().for_each(assert_delivery_shape);
    assert_eq!(by_endpoint.len(), 2);
    assert!(by_endpoint.iter().all(|d| d["endpoint_id"] == good.id.as_str()));
    assert_eq!(by_event.len(), 2);
    assert!(by_event.iter().all(|d| d["event_id"] == first.id.as_str()));
    assert_eq!(failed.len(), 2);
    assert!(failed.iter().all(|d| d["endpoint_id"] == bad.id.as_str()));
    assert_eq!(succeeded.len(), 2);
    assert!(succeeded.iter().all(|d| d["status"] == "succeeded"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_delivery_list_is_newest_first() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    app.create_endpoint(&account, &receiver.url()).await;
    let mut events = Vec::new();
    for balance in 1..=3 {
        events.push(app.publish(&account, "credits.low", credits_low(balance)).await.id);
    }

    let listed: Vec<String> =
        app.list_deliveries(&account, "").await.iter().map(|d| d["event_id"].as_str().unwrap().to_string()).collect();

    events.reverse();
    assert_eq!(listed, events);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_timestamps_are_rfc3339_utc() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &receiver.url()).await;
    let published = app.publish(&account, "credits.low", credits_low(1)).await;
    let id = app.delivery_of(&account, &published.id, &endpoint.id).await["id"].as_str().unwrap().to_string();

    let d = app.wait_for_delivery_status(&account, &id, "succeeded").await;

    for value in [&d["created_at"], &d["updated_at"], &d["attempts"][0]["started_at"]] {
        let s = value.as_str().expect("a timestamp");
        assert!(s.ends_with('Z') && s.contains('T'), "`{s}` is RFC 3339 UTC");
    }
    assert_whole_second_utc(&published.event["created_at"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_delivery_is_not_found() {
    let app = spawn_app().await;
    let account = app.create_account().await;

    for id in ["dlv_01JQ8Z6X3M0000000000000000", "nope"] {
        let response = app.get(&format!("/v1/accounts/{account}/deliveries/{id}")).await;
        expect_problem(response, 404).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_filters_by_event_type_and_refuses_a_malformed_one() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    app.create_endpoint(&account, &receiver.url()).await;
    let project = app.publish(&account, "project.completed", project_completed(1)).await;
    app.publish(&account, "credits.low", credits_low(3)).await;

    let listed = app.list_deliveries(&account, "event_type=project.completed").await;
    assert_eq!(listed.len(), 1, "{listed:#?}");
    assert_eq!(listed[0]["event_id"], project.id.as_str());
    assert!(app.list_deliveries(&account, "event_type=voice_clone.failed").await.is_empty());
    let bad = app.get(&format!("/v1/accounts/{account}/deliveries?event_type=not%20a%20type")).await;
    crate::checks::expect_parameter_error(bad, "event_type").await;
}
