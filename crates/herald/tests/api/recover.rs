//! Recovering a time range: `POST …/endpoints/{id}/recover {"since","until"?}`
//! sends again every failed or skipped delivery of the endpoint created in
//! the range (and nothing else), in pages in the background, and its
//! recovery says how many it queued. On two nodes, each is queued once.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::{
    checks::{expect_json, expect_problem, Poll},
    fixtures::{self, credits_low},
    helpers::{spawn_app, spawn_app_with, spawn_two_nodes, Options, TestApp},
    receiver::Receiver,
};

/// When a delivery was made, to the millisecond: the time of its id's ULID.
fn millis(delivery: &Value) -> u64 {
    let id = delivery["id"].as_str().expect("an id");
    ulid::Ulid::from_string(id.trim_start_matches("dlv_")).expect("a ULID").timestamp_ms()
}

/// [`millis`] as RFC 3339, as a recovery's range takes it.
fn made_at(delivery: &Value) -> Value {
    let at = chrono::DateTime::from_timestamp_millis(i64::try_from(millis(delivery)).unwrap()).expect("a time");
    json!(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// Asks for a recovery; the recovery as answered.
async fn recover(app: &TestApp, account: &str, endpoint: &str, body: Value) -> Value {
    let path = format!("/v1/accounts/{account}/endpoints/{endpoint}/recover");
    expect_json(app.post(&path, &body).await, 202).await
}

/// Waits until the recovery is done; returns it.
async fn finished(app: &TestApp, account: &str, endpoint: &str, recovery: &Value) -> Value {
    let path = format!("/v1/accounts/{account}/endpoints/{endpoint}/recoveries/{}", recovery["id"].as_str().unwrap());
    let poll = Poll::new(format!("recovery {path} to finish"));
    loop {
        let r = app.get_json(&path).await;
        if r["status"] != "running" {
            return r;
        }
        poll.tick(&r).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recovery_sends_again_only_the_failed_and_skipped_deliveries_of_its_range() {
    // One attempt: the first failure disables the endpoint.
    let app = spawn_app_with(Options::default().schedule("0s")).await;
    let receiver = Receiver::failing().await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &receiver.url()).await;
    let failed = app.publish(&account, "credits.low", credits_low(1)).await;
    app.wait_for_endpoint(&account, &endpoint.id, "disabled", |e| e["enabled"] == false).await;
    let skipped = app.publish(&account, "credits.low", credits_low(2)).await;
    // The next delivery is made in a later millisecond than this one, so
    // that a range can end between them.
    let skipped_at = millis(&app.delivery_of(&account, &skipped.id, &endpoint.id).await);
    while fixtures::unix_millis() <= skipped_at {
        tokio::task::yield_now().await;
    }
    let later = app.publish(&account, "credits.low", credits_low(3)).await;
    receiver.answer_always(200);
    app.endpoint_action(&account, &endpoint.id, "enable", json!({})).await;
    let delivered = app.publish(&account, "credits.low", credits_low(4)).await;
    let delivered = app.delivery_of(&account, &delivered.id, &endpoint.id).await;
    app.wait_for_delivery_status(&account, delivered["id"].as_str().unwrap(), "succeeded").await;
    let since = made_at(&app.delivery_of(&account, &failed.id, &endpoint.id).await);
    let until = made_at(&app.delivery_of(&account, &later.id, &endpoint.id).await);

    let asked = recover(&app, &account, &endpoint.id, json!({"since": since, "until": until})).await;
    assert_eq!(asked["status"], "running");
    let done = finished(&app, &account, &endpoint.id, &asked).await;

    assert_eq!(done["status"], "done", "{done:#}");
    assert_eq!(done["queued"], 2, "the failed one and the skipped one, not the later ones: {done:#}");
    receiver.wait_for(3).await;
    for event in [&failed.id, &skipped.id] {
        let d = app.delivery_of(&account, event, &endpoint.id).await;
        app.wait_for_delivery_status(&account, d["id"].as_str().unwrap(), "succeeded").await;
    }
    let untouched = app.delivery_of(&account, &later.id, &endpoint.id).await;
    assert_eq!(untouched["status"], "skipped", "outside the range: {untouched:#}");
    let arrived: Vec<String> = receiver.requests()[1..].iter().map(|r| r.event_id()).collect();
    assert_eq!(
        arrived.iter().filter(|e| **e == failed.id || **e == skipped.id).count(),
        2,
        "each recovered delivery once, with the later one never sent: {arrived:?}"
    );

    // A range that ends where it starts or before, or starts in the future, holds nothing.
    let (later_at, delivered_at) = (made_at(&untouched), made_at(&delivered));
    for empty in [json!({"since": delivered_at, "until": later_at}), json!({"since": "2999-01-01T00:00:00Z"})] {
        let done =
            finished(&app, &account, &endpoint.id, &recover(&app, &account, &endpoint.id, empty.clone()).await).await;
        assert_eq!((&done["status"], &done["queued"]), (&json!("done"), &json!(0)), "{empty}: {done:#}");
    }
    assert_eq!(app.delivery_of(&account, &later.id, &endpoint.id).await["status"], "skipped");
    // An end in the future is now.
    let done = finished(
        &app,
        &account,
        &endpoint.id,
        &recover(&app, &account, &endpoint.id, json!({"since": later_at, "until": "2999-01-01T00:00:00Z"})).await,
    )
    .await;
    assert_eq!(done["queued"], 1, "the skipped one: {done:#}");
    let untouched = app.delivery_of(&account, &later.id, &endpoint.id).await;
    app.wait_for_delivery_status(&account, untouched["id"].as_str().unwrap(), "succeeded").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_recovery_goes_page_by_page_and_queues_every_delivery_once() {
    let app = spawn_app().await;
    recovers_each_once(&app, &app).await;
}

/// Asks `asked` to recover 1200 skipped deliveries made on `app`: its
/// recovery says it queued all of them, and each arrives once.
async fn recovers_each_once(app: &TestApp, asked: &TestApp) {
    let (account, endpoint, receiver, since) = skipped_deliveries(app, 1200).await;

    let recovery = recover(asked, &account, &endpoint, json!({"since": since})).await;
    let done = finished(app, &account, &endpoint, &recovery).await;

    assert_eq!(done["queued"], 1200, "{done:#}");
    let events: BTreeSet<String> = receiver.wait_for(1200).await.iter().map(|r| r.event_id()).collect();
    assert_eq!((events.len(), receiver.count()), (1200, 1200), "each once, whichever node queued its page");
}

/// An account whose endpoint, disabled by hand, skipped `n` events; then
/// enabled on a receiver that answers `200`. (account, endpoint, receiver,
/// a time before the first delivery).
async fn skipped_deliveries(app: &TestApp, n: i64) -> (String, String, Receiver, Value) {
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &receiver.url()).await.id;
    let since = json!(chrono::Utc::now().to_rfc3339());
    app.endpoint_action(&account, &endpoint, "disable", json!({})).await;
    let publisher = app.publisher();
    let events: Vec<_> = (0..n).map(|i| ("credits.low", credits_low(i))).collect();
    for chunk in events.chunks(1000) {
        publisher.publish_batch(&account, chunk).await;
    }
    app.endpoint_action(&account, &endpoint, "enable", json!({})).await;
    (account, endpoint, receiver, since)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_queue_each_delivery_of_a_recovery_once() {
    let Some((app, other)) = spawn_two_nodes().await else {
        return;
    };
    recovers_each_once(&app, &other).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_range_or_a_disabled_endpoint_is_refused_and_nothing_is_queued() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &Receiver::ok().await.url()).await.id;
    let path = format!("/v1/accounts/{account}/endpoints/{endpoint}/recover");
    let cases = [
        (json!({}), "/since"),
        (json!({"since": "yesterday"}), "/since"),
        (json!({"since": "2024-03-20T10:15:00"}), "/since"),
        (json!({"since": "2024-03-20T10:15:00Z", "until": "today"}), "/until"),
        (json!({"since": "2024-03-20T10:15:00Z", "until": 5}), "/until"),
        (json!({"since": "2024-03-20T10:15:00Z", "limit": 5}), "/limit"),
    ];
    for (body, pointer) in cases {
        let problem = expect_problem(app.post(&path, &body).await, 422).await;
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{body}: {problem}");
    }
    app.endpoint_action(&account, &endpoint, "disable", json!({})).await;
    let problem = expect_problem(app.post(&path, &json!({"since": "2024-03-20T10:15:00Z"})).await, 409).await;
    assert!(problem["detail"].as_str().unwrap().contains("enable it first"), "{problem}");
    let stranger = app.create_account().await;
    let elsewhere = format!("/v1/accounts/{stranger}/endpoints/{endpoint}/recover");
    expect_problem(app.post(&elsewhere, &json!({"since": "2024-03-20T10:15:00Z"})).await, 404).await;
}
