//! Answers that steer: `429` and `503` with `Retry-After` put the next
//! attempt off (never sooner than the schedule, at most its longest delay,
//! and the attempt still counts), and `410 Gone` disables the endpoint at
//! once, keeping what it had pending as missed for a re-enable.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::{
    fixtures::credits_low,
    helpers::{spawn_app_with, Options, TestApp},
    receiver::{Receiver, Reply, Script},
};

/// Milliseconds since the epoch of an RFC 3339 time the API showed.
fn millis(rfc3339: &Value) -> i64 {
    let text = rfc3339.as_str().expect("a time");
    chrono::DateTime::parse_from_rfc3339(text).expect("RFC 3339").timestamp_millis()
}

/// When an attempt of the log ended, by Herald's clock.
fn ended(attempt: &Value) -> i64 {
    millis(&attempt["started_at"]) + attempt["duration_ms"].as_i64().expect("a duration")
}

/// Publishes one event to a new endpoint at `receiver`; (account, endpoint, delivery).
async fn one_delivery(app: &TestApp, receiver: &Receiver) -> (String, String, String) {
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &receiver.url()).await;
    let published = app.publish(&account, "credits.low", credits_low(1)).await;
    let delivery = app.delivery_of(&account, &published.id, &endpoint.id).await;
    (account, endpoint.id, delivery["id"].as_str().expect("an id").to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_in_seconds_puts_each_attempt_off_and_every_attempt_still_counts() {
    // The schedule would retry after 10 ms, then 1.5 s (which caps what a
    // receiver may ask for); the receiver asks for a second each time.
    let app = spawn_app_with(Options::default().schedule("0s,10ms,1500ms")).await;
    let receiver = Receiver::start(Script::Always(Reply::status(429).with_header("Retry-After", "1"))).await;
    let (account, endpoint, delivery) = one_delivery(&app, &receiver).await;

    let failed = app.wait_for_delivery_status(&account, &delivery, "failed").await;

    let attempts = failed["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 3, "three attempts, the schedule's all: {failed:#}");
    for k in 1..3 {
        let waited = millis(&attempts[k]["started_at"]) - ended(&attempts[k - 1]);
        assert!(waited >= 1000, "attempt {} came {waited} ms after attempt {k} ended; Retry-After asked 1 s", k + 1);
        let detail = attempts[k - 1]["error_detail"].as_str().unwrap_or_default();
        assert!(detail.contains("Retry-After"), "the log says why attempt {k} waited: {detail:?}");
    }
    let endpoint = app.get_endpoint(&account, &endpoint).await;
    assert_eq!(endpoint["enabled"], false, "the schedule ran out: {endpoint:#}");
    assert_eq!(endpoint["disabled_cause"], "exhausted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_as_an_http_date_is_honoured() {
    let app = spawn_app_with(Options::default().schedule("0s,10ms,10s")).await;
    // Whole seconds: at least two seconds from now.
    let not_before = SystemTime::now() + Duration::from_secs(3);
    let date = httpdate::fmt_http_date(not_before);
    let at = httpdate::parse_http_date(&date).expect("an HTTP date");
    let not_before_ms = i64::try_from(at.duration_since(UNIX_EPOCH).expect("after 1970").as_millis()).expect("ms");
    let receiver = Receiver::start(Script::Sequence(
        vec![Reply::status(503).with_header("Retry-After", &date)],
        Reply::status(200),
    ))
    .await;
    let (account, _, delivery) = one_delivery(&app, &receiver).await;

    let done = app.wait_for_delivery_status(&account, &delivery, "succeeded").await;

    let attempts = done["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 2, "{done:#}");
    let second = millis(&attempts[1]["started_at"]);
    assert!(
        second >= not_before_ms,
        "attempt 2 started {} ms before the date the receiver gave",
        not_before_ms - second
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_capped_at_the_schedules_longest_delay_and_never_brings_an_attempt_forward() {
    // The receiver asks for a day, then for nothing at all; the schedule's
    // longest delay is 700 ms.
    let app = spawn_app_with(Options::default().schedule("0s,10ms,700ms")).await;
    let receiver = Receiver::start(Script::Sequence(
        vec![
            Reply::status(429).with_header("Retry-After", "86400"),
            Reply::status(503).with_header("Retry-After", "0"),
        ],
        Reply::status(200),
    ))
    .await;
    let (account, _, delivery) = one_delivery(&app, &receiver).await;

    let done = app.wait_for_delivery_status(&account, &delivery, "succeeded").await;

    let attempts = done["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 3, "{done:#}");
    let first_wait = millis(&attempts[1]["started_at"]) - ended(&attempts[0]);
    assert!(first_wait >= 700, "a day was asked, capped at 700 ms; attempt 2 came after {first_wait} ms");
    let detail = attempts[0]["error_detail"].as_str().unwrap_or_default();
    assert!(detail.contains("capped"), "the log says the wait was capped: {detail:?}");
    let second_wait = millis(&attempts[2]["started_at"]) - ended(&attempts[1]);
    assert!(
        second_wait >= 700,
        "Retry-After: 0 must not bring attempt 3 before the schedule's 700 ms: {second_wait} ms"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_disables_the_endpoint_at_once_and_a_re_enable_redelivers_what_it_kept_as_missed() {
    // The first event fails and waits an hour for its retry; the second is
    // answered 410 Gone; the third comes while the endpoint is disabled.
    let app = spawn_app_with(Options::default().schedule("0s,1h,1h")).await;
    let receiver = Receiver::sequence(&[500, 410], 200).await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &receiver.url()).await;
    let waiting = app.publish(&account, "credits.low", credits_low(1)).await;
    let waiting = app.delivery_of(&account, &waiting.id, &endpoint.id).await;
    let waiting = waiting["id"].as_str().expect("an id");
    app.wait_for_delivery(&account, waiting, "a failed first attempt", |d| d["attempt_count"] == 1).await;

    let gone = app.publish(&account, "credits.low", credits_low(2)).await;
    let disabled = app.wait_for_endpoint(&account, &endpoint.id, "disabled", |e| e["enabled"] == false).await;
    let skipped = app.publish(&account, "credits.low", credits_low(3)).await;

    assert_eq!(disabled["disabled_cause"], "gone", "{disabled:#}");
    let reason = disabled["disabled_reason"].as_str().expect("a reason");
    assert!(reason.contains("410 Gone"), "{reason}");
    let gone_delivery = app.delivery_of(&account, &gone.id, &endpoint.id).await;
    let gone_delivery = app.get_delivery(&account, gone_delivery["id"].as_str().expect("an id")).await;
    assert_eq!(gone_delivery["status"], "failed", "one 410 ends it, with attempts left: {gone_delivery:#}");
    assert_eq!(gone_delivery["attempt_count"], 1);
    let attempt = &gone_delivery["attempts"][0];
    assert_eq!(attempt["response_status"], 410);
    assert!(attempt["error_detail"].as_str().unwrap_or_default().contains("Gone"), "the log says why: {attempt:#}");
    let stopped = app.get_delivery(&account, waiting).await;
    assert_eq!(stopped["status"], "failed", "the pending delivery stopped with the endpoint: {stopped:#}");
    let skipped = app.delivery_of(&account, &skipped.id, &endpoint.id).await;
    assert_eq!(skipped["status"], "skipped");

    app.endpoint_action(&account, &endpoint.id, "enable", json!({"redeliver_missed": true})).await;

    let delivered = app.wait_for_deliveries(&account, &endpoint.id, "succeeded", 3).await;
    assert_eq!(delivered.len(), 3);
    let again = app.get_endpoint(&account, &endpoint.id).await;
    assert_eq!(again["enabled"], true);
    assert_eq!(again["disabled_cause"], Value::Null, "{again:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_retry_answered_gone_disables_the_endpoint_too() {
    let app = spawn_app_with(Options::default().schedule("0s")).await;
    let receiver = Receiver::sequence(&[500, 410], 200).await;
    let (account, endpoint, delivery) = one_delivery(&app, &receiver).await;
    app.wait_for_delivery_status(&account, &delivery, "failed").await;
    app.wait_for_endpoint(&account, &endpoint, "disabled", |e| e["enabled"] == false).await;
    app.endpoint_action(&account, &endpoint, "enable", json!({})).await;

    let retried = app.post(&format!("/v1/accounts/{account}/deliveries/{delivery}/retry"), &json!({})).await;
    assert_eq!(retried.status(), 202);

    let disabled =
        app.wait_for_endpoint(&account, &endpoint, "disabled by the 410", |e| e["disabled_cause"] == "gone").await;
    assert_eq!(disabled["enabled"], false);
}
