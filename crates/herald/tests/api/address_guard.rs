//! The address guard of strict mode (the default, `HERALD_DEV` off): IP
//! literals outside the public internet are refused when an endpoint is
//! created or changed, in every spelling the URL standard normalises (decimal,
//! octal, hex); a host name is resolved at send time and never contacted if
//! any of its addresses is refused, the attempt failing as `blocked_address`
//! (and as `dns` when it has none);
//! `HERALD_ALLOW_TARGETS` lets trusted blocks through (still over `https://`);
//! a bad block stops Herald at start (`startup.rs`).

use reqwest::Method;
use serde_json::{json, Value};

use crate::{
    checks::{expect_field_error, expect_json},
    fixtures::credits_low,
    helpers::{spawn_app_with, Options},
    hostile_servers::{Behaviour, HostileServer},
    self_signed::SelfSignedReceiver,
};

/// URLs naming a refused address, each as written and as Herald reads it.
const REFUSED_LITERALS: &[(&str, &str)] = &[
    ("https://127.0.0.1/hook", "127.0.0.1"),
    ("https://2130706433/hook", "127.0.0.1"),
    ("https://0177.0.0.1/hook", "127.0.0.1"),
    ("https://0x7f.1/hook", "127.0.0.1"),
    ("https://127.1:8443/hook", "127.0.0.1"),
    ("https://0/hook", "0.0.0.0"),
    ("https://10.0.0.1/hook", "10.0.0.1"),
    ("https://100.64.0.1/hook", "100.64.0.1"),
    ("https://169.254.169.254/latest/meta-data/", "169.254.169.254"),
    ("https://0xa9fea9fe/latest/meta-data/", "169.254.169.254"),
    ("https://192.168.1.1/hook", "192.168.1.1"),
    ("https://198.51.100.7/hook", "198.51.100.7"),
    ("https://[::1]/hook", "::1"),
    ("https://[::ffff:127.0.0.1]/hook", "::ffff:127.0.0.1"),
    ("https://[64:ff9b::a9fe:a9fe]/hook", "64:ff9b::a9fe:a9fe"),
    ("https://[2002:a00:1::]/hook", "2002:a00:1::"),
    ("https://[2001::1]/hook", "2001::1"),
    ("https://[fd00::1]/hook", "fd00::1"),
    ("https://[fe80::1]/hook", "fe80::1"),
];

/// Asserts a `422` at `/url` whose message names `address`.
async fn expect_refused_address(response: reqwest::Response, written: &str, address: &str) {
    let problem = expect_field_error(response, 422, "/url").await;
    let message = problem["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains(address), "{written}: the message names {address}: {problem:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ip_literals_outside_the_public_internet_are_refused_at_creation_in_every_spelling() {
    let app = spawn_app_with(Options::default().production()).await;
    let account = app.create_account().await;
    let path = format!("/v1/accounts/{account}/endpoints");

    for (url, address) in REFUSED_LITERALS {
        let response = app.post(&path, &json!({ "url": url })).await;
        expect_refused_address(response, url, address).await;
    }
    let loopback = app.post(&path, &json!({"url": "https://127.0.0.1/hook"})).await;
    let problem = expect_field_error(loopback, 422, "/url").await;
    let message = problem["errors"][0]["message"].as_str().unwrap_or_default();
    for names in ["loopback 127.0.0.0/8", "--dev", "HERALD_DEV", "HERALD_ALLOW_TARGETS"] {
        assert!(message.contains(names), "the refusal says why and how to allow it ({names}): {message}");
    }
    let plain = app.post(&path, &json!({"url": "http://example.com/hook"})).await;
    let problem = expect_field_error(plain, 422, "/url").await;
    let message = problem["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("--dev") && message.contains("HERALD_DEV"), "{message}");
    let public = app.post(&path, &json!({"url": "https://93.184.216.34/hook"})).await;
    expect_json(public, 201).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_an_endpoint_to_a_refused_ip_literal_is_refused_and_changes_nothing() {
    let app = spawn_app_with(Options::default().production()).await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, "https://example.com/hook").await;
    let path = format!("/v1/accounts/{account}/endpoints/{}", endpoint.id);

    for (url, address) in [("https://0177.0.0.1/hook", "127.0.0.1"), ("https://[::1]/hook", "::1")] {
        let response = app.request(Method::PATCH, &path).json(&json!({ "url": url })).send().await.unwrap();
        expect_refused_address(response, url, address).await;
    }
    assert_eq!(app.get_endpoint(&account, &endpoint.id).await["url"], "https://example.com/hook");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_that_resolves_to_loopback_is_never_contacted_and_its_attempts_fail_as_blocked_address() {
    let app = spawn_app_with(Options::default().production()).await;
    let server = HostileServer::start(Behaviour::Silent).await;
    let account = app.create_account().await;
    let url = format!("https://localhost:{}/hook", server.addr.port());
    let endpoint = app.create_endpoint(&account, &url).await;

    let published = app.publish(&account, "credits.low", credits_low(1)).await;

    let d = app.delivery_of(&account, &published.id, &endpoint.id).await;
    let d = app.wait_for_delivery_status(&account, d["id"].as_str().unwrap(), "failed").await;
    let attempts = d["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 6, "a blocked attempt is a failed attempt like any other: {d:#}");
    for attempt in attempts {
        assert_eq!(attempt["error"], "blocked_address", "{attempt:#}");
        assert_eq!(attempt["response_status"], Value::Null);
        let detail = attempt["error_detail"].as_str().unwrap_or_default();
        assert!(detail.starts_with("localhost resolves to "), "the detail names the host: {attempt:#}");
        assert!(detail.contains("loopback"), "and why its address is refused: {attempt:#}");
        assert!(detail.contains("HERALD_ALLOW_TARGETS"), "and how to trust it: {attempt:#}");
    }
    let listed = app.list_deliveries(&account, &format!("endpoint_id={}", endpoint.id)).await;
    assert_eq!(listed[0]["last_error"], "blocked_address", "the delivery log shows the last error: {listed:#?}");
    assert_eq!(listed[0]["last_error_detail"], attempts[5]["error_detail"]);
    let e = app.wait_for_endpoint(&account, &endpoint.id, "disabled", |e| e["enabled"] == false).await;
    assert!(e["disabled_reason"].as_str().is_some_and(|r| !r.is_empty()), "{e:#}");
    assert_eq!(server.tally().accepted, 0, "a refused address is never contacted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_that_does_not_resolve_fails_as_dns_not_as_blocked_address() {
    // `.invalid` never resolves (RFC 6761); the long timeout leaves a slow
    // resolver time to say so.
    let app = spawn_app_with(Options::default().production().timeout("15s")).await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, "https://no-such-host.invalid/hook").await;

    let published = app.publish(&account, "credits.low", credits_low(1)).await;

    let d = app.delivery_of(&account, &published.id, &endpoint.id).await;
    let d = app.wait_for_first_attempt(&account, &d).await;
    assert_eq!(d["attempts"][0]["error"], "dns", "{d:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusted_blocks_let_attempts_through_the_guard_though_not_past_tls() {
    let app = spawn_app_with(Options::default().production().allow_targets("127.0.0.0/8, ::1/128")).await;
    let tls = SelfSignedReceiver::start().await;
    let port = tls.addr.port();
    let account = app.create_account().await;
    let path = format!("/v1/accounts/{account}/endpoints");

    let still_refused = app.post(&path, &json!({"url": "https://10.0.0.1/hook"})).await;
    expect_refused_address(still_refused, "https://10.0.0.1/hook", "10.0.0.1").await;
    let plain_http = app.post(&path, &json!({ "url": format!("http://127.0.0.1:{port}/hook") })).await;
    expect_field_error(plain_http, 422, "/url").await;
    let decimal = app.create_endpoint(&account, &format!("https://2130706433:{port}/hook")).await;
    assert_eq!(decimal.body["url"], format!("https://127.0.0.1:{port}/hook"), "stored as normalised");
    app.create_endpoint(&account, &format!("https://localhost:{port}/hook")).await;

    let published = app.publish(&account, "credits.low", credits_low(1)).await;

    let deliveries = app.list_deliveries(&account, &format!("event_id={}", published.id)).await;
    assert_eq!(deliveries.len(), 2);
    for d in deliveries {
        let d = app.wait_for_first_attempt(&account, &d).await;
        assert_eq!(d["attempts"][0]["error"], "tls", "past the guard, stopped by the certificate: {d:#}");
    }
    assert!(tls.handshakes().started >= 2, "both endpoints were contacted: {:?}", tls.handshakes());
}
