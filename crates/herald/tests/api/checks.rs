//! Assertions shared by the tests: status and JSON, problem+json with its
//! pointer or parameter, id and timestamp shapes, the exact envelope bytes,
//! the polling deadline used while waiting for state, and the history
//! check of the fault tests (every accepted event delivered, nothing
//! refused stored).

use std::{collections::BTreeSet, fmt::Debug, time::Instant};

use reqwest::Response;
use serde_json::Value;

use crate::{
    helpers::{TestApp, DEADLINE, POLL_EVERY},
    receiver::Receiver,
};

/// A deadline for polling state, with what is awaited for the failure message.
pub struct Poll {
    until: Instant,
    what: String,
}

impl Poll {
    /// Starts the clock.
    pub fn new(what: impl Into<String>) -> Self {
        Self { until: Instant::now() + DEADLINE, what: what.into() }
    }

    /// Waits a short interval, or fails the test once the deadline passed.
    pub async fn tick(&self, last_seen: &dyn Debug) {
        assert!(
            Instant::now() < self.until,
            "timed out after {DEADLINE:?} waiting for {}; last seen: {last_seen:#?}",
            self.what
        );
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// Asserts the status and returns the JSON body.
pub async fn expect_json(response: Response, status: u16) -> Value {
    let got = response.status().as_u16();
    let url = response.url().clone();
    let text = response.text().await.expect("a response body");
    assert_eq!(got, status, "unexpected status from {url}; body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON from {url} ({e}): {text}"))
}

/// Asserts an `application/problem+json` answer with the given status; returns it.
pub async fn expect_problem(response: Response, status: u16) -> Value {
    let content_type =
        response.headers().get("content-type").map(|v| v.to_str().unwrap_or("").to_string()).unwrap_or_default();
    let problem = expect_json(response, status).await;
    assert!(
        content_type.starts_with("application/problem+json"),
        "problem content type, got `{content_type}`: {problem}"
    );
    assert!(problem["type"].is_string(), "problem has a type: {problem}");
    assert!(problem["title"].is_string(), "problem has a title: {problem}");
    assert_eq!(problem["status"], status, "problem repeats its status: {problem}");
    assert!(problem["detail"].is_string(), "problem has a detail: {problem}");
    assert!(problem["errors"].is_array(), "problem has errors: {problem}");
    problem
}

/// Asserts a problem whose `errors` name the JSON pointer into the request body.
pub async fn expect_field_error(response: Response, status: u16, pointer: &str) -> Value {
    let problem = expect_problem(response, status).await;
    let errors = problem["errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(|e| e["pointer"] == pointer && e["message"].as_str().is_some_and(|m| !m.is_empty())),
        "an error at pointer `{pointer}` with a message: {problem:#}"
    );
    problem
}

/// Asserts a `400` problem naming the query parameter.
pub async fn expect_parameter_error(response: Response, parameter: &str) -> Value {
    let problem = expect_problem(response, 400).await;
    let errors = problem["errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(|e| e["parameter"] == parameter && e["message"].as_str().is_some_and(|m| !m.is_empty())),
        "an error naming parameter `{parameter}`: {problem:#}"
    );
    problem
}

/// The exact bytes the contract says a receiver gets for this envelope.
pub fn envelope_bytes(event: &Value) -> Vec<u8> {
    let field = |name: &str| serde_json::to_string(&event[name]).expect("serialisable");
    format!(
        r#"{{"id":{},"type":{},"created_at":{},"data":{}}}"#,
        field("id"),
        field("type"),
        field("created_at"),
        field("data")
    )
    .into_bytes()
}

/// Asserts an id is `<prefix>` followed by a ULID.
pub fn assert_ulid_id(id: &Value, prefix: &str) {
    let id = id.as_str().unwrap_or_else(|| panic!("an id string, got {id}"));
    let rest = id.strip_prefix(prefix).unwrap_or_else(|| panic!("`{id}` starts with `{prefix}`"));
    assert_eq!(rest.len(), 26, "`{id}`: a ULID has 26 characters");
    ulid::Ulid::from_string(rest).unwrap_or_else(|e| panic!("`{id}` holds a ULID: {e}"));
}

/// Asserts an RFC 3339 UTC timestamp with whole seconds: `YYYY-MM-DDTHH:MM:SSZ`.
pub fn assert_whole_second_utc(value: &Value) {
    let s = value.as_str().unwrap_or_else(|| panic!("a timestamp, got {value}"));
    let shape: String = s.chars().map(|c| if c.is_ascii_digit() { '9' } else { c }).collect();
    assert_eq!(shape, "9999-99-99T99:99:99Z", "`{s}` is RFC 3339, UTC, whole seconds");
}

/// Every accepted event reached the receiver from its `from`th request on
/// (those it accepted), and nothing else did; the account's events are
/// exactly the accepted ones. How many arrived more than once.
pub async fn each_accepted_event_delivered(
    app: &TestApp,
    account: &str,
    (receiver, from): (&Receiver, usize),
    ids: &[String],
) -> usize {
    let poll = Poll::new("every accepted event at the receiver");
    let expected: BTreeSet<String> = ids.iter().cloned().collect();
    let requests = loop {
        let requests = receiver.requests().split_off(from);
        let arrived: BTreeSet<String> = requests.iter().map(|r| r.event_id()).collect();
        if arrived.is_superset(&expected) {
            break requests;
        }
        poll.tick(&arrived).await;
    };
    let arrived: BTreeSet<String> = requests.iter().map(|r| r.event_id()).collect();
    assert_eq!(arrived, expected, "every accepted event arrives, and nothing refused does");
    let listed = app.get_json(&format!("/v1/accounts/{account}/events?limit=500")).await;
    let stored: BTreeSet<String> =
        listed["data"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(stored, expected, "nothing answered 503 was stored");
    requests.len() - arrived.len()
}

/// The value of `series` (a metric's name with its labels, as
/// `herald_attempts_total{outcome="succeeded"}`) in the Prometheus text
/// `metrics`; 0 before its first increment.
pub fn metric_in(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .filter_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .find_map(|value| value.trim().parse().ok())
        .unwrap_or(0.0)
}
