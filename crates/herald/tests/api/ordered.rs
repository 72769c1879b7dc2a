//! Ordered endpoints: one delivery at a time, in publish order. A failing
//! delivery holds the later ones until it succeeds; when its schedule runs
//! out the endpoint is disabled, and a re-enable sends what it held, in
//! order. Turning the setting off lets what it held go at once.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::{
    checks::{expect_field_error, expect_json},
    fixtures::credits_low,
    helpers::{spawn_app_with, spawn_two_nodes, Options, TestApp},
    receiver::{Receiver, Recorded, Reply, Script},
};

/// How long the receivers take to answer: long enough that a second
/// attempt sent beside the first would overlap it.
const ANSWER_AFTER: Duration = Duration::from_millis(20);

/// A new account with an ordered endpoint at `receiver`; (account, endpoint).
async fn ordered_endpoint(app: &TestApp, receiver: &Receiver) -> (String, String) {
    let account = app.create_account().await;
    let endpoint = app.create_endpoint_with(&account, json!({"url": receiver.url(), "ordered": true})).await;
    assert_eq!(endpoint.body["ordered"], true, "{:#}", endpoint.body);
    (account, endpoint.id)
}

/// Publishes `n` events one after another through `apps` in turn; their ids in publish order.
async fn publish_in_turn(apps: &[&TestApp], account: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let balance = i64::try_from(i).expect("a small number");
        ids.push(apps[i % apps.len()].publish(account, "credits.low", credits_low(balance)).await.id);
    }
    ids
}

/// The events as they arrived, one entry per request.
fn arrivals(requests: &[Recorded]) -> Vec<String> {
    requests.iter().map(Recorded::event_id).collect()
}

/// Asserts that no request arrived while another was still being answered.
fn assert_one_at_a_time(requests: &[Recorded]) {
    let overlapping: Vec<(String, usize)> =
        requests.iter().filter(|r| r.open > 1).map(|r| (r.event_id(), r.open)).collect();
    assert!(overlapping.is_empty(), "requests sent while another was open: {overlapping:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ordered_endpoint_gets_one_delivery_at_a_time_and_a_failing_one_holds_the_rest() {
    // The first event is refused twice, the second time with Retry-After: 1
    // (within the schedule's longest delay, which caps it).
    let app = spawn_app_with(Options::default().schedule("0s,50ms,50ms,3s")).await;
    let receiver = Receiver::start(Script::Sequence(
        vec![Reply::status(500), Reply::status(429).with_header("Retry-After", "1")],
        Reply::status(200).after(ANSWER_AFTER),
    ))
    .await;
    let (account, endpoint) = ordered_endpoint(&app, &receiver).await;

    let published = publish_in_turn(&[&app], &account, 8).await;
    app.wait_for_deliveries(&account, &endpoint, "succeeded", 8).await;

    let requests = receiver.wait_for(10).await;
    let mut expected = vec![published[0].clone(); 3];
    expected.extend(published[1..].iter().cloned());
    assert_eq!(arrivals(&requests), expected, "the first event three times, then the rest in publish order");
    assert_one_at_a_time(&requests);
    let waited = requests[3].at.duration_since(requests[1].at);
    assert!(waited >= Duration::from_secs(1), "the second event waited out the first's Retry-After: {waited:?}");
    let second = app.delivery_of(&account, &published[1], &endpoint).await;
    assert_eq!(second["attempt_count"], 1, "held, not failed, while the first was retried: {second:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exhausted_head_disables_the_endpoint_and_a_re_enable_sends_what_it_held_in_order() {
    let app = spawn_app_with(Options::default().schedule("0s,50ms")).await;
    let receiver = Receiver::failing().await;
    let (account, endpoint) = ordered_endpoint(&app, &receiver).await;
    let published = publish_in_turn(&[&app], &account, 4).await;

    let disabled = app.wait_for_endpoint(&account, &endpoint, "disabled", |e| e["enabled"] == false).await;

    assert_eq!(disabled["disabled_cause"], "exhausted", "{disabled:#}");
    assert_eq!(arrivals(&receiver.requests()), vec![published[0].clone(); 2], "the later events were held back");
    for held in &published[1..] {
        let delivery = app.delivery_of(&account, held, &endpoint).await;
        let delivery = app.get_delivery(&account, delivery["id"].as_str().expect("an id")).await;
        assert_eq!(delivery["status"], "failed", "stopped with the endpoint: {delivery:#}");
        assert_eq!(delivery["attempts"][0]["error"], "endpoint_disabled", "{delivery:#}");
    }

    receiver.answer_always(200);
    app.endpoint_action(&account, &endpoint, "enable", json!({"redeliver_missed": true})).await;

    app.wait_for_deliveries(&account, &endpoint, "succeeded", 4).await;
    let requests = receiver.wait_for(6).await;
    assert_eq!(arrivals(&requests[2..]), published, "redelivered in publish order, the exhausted one first");
    assert_one_at_a_time(&requests);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_of_an_older_event_waits_for_the_delivery_in_flight_then_goes_before_the_rest() {
    // One attempt each: the first event's failure disables the endpoint.
    let app = spawn_app_with(Options::default().schedule("0s")).await;
    let slow = Reply::status(200).after(Duration::from_millis(300));
    let receiver = Receiver::start(Script::Sequence(vec![Reply::status(500)], slow)).await;
    let (account, endpoint) = ordered_endpoint(&app, &receiver).await;
    let first = publish_in_turn(&[&app], &account, 1).await.remove(0);
    app.wait_for_endpoint(&account, &endpoint, "disabled", |e| e["enabled"] == false).await;
    app.endpoint_action(&account, &endpoint, "enable", json!({})).await;
    let second = publish_in_turn(&[&app], &account, 1).await.remove(0);
    receiver.wait_for(2).await; // the second event is being answered, slowly

    let failed = app.delivery_of(&account, &first, &endpoint).await;
    let path = format!("/v1/accounts/{account}/deliveries/{}/retry", failed["id"].as_str().expect("an id"));
    assert_eq!(app.post(&path, &json!({})).await.status(), 202);

    app.wait_for_deliveries(&account, &endpoint, "succeeded", 2).await;
    let requests = receiver.wait_for(3).await;
    assert_eq!(arrivals(&requests), vec![first.clone(), second, first], "the retry went once the second was answered");
    assert_one_at_a_time(&requests);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turning_order_off_sends_the_held_deliveries_at_once() {
    // The first event fails and waits an hour for its retry; the rest wait behind it.
    let app = spawn_app_with(Options::default().schedule("0s,1h")).await;
    let receiver = Receiver::sequence(&[500], 200).await;
    let (account, endpoint) = ordered_endpoint(&app, &receiver).await;
    let published = publish_in_turn(&[&app], &account, 3).await;
    let first = app.delivery_of(&account, &published[0], &endpoint).await;
    let first = first["id"].as_str().expect("an id").to_string();
    app.wait_for_delivery(&account, &first, "a failed first attempt", |d| d["attempt_count"] == 1).await;
    let held = app.delivery_of(&account, &published[1], &endpoint).await;
    assert_eq!(held["attempt_count"], 0, "held behind the failing first event: {held:#}");

    let path = format!("/v1/accounts/{account}/endpoints/{endpoint}");
    let response = app.request(Method::PATCH, &path).json(&json!({"ordered": false})).send().await.expect("sent");
    let changed = expect_json(response, 200).await;

    assert_eq!(changed["ordered"], false, "{changed:#}");
    let requests = receiver.wait_for(3).await;
    let mut later = arrivals(&requests[1..]);
    later.sort();
    let mut expected = published[1..].to_vec();
    expected.sort();
    assert_eq!(later, expected, "the held events went without waiting for the first one's hour");
    let first = app.get_delivery(&account, &first).await;
    assert_eq!(first["status"], "pending", "the first event keeps its own schedule: {first:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_deliver_to_an_ordered_endpoint_one_at_a_time_in_publish_order() {
    let Some((app, other)) = spawn_two_nodes().await else {
        return;
    };
    let receiver =
        Receiver::start(Script::Sequence(vec![Reply::status(503)], Reply::status(200).after(ANSWER_AFTER))).await;
    let (account, endpoint) = ordered_endpoint(&app, &receiver).await;

    let published = publish_in_turn(&[&app, &other], &account, 20).await;

    app.wait_for_deliveries(&account, &endpoint, "succeeded", 20).await;
    let requests = receiver.wait_for(21).await;
    let mut expected = vec![published[0].clone()];
    expected.extend(published.iter().cloned());
    assert_eq!(arrivals(&requests), expected, "one order over both nodes, the first event retried first");
    assert_one_at_a_time(&requests);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ordered_is_shown_changed_and_checked() {
    let app = spawn_app_with(Options::default()).await;
    let account = app.create_account().await;
    let endpoints = format!("/v1/accounts/{account}/endpoints");
    let plain = app.create_endpoint(&account, "https://example.com/hook").await;
    assert_eq!(plain.body["ordered"], false, "unordered unless asked: {:#}", plain.body);

    let refused = app.post(&endpoints, &json!({"url": "https://example.com/hook", "ordered": "yes"})).await;
    let problem = expect_field_error(refused, 422, "/ordered").await;
    assert!(problem.to_string().contains("true or false"), "{problem}");

    let path = format!("{endpoints}/{}", plain.id);
    let response = app.request(Method::PATCH, &path).json(&json!({"ordered": true})).send().await.expect("sent");
    let changed: Value = expect_json(response, 200).await;
    assert_eq!(changed["ordered"], true);
    assert_eq!(app.get_endpoint(&account, &plain.id).await["ordered"], true);
}
