//! Operations: health, readiness, Prometheus metrics, the OpenAPI document,
//! the event catalog, and the admin token generated at first start.

use serde_json::{json, Value};

use crate::{
    checks::{expect_json, Poll},
    fixtures::credits_low,
    helpers::{spawn_app, spawn_app_with, Options},
    receiver::Receiver,
};

const CATALOG: [&str; 8] = [
    "credits.depleted",
    "credits.low",
    "project.completed",
    "project.created",
    "project.failed",
    "project.processing",
    "voice_clone.completed",
    "voice_clone.failed",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_readiness_answer_without_a_token() {
    let app = spawn_app().await;

    for path in ["/healthz", "/readyz"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_in_prometheus_text_format() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &receiver.url()).await;
    let published = app.publish(&account, "credits.low", credits_low(1)).await;
    let d = app.delivery_of(&account, &published.id, &endpoint.id).await;
    app.wait_for_delivery_status(&account, d["id"].as_str().unwrap(), "succeeded").await;
    app.endpoint_action(&account, &endpoint.id, "disable", json!({})).await;
    let names = [
        "herald_events_published_total",
        "herald_attempts_total",
        "herald_attempt_duration_seconds",
        "herald_deliveries_pending",
        "herald_endpoints_disabled",
    ];

    let poll = Poll::new("every metric to be exported");
    let text = loop {
        let response = app.client.get(app.url("/metrics")).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
        assert!(content_type.starts_with("text/plain"), "{content_type}");
        let text = response.text().await.unwrap();
        if names.iter().all(|n| text.contains(n)) {
            break text;
        }
        poll.tick(&text).await;
    };

    let published_total: f64 = text
        .lines()
        .filter(|l| l.starts_with("herald_events_published_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert!(published_total >= 1.0, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_the_api() {
    let app = spawn_app().await;

    let response = app.client.get(app.url("/openapi.json")).send().await.unwrap();

    let document = expect_json(response, 200).await;
    assert!(document["openapi"].is_string(), "{document}");
    let paths = document["paths"].as_object().expect("a paths object");
    assert!(paths.contains_key("/v1/accounts/{account}/events"), "{:?}", paths.keys());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_lists_the_eight_types_each_with_a_schema_and_a_valid_example() {
    let app = spawn_app().await;
    let account = app.create_account().await;

    let types = app.event_types().await;

    let mut names: Vec<&str> = types.iter().map(|t| t["type"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, CATALOG);
    for entry in &types {
        assert!(entry["description"].as_str().is_some_and(|d| !d.is_empty()), "{entry}");
        assert!(entry["schema"].is_object(), "{entry}");
        assert!(entry["example"].is_object(), "{entry}");
        let published = app.publish(&account, entry["type"].as_str().unwrap(), entry["example"].clone()).await;
        assert_eq!(published.event["data"], entry["example"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_admin_token_is_kept_private_and_survives_a_restart() {
    let mut app = spawn_app_with(Options::default().generated_token()).await;
    let token = app.admin_token.clone();

    assert!(!token.is_empty());
    assert_ne!(token, crate::helpers::ADMIN_TOKEN);
    let kept: Vec<_> = std::fs::read_dir(app.data_dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| std::fs::read_to_string(e.path()).is_ok_and(|content| content.trim() == token))
        .collect();
    assert_eq!(kept.len(), 1, "the token is written to the data directory");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = kept[0].metadata().unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only its owner may read the token file");
    }
    let listed = app.get_json("/v1/accounts").await;
    assert!(listed["data"].is_array());

    app.restart().await;

    assert_eq!(app.admin_token, token);
    let listed: Value = app.get_json("/v1/accounts").await;
    assert!(listed["data"].is_array());
}
