//! The retry schedule (shrunk to milliseconds), disabling an exhausted
//! endpoint, skipped deliveries, redelivery on re-enable, manual retries, and
//! one endpoint's trouble never delaying another's deliveries.

use std::{collections::HashSet, time::Duration};

use serde_json::{json, Value};

use crate::{
    checks::{expect_json, expect_problem},
    fixtures::credits_low,
    helpers::{spawn_app, spawn_app_with, Options, TestApp},
    receiver::{Receiver, Reply, Script},
};

/// An account with one endpoint whose single delivery of one event has been
/// exhausted; returns (account, endpoint id, delivery id).
async fn exhaust_one_delivery(app: &TestApp, receiver: &Receiver) -> (String, String, String) {
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &receiver.url()).await;
    let published = app.publish(&account, "credits.low", credits_low(1)).await;
    let delivery = app.delivery_of(&account, &published.id, &endpoint.id).await;
    let id = delivery["id"].as_str().unwrap().to_string();
    app.wait_for_delivery_status(&account, &id, "failed").await;
    app.wait_for_endpoint(&account, &endpoint.id, "disabled", |e| e["enabled"] == false).await;
    (account, endpoint.id, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_delivery_is_attempted_six_times_in_order_with_the_scheduled_gaps() {
    let delays = [0, 40, 80, 40, 40, 40];
    let app = spawn_app_with(Options::default().schedule("0s,40ms,80ms,40ms,40ms,40ms")).await;
    let receiver = Receiver::failing().await;
    let account = app.create_account().await;
    app.create_endpoint(&account, &receiver.url()).await;

    let published = app.publish(&account, "credits.low", credits_low(1)).await;

    let arrived = receiver.wait_for(6).await;
    let attempts: Vec<u32> = arrived.iter().map(|r| r.attempt()).collect();
    assert_eq!(attempts, [1, 2, 3, 4, 5, 6]);
    assert!(arrived.iter().all(|r| r.event_id() == published.id));
    for k in 1..6 {
        let gap = arrived[k].at - arrived[k - 1].at;
        let least = Duration::from_millis(delays[k] - 2);
        assert!(
            gap >= least,
            "attempt {} came {gap:?} after attempt {}; the schedule says at least {least:?}",
            k + 1,
            k
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_endpoint_is_disabled_after_its_sixth_attempt() {
    let app = spawn_app().await;
    let receiver = Receiver::failing().await;

    let (account, endpoint, delivery) = exhaust_one_delivery(&app, &receiver).await;

    let d = app.get_delivery(&account, &delivery).await;
    assert_eq!(d["status"], "failed");
    assert_eq!(d["attempt_count"], 6);
    assert_eq!(d["last_response_status"], 500);
    assert_eq!(d["next_attempt_at"], Value::Null);
    let log: Vec<(Value, Value, Value)> = d["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| (a["n"].clone(), a["response_status"].clone(), a["error"].clone()))
        .collect();
    let expected: Vec<(Value, Value, Value)> = (1..=6).map(|n| (json!(n), json!(500), json!("status"))).collect();
    assert_eq!(log, expected);
    let e = app.get_endpoint(&account, &endpoint).await;
    assert_eq!(e["enabled"], false);
    assert!(e["disabled_at"].is_string(), "{e}");
    let reason = e["disabled_reason"].as_str().expect("a disabled reason");
    assert!(reason.contains(&delivery), "`{reason}` names {delivery}");
    assert_eq!(receiver.count(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_published_while_an_endpoint_is_disabled_are_recorded_as_skipped() {
    let app = spawn_app().await;
    let receiver = Receiver::failing().await;
    let (account, endpoint, _) = exhaust_one_delivery(&app, &receiver).await;

    let missed = app.publish(&account, "credits.low", credits_low(2)).await;

    assert_eq!(missed.deliveries, 1);
    let d = app.delivery_of(&account, &missed.id, &endpoint).await;
    assert_eq!(d["status"], "skipped");
    assert_eq!(d["attempt_count"], 0);
    assert_eq!(receiver.count(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_enabling_with_redelivery_sends_what_the_endpoint_missed() {
    let app = spawn_app().await;
    let receiver = Receiver::failing().await;
    let (account, endpoint, exhausted) = exhaust_one_delivery(&app, &receiver).await;
    let exhausted_event = app.get_delivery(&account, &exhausted).await["event_id"].clone();
    let first = app.publish(&account, "credits.low", credits_low(2)).await;
    let second = app.publish(&account, "credits.low", credits_low(3)).await;
    receiver.answer_always(200);

    let enabled = app.endpoint_action(&account, &endpoint, "enable", json!({"redeliver_missed": true})).await;

    assert_eq!(enabled["enabled"], true);
    assert_eq!(enabled["disabled_reason"], Value::Null);
    let arrived = receiver.wait_for(9).await;
    let mut redelivered: Vec<(String, u32)> = arrived[6..].iter().map(|r| (r.event_id(), r.attempt())).collect();
    redelivered.sort();
    let mut expected =
        vec![(exhausted_event.as_str().unwrap().to_string(), 7), (first.id.clone(), 1), (second.id.clone(), 1)];
    expected.sort();
    assert_eq!(redelivered, expected);
    let d = app.wait_for_delivery_status(&account, &exhausted, "succeeded").await;
    assert_eq!(d["attempt_count"], 7);
    assert_eq!(d["attempts"][6]["n"], 7);
    for missed in [&first, &second] {
        let d = app.delivery_of(&account, &missed.id, &endpoint).await;
        app.wait_for_delivery_status(&account, d["id"].as_str().unwrap(), "succeeded").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_an_endpoint_stops_its_pending_deliveries_and_redelivery_resumes_them() {
    let app = spawn_app_with(Options::default().schedule("0s,1h,1h,1h,1h,1h")).await;
    let receiver = Receiver::failing().await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &receiver.url()).await;
    let published = app.publish(&account, "credits.low", credits_low(1)).await;
    let id = app.delivery_of(&account, &published.id, &endpoint.id).await["id"].as_str().unwrap().to_string();
    let waiting = app.wait_for_delivery(&account, &id, "one failed attempt", |d| d["attempt_count"] == 1).await;
    assert_eq!(waiting["status"], "pending");
    assert!(waiting["next_attempt_at"].is_string(), "{waiting:#}");

    app.endpoint_action(&account, &endpoint.id, "disable", json!({})).await;

    let stopped = app.wait_for_delivery_status(&account, &id, "failed").await;
    let log = stopped["attempts"].as_array().expect("attempts").clone();
    assert_eq!(log[0]["error"], "status");
    for entry in &log[1..] {
        assert_eq!(entry["error"], "endpoint_disabled", "{stopped:#}");
        assert_eq!(entry["response_status"], Value::Null, "{stopped:#}");
    }
    receiver.answer_always(200);
    app.endpoint_action(&account, &endpoint.id, "enable", json!({"redeliver_missed": true})).await;
    let arrived = receiver.wait_for(2).await;
    assert_eq!(arrived[1].event_id(), published.id);
    assert_eq!(arrived[1].attempt() as usize, log.len() + 1, "the count continues");
    app.wait_for_delivery_status(&account, &id, "succeeded").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_retry_adds_one_attempt_now_whatever_the_status() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &receiver.url()).await;
    let published = app.publish(&account, "credits.low", credits_low(1)).await;
    let id = app.delivery_of(&account, &published.id, &endpoint.id).await["id"].as_str().unwrap().to_string();
    app.wait_for_delivery_status(&account, &id, "succeeded").await;

    let response = app.post(&format!("/v1/accounts/{account}/deliveries/{id}/retry"), &json!({})).await;

    let accepted = expect_json(response, 202).await;
    assert_eq!(accepted["id"], id.as_str());
    let arrived = receiver.wait_for(2).await;
    assert_eq!(arrived[1].attempt(), 2);
    assert_eq!(arrived[1].body, arrived[0].body);
    let d = app
        .wait_for_delivery(&account, &id, "two attempts and success", |d| {
            d["attempts"].as_array().is_some_and(|a| a.len() == 2) && d["status"] == "succeeded"
        })
        .await;
    assert_eq!(d["attempts"][1]["n"], 2);
    assert_eq!(d["attempts"][1]["response_status"], 200);
}

/// Publishes to an endpoint that answers `status` after 800 ms, asks for a
/// manual retry while attempt 1 waits for that answer, and checks that the
/// retry is sent as attempt 2; the app, the receiver (still answering),
/// the account and the delivery id.
async fn retry_asked_for_during_attempt_one(status: u16) -> (TestApp, Receiver, String, String) {
    let app = spawn_app_with(Options::default().schedule("0s,1h")).await;
    let receiver = Receiver::start(Script::Always(Reply::status(status).after(Duration::from_millis(800)))).await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &receiver.url()).await;
    let published = app.publish(&account, "credits.low", credits_low(1)).await;
    let id = app.delivery_of(&account, &published.id, &endpoint.id).await["id"].as_str().unwrap().to_string();
    receiver.wait_for(1).await; // attempt 1 has arrived and is waiting for its answer

    let response = app.post(&format!("/v1/accounts/{account}/deliveries/{id}/retry"), &json!({})).await;

    expect_json(response, 202).await;
    let arrived = receiver.wait_for(2).await;
    assert_eq!(arrived[1].attempt(), 2, "the retry is sent although attempt 1 was in flight when it was asked for");
    (app, receiver, account, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_retry_asked_for_while_an_attempt_is_in_flight_still_happens() {
    let (app, _receiver, account, id) = retry_asked_for_during_attempt_one(500).await;

    let d = app
        .wait_for_delivery(&account, &id, "both attempts logged", |d| {
            d["attempts"].as_array().is_some_and(|a| a.len() == 2) && d["next_attempt_at"].is_string()
        })
        .await;
    assert_eq!(d["status"], "pending", "the failed retry hands the delivery back to its schedule");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_retry_asked_for_while_a_successful_attempt_is_in_flight_still_happens() {
    let (app, _receiver, account, id) = retry_asked_for_during_attempt_one(200).await;

    let d = app
        .wait_for_delivery(&account, &id, "both attempts logged", |d| {
            d["attempts"].as_array().is_some_and(|a| a.len() == 2) && d["status"] == "succeeded"
        })
        .await;
    assert_eq!(d["attempt_count"], 2, "the success of attempt 1 did not cancel the retry");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_retry_of_an_exhausted_delivery_continues_its_attempt_count() {
    let app = spawn_app().await;
    let receiver = Receiver::failing().await;
    let (account, endpoint, id) = exhaust_one_delivery(&app, &receiver).await;
    app.endpoint_action(&account, &endpoint, "enable", json!({"redeliver_missed": false})).await;
    receiver.answer_always(200);

    let response = app.post(&format!("/v1/accounts/{account}/deliveries/{id}/retry"), &json!({})).await;

    expect_json(response, 202).await;
    let arrived = receiver.wait_for(7).await;
    assert_eq!(arrived[6].attempt(), 7);
    let d = app.wait_for_delivery_status(&account, &id, "succeeded").await;
    assert_eq!(d["attempt_count"], 7);
    assert_eq!(receiver.count(), 7, "no redelivery was asked for");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_retry_of_a_delivery_whose_endpoint_is_disabled_is_refused() {
    let app = spawn_app().await;
    let receiver = Receiver::failing().await;
    let (account, _, id) = exhaust_one_delivery(&app, &receiver).await;

    let response = app.post(&format!("/v1/accounts/{account}/deliveries/{id}/retry"), &json!({})).await;

    expect_problem(response, 409).await;
    assert_eq!(app.get_delivery(&account, &id).await["attempt_count"], 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_never_answers_does_not_delay_a_healthy_one() {
    let app = spawn_app().await;
    let slow = Receiver::hanging().await;
    let healthy = Receiver::ok().await;
    let account = app.create_account().await;
    let slow_endpoint = app.create_endpoint(&account, &slow.url()).await;
    app.create_endpoint(&account, &healthy.url()).await;
    let items: Vec<Value> =
        (0..20).map(|balance| json!({"type": "credits.low", "data": credits_low(balance)})).collect();

    let response = app.post(&format!("/v1/accounts/{account}/events/batch"), &json!(items)).await;

    let events = expect_json(response, 202).await["events"].clone();
    let events = events.as_array().expect("events");
    healthy.wait_for(events.len()).await;

    let slow_log = app.list_deliveries(&account, &format!("endpoint_id={}", slow_endpoint.id)).await;
    assert_eq!(slow_log.len(), events.len());
    for d in &slow_log {
        let d = app.get_delivery(&account, d["id"].as_str().unwrap()).await;
        let timed_out = d["attempts"].as_array().expect("attempts").iter().any(|a| a["error"] == "timeout");
        assert!(!timed_out, "every healthy delivery arrived before the slow endpoint's first timeout: {d:#}");
    }
    // And the slow endpoint really was slow: its timeouts do get recorded.
    let first = slow_log[0]["id"].as_str().unwrap();
    app.wait_for_delivery(&account, first, "a timed-out attempt", |d| {
        d["attempts"].as_array().is_some_and(|a| a.iter().any(|a| a["error"] == "timeout"))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_that_succeeds_on_a_later_attempt_leaves_the_endpoint_enabled() {
    let app = spawn_app().await;
    let receiver = Receiver::sequence(&[500, 500, 500, 500, 500], 200).await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &receiver.url()).await;
    let published = app.publish(&account, "credits.low", credits_low(1)).await;
    let id = app.delivery_of(&account, &published.id, &endpoint.id).await["id"].as_str().unwrap().to_string();

    let d = app.wait_for_delivery_status(&account, &id, "succeeded").await;

    assert_eq!(d["attempt_count"], 6);
    assert_eq!(d["next_attempt_at"], Value::Null);
    let e = app.get_endpoint(&account, &endpoint.id).await;
    assert_eq!(e["enabled"], true);
    assert_eq!(e["disabled_reason"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outcomes_that_arrive_together_are_each_recorded_as_they_came() {
    // Hundreds of outcomes at once are recorded in groups (multi-row writes on
    // PostgreSQL): each delivery must still end where its own answer sent it.
    let app = spawn_app_with(Options::default().schedule("0s,1h,1h,1h,1h,1h")).await;
    let (ok, failing) = (Receiver::ok().await, Receiver::failing().await);
    let account = app.create_account().await;
    let good = app.create_endpoint(&account, &ok.url()).await;
    let bad = app.create_endpoint(&account, &failing.url()).await;
    let events: Vec<(&str, Value)> = (0..200).map(|i| ("credits.low", credits_low(i))).collect();
    app.publisher().publish_batch(&account, &events).await;
    ok.wait_for(200).await;
    let failed = failing.wait_for(200).await;
    let once: HashSet<String> = failed.iter().map(|r| r.event_id()).collect();
    assert_eq!(once.len(), 200, "each event reaches the failing endpoint once before its retry is due");

    let succeeded = app.wait_for_deliveries(&account, &good.id, "succeeded", 200).await;
    // Pending from the start: wait for each outcome to be recorded, not for the status.
    let attempted = |d: &Value| d["attempt_count"] == 1;
    let pending = app.wait_for_deliveries_where(&account, &bad.id, "pending", 200, attempted).await;
    for d in &succeeded {
        assert_eq!((d["attempt_count"].clone(), d["last_response_status"].clone()), (json!(1), json!(200)), "{d}");
        assert_eq!(d["next_attempt_at"], Value::Null, "{d}");
    }
    for d in &pending {
        assert_eq!((d["attempt_count"].clone(), d["last_response_status"].clone()), (json!(1), json!(500)), "{d}");
        assert!(d["next_attempt_at"].is_string(), "the next attempt is scheduled: {d}");
    }
    for d in succeeded.iter().take(20).chain(pending.iter().take(20)) {
        let full = app.get_delivery(&account, d["id"].as_str().unwrap()).await;
        let attempts = full["attempts"].as_array().expect("attempts");
        assert_eq!(attempts.len(), 1, "one attempt logged: {full}");
        assert_eq!(attempts[0]["response_status"], d["last_response_status"], "{full}");
    }
    assert_eq!(app.get_endpoint(&account, &bad.id).await["enabled"], true, "one failure disables nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_disabled_amid_many_outcomes_is_left_with_no_delivery_pending() {
    // Outcomes recorded together with the one that exhausts the endpoint must
    // not put a delivery back to pending on the now-disabled endpoint, where
    // no claim would ever find it again.
    let app = spawn_app_with(Options::default().schedule("0s,0s")).await;
    let failing = Receiver::failing().await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &failing.url()).await;
    let events: Vec<(&str, Value)> = (0..100).map(|i| ("credits.low", credits_low(i))).collect();
    app.publisher().publish_batch(&account, &events).await;

    app.wait_for_endpoint(&account, &endpoint.id, "disabled", |e| e["enabled"] == false).await;
    let failed = app.wait_for_deliveries(&account, &endpoint.id, "failed", 100).await;
    assert!(failed.iter().all(|d| d["next_attempt_at"].is_null()), "nothing scheduled: {failed:#?}");
}
