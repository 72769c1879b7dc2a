//! Conformance with the platform's published receiver sample
//! (`tests/conformance/seed_receiver.py`, run with python3 and Flask): holding
//! the endpoint's current secret it must accept every request Herald sends.
//! Also checks this suite's own signature code against the fixed vectors.

use std::{fs, path::Path};

use serde_json::{json, Value};

use crate::{
    checks::expect_json,
    fixtures::{free_port, project_completed, SEED_SECRET},
    helpers::spawn_app,
    sample::{sample_url, Sample, CONFORMANCE},
    signature::{standard_v1, x_webhook_v1},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_platforms_sample_receiver_accepts_every_catalog_event() {
    let app = spawn_app().await;
    let sample = Sample::start(SEED_SECRET, free_port()).await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint_with(&account, json!({"url": sample.url(), "secret": SEED_SECRET})).await;
    let catalog = app.event_types().await;
    let mut published = Vec::new();
    for entry in &catalog {
        let event_type = entry["type"].as_str().unwrap();
        published.push(app.publish(&account, event_type, entry["example"].clone()).await);
    }

    let lines = sample.wait_for_lines(catalog.len()).await;

    for line in &lines {
        assert_eq!(line["accepted"], true, "the sample refused: {line:#}");
    }
    let mut seen: Vec<String> = lines
        .iter()
        .map(|l| {
            serde_json::from_str::<Value>(l["body"].as_str().unwrap()).unwrap()["type"].as_str().unwrap().to_string()
        })
        .collect();
    let mut expected: Vec<String> = catalog.iter().map(|e| e["type"].as_str().unwrap().to_string()).collect();
    seen.sort();
    expected.sort();
    assert_eq!(seen, expected);
    for event in &published {
        let d = app.delivery_of(&account, &event.id, &endpoint.id).await;
        let d = app.wait_for_delivery_status(&account, d["id"].as_str().unwrap(), "succeeded").await;
        assert_eq!(d["attempt_count"], 1, "the sample answered 200 at once: {d:#}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn during_a_rotation_the_sample_holding_the_new_secret_accepts() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let port = free_port();
    let endpoint = app.create_endpoint_with(&account, json!({ "url": sample_url(port), "secret": SEED_SECRET })).await;
    let rotated = app
        .post(
            &format!("/v1/accounts/{account}/endpoints/{}/secret/rotate", endpoint.id),
            &json!({"grace_seconds": 3600}),
        )
        .await;
    let new_secret = expect_json(rotated, 200).await["secret"].as_str().unwrap().to_string();
    let sample = Sample::start(&new_secret, port).await;

    let published = app.publish(&account, "project.completed", project_completed(42)).await;

    let lines = sample.wait_for_lines(1).await;
    assert_eq!(lines[0]["accepted"], true, "the sample refused: {:#}", lines[0]);
    let d = app.delivery_of(&account, &published.id, &endpoint.id).await;
    app.wait_for_delivery_status(&account, d["id"].as_str().unwrap(), "succeeded").await;
}

#[test]
fn the_suites_signature_code_agrees_with_the_platform_vectors() {
    let text = fs::read_to_string(Path::new(CONFORMANCE).join("signature-vectors.json"))
        .expect("the vectors are kept beside the sample");
    let vectors: Value = serde_json::from_str(&text).expect("JSON vectors");

    for v in vectors["x_webhook_signature"].as_array().unwrap() {
        let t = v["t"].as_i64().unwrap();
        let body = v["body"].as_str().unwrap().as_bytes();
        let mut header = format!("t={t}");
        if let Some(previous) = v["previous_secret"].as_str() {
            header += &format!(",v1={}", x_webhook_v1(previous, t, body));
        }
        header += &format!(",v1={}", x_webhook_v1(v["secret"].as_str().unwrap(), t, body));
        let matches = header == v["header"].as_str().unwrap();
        assert_eq!(matches, v["valid"].as_bool().unwrap(), "{}", v["name"]);
    }
    for v in vectors["standard_webhooks"].as_array().unwrap() {
        let computed = standard_v1(
            v["secret"].as_str().unwrap(),
            v["id"].as_str().unwrap(),
            v["t"].as_i64().unwrap(),
            v["body"].as_str().unwrap().as_bytes(),
        );
        assert_eq!(computed, v["signature"].as_str().unwrap(), "{}", v["name"]);
    }
}
