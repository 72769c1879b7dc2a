//! How many attempts one endpoint gets at once: a window that grows while
//! the receiver answers promptly with more waiting, up to
//! `HERALD_MAX_IN_FLIGHT_PER_ENDPOINT`, and halves on 429, 5xx, timeouts and
//! refused connections; measured at real receivers that count the requests
//! open when each one arrives.

use std::time::Duration;

use serde_json::Value;

use crate::{
    fixtures::credits_low,
    helpers::{spawn_app_with, Options},
    receiver::{Receiver, Reply, Script},
};

/// Publishes `n` events at once (one batch) to a new endpoint at `receiver`.
async fn publish_to(app: &crate::helpers::TestApp, receiver: &Receiver, n: i64) {
    let account = app.create_account().await;
    app.create_endpoint(&account, &receiver.url()).await;
    let events: Vec<(&str, Value)> = (0..n).map(|i| ("credits.low", credits_low(i))).collect();
    app.publisher().publish_batch(&account, &events).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_answers_promptly_is_given_more_attempts_at_once_up_to_the_ceiling() {
    let app = spawn_app_with(Options::default().max_in_flight_per_endpoint(12)).await;
    let receiver = Receiver::start(Script::Always(Reply::status(200).after(Duration::from_millis(40)))).await;

    publish_to(&app, &receiver, 300).await;

    let requests = receiver.wait_for(300).await;
    let most = requests.iter().map(|r| r.open).max().unwrap_or(0);
    assert_eq!(most, 12, "from 8 at first, the window grew to the ceiling of 12 and no further");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_answers_503_is_given_fewer_attempts_at_once_down_to_one() {
    let app = spawn_app_with(Options::default().schedule("0s,10s")).await;
    let receiver = Receiver::start(Script::Always(Reply::status(503).after(Duration::from_millis(20)))).await;

    publish_to(&app, &receiver, 60).await;

    let requests = receiver.wait_for(60).await;
    let first = requests.iter().take(8).map(|r| r.open).max().unwrap_or(0);
    assert!(first > 1, "it started with several at once: {first}");
    let late: Vec<usize> = requests[30..60].iter().map(|r| r.open).collect();
    assert!(late.iter().all(|open| *open == 1), "after the 503s, one at a time: {late:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_that_waited_longer_than_its_lease_margin_behind_a_slow_receiver_is_still_sent_at_its_turn() {
    // Leases outlive the 2 s timeout by 1 s; the receiver takes 300 ms and
    // gets one attempt at a time, so the twelfth delivery waits 3.3 s in the
    // queue, past its lease. The store is read again only after an hour:
    // a delivery whose lease lapsed would wait for that.
    let options = Options::default().max_in_flight_per_endpoint(1).lease_margin("1s").poll_interval("1h");
    let app = spawn_app_with(options).await;
    let receiver = Receiver::start(Script::Always(Reply::status(200).after(Duration::from_millis(300)))).await;

    publish_to(&app, &receiver, 12).await;

    let requests = receiver.wait_for(12).await;
    assert!(requests.iter().all(|r| r.open == 1), "one at a time, as the ceiling says");
    let mut ids: Vec<String> = requests.iter().map(|r| r.event_id()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 12, "each sent once, none given up for a lapsed lease");
}
