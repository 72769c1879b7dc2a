//! What counts as success and failure of one attempt (contract §3), and what
//! the attempt log keeps of it, with well-behaved receivers; misbehaving ones
//! (never answering, trickling, flooding, redirecting inward, resetting,
//! self-signed, not speaking HTTP) are in `hostile`.

use serde_json::Value;

use crate::{
    fixtures::{credits_low, free_port},
    helpers::{spawn_app, TestApp},
    receiver::{Receiver, Reply, Script},
};

/// Publishes one event to a new endpoint at `url` and waits for its first
/// attempt to be logged (and, if `settles`, for the delivery to leave
/// `pending`); returns the delivery.
async fn first_attempt_at(app: &TestApp, url: &str, settles: bool) -> Value {
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, url).await;
    let published = app.publish(&account, "credits.low", credits_low(1)).await;
    let d = app.delivery_of(&account, &published.id, &endpoint.id).await;
    let id = d["id"].as_str().unwrap();
    app.wait_for_delivery(&account, id, "a first attempt", |d| {
        let attempted = d["attempts"].as_array().is_some_and(|a| !a.is_empty());
        attempted && (!settles || d["status"] != "pending")
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_2xx_answer_is_a_success() {
    let app = spawn_app().await;
    let receiver = Receiver::start(Script::Always(Reply::status(204))).await;

    let d = first_attempt_at(&app, &receiver.url(), true).await;

    assert_eq!(d["attempts"][0]["response_status"], 204);
    assert_eq!(d["attempts"][0]["error"], Value::Null);
    assert_eq!(d["attempts"][0]["error_detail"], Value::Null);
    assert_eq!(d["last_error"], Value::Null);
    assert_eq!(d["last_response_status"], 204);
    assert_eq!(d["status"], "succeeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_logged_as_a_connect_error() {
    let app = spawn_app().await;
    let url = format!("http://127.0.0.1:{}/hook", free_port());

    let d = first_attempt_at(&app, &url, false).await;

    assert_eq!(d["attempts"][0]["error"], "connect");
    assert_eq!(d["attempts"][0]["response_status"], Value::Null);
    assert_eq!(d["last_response_status"], Value::Null);
    let detail = d["attempts"][0]["error_detail"].as_str().unwrap_or_default();
    assert!(detail.contains("Connection refused"), "the attempt says what the connection came to: {d:#}");
    assert!(!detail.contains(&url), "and does not repeat the URL: {detail}");
    let port = url.trim_start_matches("http://127.0.0.1:").trim_end_matches("/hook");
    assert!(detail.starts_with("Connection refused"), "the cause comes first: {detail}");
    assert_eq!(detail, format!("Connection refused (os error 111), connecting to 127.0.0.1:{port}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_delivery_log_shows_the_last_attempts_error_and_its_detail() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &format!("http://127.0.0.1:{}/hook", free_port())).await;
    let published = app.publish(&account, "credits.low", credits_low(1)).await;
    let d = app.delivery_of(&account, &published.id, &endpoint.id).await;

    let d = app.wait_for_first_attempt(&account, &d).await;

    assert_eq!(d["last_error"], "connect", "one delivery read shows it: {d:#}");
    let listed = app.list_deliveries(&account, "").await;
    assert_eq!(listed[0]["id"], d["id"]);
    assert_eq!(listed[0]["last_error"], "connect");
    assert!(listed[0]["last_error_detail"].as_str().is_some_and(|s| s.contains("Connection refused")), "{listed:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_response_body_is_kept_in_the_attempt_log() {
    let app = spawn_app().await;
    let receiver = Receiver::start(Script::Always(Reply::status(500).with_body("database on fire"))).await;

    let d = first_attempt_at(&app, &receiver.url(), false).await;

    let attempt = &d["attempts"][0];
    assert_eq!(attempt["response_status"], 500);
    assert_eq!(attempt["error"], "status");
    assert_eq!(attempt["response_body"], "database on fire");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_response_body_is_kept_only_up_to_64_kib() {
    let app = spawn_app().await;
    let long = "x".repeat(100 * 1024);
    let receiver = Receiver::start(Script::Always(Reply::status(200).with_body(long.clone()))).await;

    let d = first_attempt_at(&app, &receiver.url(), true).await;

    let kept = d["attempts"][0]["response_body"].as_str().expect("a response body");
    assert!(!kept.is_empty());
    assert!(kept.len() <= 64 * 1024, "kept {} bytes", kept.len());
    assert!(long.starts_with(kept));
    assert_eq!(d["status"], "succeeded", "a long body does not fail the attempt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_error_status_fails_the_attempt_like_any_other() {
    let app = spawn_app().await;
    let receiver = Receiver::start(Script::Always(Reply::status(410))).await;

    let d = first_attempt_at(&app, &receiver.url(), false).await;

    assert_eq!(d["attempts"][0]["response_status"], 410);
    assert_eq!(d["attempts"][0]["error"], "status");
}
