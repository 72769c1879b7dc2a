//! `Idempotency-Key` on publish: a repeat answers the first answer with `200`
//! and delivers nothing new, a different body under the same key is a
//! conflict, and two concurrent duplicates make exactly one event.

use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::{
    checks::{expect_json, expect_problem},
    fixtures::credits_low,
    helpers::{spawn_app, TestApp},
    receiver::Receiver,
};

/// Publishes `body` to `account` with an `Idempotency-Key` header.
pub async fn publish_with_key(app: &TestApp, account: &str, key: &str, body: &Value) -> Response {
    app.request(Method::POST, &format!("/v1/accounts/{account}/events"))
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .expect("publish sent")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeat_with_the_same_key_returns_the_first_answer_and_delivers_nothing_new() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    app.create_endpoint(&account, &receiver.url()).await;
    let body = json!({"type": "credits.low", "data": credits_low(7)});

    let first = expect_json(publish_with_key(&app, &account, "order-7", &body).await, 202).await;
    let second = expect_json(publish_with_key(&app, &account, "order-7", &body).await, 200).await;

    assert_eq!(second, first);
    assert_eq!(app.list_events(&account).await.len(), 1);
    assert_eq!(app.list_deliveries(&account, "").await.len(), 1);
    let arrived = receiver.wait_for(1).await;
    assert_eq!(arrived[0].event_id(), first["event"]["id"].as_str().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_with_a_different_body_is_a_conflict() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let first = json!({"type": "credits.low", "data": credits_low(7)});
    let other = json!({"type": "credits.low", "data": credits_low(8)});

    expect_json(publish_with_key(&app, &account, "order-7", &first).await, 202).await;
    let response = publish_with_key(&app, &account, "order-7", &other).await;

    expect_problem(response, 409).await;
    assert_eq!(app.list_events(&account).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_requests_with_the_same_key_make_exactly_one_event() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &receiver.url()).await;
    let body = json!({"type": "credits.low", "data": credits_low(7)});

    let (a, b) =
        tokio::join!(publish_with_key(&app, &account, "race", &body), publish_with_key(&app, &account, "race", &body));

    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 202]);
    let a: Value = a.json().await.unwrap();
    let b: Value = b.json().await.unwrap();
    assert_eq!(a["event"]["id"], b["event"]["id"]);
    assert_eq!(a, b);
    let event = a["event"]["id"].as_str().unwrap().to_string();
    assert_eq!(app.list_events(&account).await.len(), 1);
    let deliveries = app.list_deliveries(&account, "").await;
    assert_eq!(deliveries.len(), 1);
    let d = app.delivery_of(&account, &event, &endpoint.id).await;
    app.wait_for_delivery_status(&account, d["id"].as_str().unwrap(), "succeeded").await;
    assert_eq!(receiver.count(), 1);
    assert_eq!(receiver.requests()[0].event_id(), event);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_key_a_repeat_is_a_new_event() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let body = json!({"type": "credits.low", "data": credits_low(7)});

    let first = expect_json(app.post_publish(&account, &body).await, 202).await;
    let second = expect_json(app.post_publish(&account, &body).await, 202).await;

    assert_ne!(first["event"]["id"], second["event"]["id"]);
    assert_eq!(app.list_events(&account).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_belong_to_one_account() {
    let app = spawn_app().await;
    let one = app.create_account().await;
    let two = app.create_account().await;
    let body = json!({"type": "credits.low", "data": credits_low(7)});

    let first = expect_json(publish_with_key(&app, &one, "shared-key", &body).await, 202).await;
    let second = expect_json(publish_with_key(&app, &two, "shared-key", &body).await, 202).await;

    assert_ne!(first["event"]["id"], second["event"]["id"]);
    assert_eq!(app.list_events(&two).await.len(), 1);
}
