//! Endpoints: creation (secret, type filters, URL policy), reading, listing,
//! changing, deleting, disabling by hand and test sends.

use base64::{engine::general_purpose::STANDARD, Engine};
use reqwest::Method;
use serde_json::{json, Value};

use crate::{
    checks::{expect_field_error, expect_json, expect_problem},
    fixtures::{credits_low, project_completed, SEED_SECRET},
    helpers::{spawn_app, spawn_app_with, Options},
    receiver::Receiver,
    signature::assert_signed_by,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_endpoint_is_enabled_and_gets_a_generated_secret() {
    let app = spawn_app().await;
    let account = app.create_account().await;

    let endpoint =
        app.create_endpoint_with(&account, json!({"url": "http://127.0.0.1:9/hook", "description": "orders"})).await;

    let body = &endpoint.body;
    assert!(endpoint.id.starts_with("ep_"), "{body}");
    assert_eq!(body["url"], "http://127.0.0.1:9/hook");
    assert_eq!(body["description"], "orders");
    assert_eq!(body["event_types"], Value::Null);
    assert_eq!(body["enabled"], true);
    assert_eq!(body["disabled_reason"], Value::Null);
    assert_eq!(body["disabled_at"], Value::Null);
    assert!(body["created_at"].is_string() && body["updated_at"].is_string());
    let raw = endpoint.secret.strip_prefix("whsec_").expect("whsec_ prefix");
    assert_eq!(STANDARD.decode(raw).expect("standard base64").len(), 32);
    let secret = app.get_json(&format!("/v1/accounts/{account}/endpoints/{}/secret", endpoint.id)).await;
    assert_eq!(secret, json!({"secret": endpoint.secret}));
    let read = app.get_endpoint(&account, &endpoint.id).await;
    assert!(read.get("secret").is_none(), "reading an endpoint does not show the secret");
    assert_eq!(read["id"], endpoint.id.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_of_the_published_form_may_be_chosen_by_the_caller() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;

    let endpoint = app.create_endpoint_with(&account, json!({"url": receiver.url(), "secret": SEED_SECRET})).await;
    app.publish(&account, "credits.low", credits_low(1)).await;

    assert_eq!(endpoint.secret, SEED_SECRET);
    let arrived = receiver.wait_for(1).await;
    assert_signed_by(&arrived[0], &[SEED_SECRET]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_not_of_the_published_form_is_refused() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let too_short = format!("whsec_{}", STANDARD.encode([7u8; 16]));
    let too_long = format!("whsec_{}", STANDARD.encode([7u8; 65]));
    let no_prefix = STANDARD.encode([7u8; 32]);

    for secret in [too_short.as_str(), too_long.as_str(), &no_prefix, "whsec_not base64!", ""] {
        let response = app
            .post(
                &format!("/v1/accounts/{account}/endpoints"),
                &json!({"url": "http://127.0.0.1:9/hook", "secret": secret}),
            )
            .await;
        expect_field_error(response, 422, "/secret").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn type_filters_must_name_catalog_types_or_prefixes() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let path = format!("/v1/accounts/{account}/endpoints");

    let accepted = app
        .create_endpoint_with(
            &account,
            json!({"url": "http://127.0.0.1:9/hook", "event_types": ["project.*", "credits.low"]}),
        )
        .await;
    let unknown_first =
        app.post(&path, &json!({"url": "http://127.0.0.1:9/hook", "event_types": ["project.exploded"]})).await;
    let unknown_second =
        app.post(&path, &json!({"url": "http://127.0.0.1:9/hook", "event_types": ["credits.low", "nope"]})).await;

    assert_eq!(accepted.body["event_types"], json!(["project.*", "credits.low"]));
    expect_field_error(unknown_first, 422, "/event_types/0").await;
    expect_field_error(unknown_second, 422, "/event_types/1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_urls_are_accepted_in_dev_mode_and_refused_without_it() {
    let dev = spawn_app().await;
    let production = spawn_app_with(Options::default().production()).await;
    let dev_account = dev.create_account().await;
    let production_account = production.create_account().await;
    let body = json!({"url": "http://example.com/hook"});

    let in_dev = dev.post(&format!("/v1/accounts/{dev_account}/endpoints"), &body).await;
    let in_production = production.post(&format!("/v1/accounts/{production_account}/endpoints"), &body).await;

    expect_json(in_dev, 201).await;
    expect_field_error(in_production, 422, "/url").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_are_listed() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let first = app.create_endpoint(&account, "http://127.0.0.1:9/a").await;
    let second = app.create_endpoint(&account, "http://127.0.0.1:9/b").await;

    let body = app.get_json(&format!("/v1/accounts/{account}/endpoints")).await;

    let mut ids: Vec<&str> =
        body["data"].as_array().expect("a list").iter().map(|e| e["id"].as_str().unwrap()).collect();
    ids.sort();
    let mut expected = vec![first.id.as_str(), second.id.as_str()];
    expected.sort();
    assert_eq!(ids, expected);
    assert!(body.get("next_cursor").is_some(), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_can_be_changed_and_deliveries_follow_the_change() {
    let app = spawn_app().await;
    let old = Receiver::ok().await;
    let new = Receiver::ok().await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &old.url()).await;
    let path = format!("/v1/accounts/{account}/endpoints/{}", endpoint.id);

    let response = app
        .request(Method::PATCH, &path)
        .json(&json!({"url": new.url(), "description": "new home", "event_types": ["credits.*"]}))
        .send()
        .await
        .unwrap();
    let changed = expect_json(response, 200).await;
    let skipped = app.publish(&account, "project.completed", project_completed(1)).await;
    let sent = app.publish(&account, "credits.low", credits_low(1)).await;

    assert_eq!(changed["url"], new.url());
    assert_eq!(changed["description"], "new home");
    assert_eq!(changed["event_types"], json!(["credits.*"]));
    assert_eq!(app.get_endpoint(&account, &endpoint.id).await, changed);
    assert_eq!(skipped.deliveries, 0, "the new filter no longer matches project.*");
    let arrived = new.wait_for(1).await;
    assert_eq!(arrived[0].event_id(), sent.id);
    assert_eq!(old.count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_endpoint_is_gone_and_gets_nothing_more() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, "http://127.0.0.1:9/hook").await;
    let path = format!("/v1/accounts/{account}/endpoints/{}", endpoint.id);

    let deleted = app.request(Method::DELETE, &path).send().await.unwrap();

    assert_eq!(deleted.status().as_u16(), 204);
    expect_problem(app.get(&path).await, 404).await;
    let again = app.request(Method::DELETE, &path).send().await.unwrap();
    expect_problem(again, 404).await;
    let published = app.publish(&account, "credits.low", credits_low(1)).await;
    assert_eq!(published.deliveries, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_disabled_by_hand_records_skipped_deliveries_until_enabled() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &receiver.url()).await;

    let disabled = app.endpoint_action(&account, &endpoint.id, "disable", json!({})).await;
    let missed = app.publish(&account, "credits.low", credits_low(1)).await;
    let enabled = app.endpoint_action(&account, &endpoint.id, "enable", json!({"redeliver_missed": false})).await;
    let after = app.publish(&account, "credits.low", credits_low(2)).await;

    assert_eq!(disabled["enabled"], false);
    assert!(disabled["disabled_at"].is_string(), "{disabled}");
    assert_eq!(missed.deliveries, 1, "a skipped delivery is counted");
    let skipped = app.delivery_of(&account, &missed.id, &endpoint.id).await;
    assert_eq!(skipped["status"], "skipped");
    assert_eq!(skipped["attempt_count"], 0);
    assert_eq!(enabled["enabled"], true);
    assert_eq!(enabled["disabled_reason"], Value::Null);
    assert_eq!(enabled["disabled_at"], Value::Null);
    let arrived = receiver.wait_for(1).await;
    assert_eq!(arrived[0].event_id(), after.id);
    let d = app.delivery_of(&account, &after.id, &endpoint.id).await;
    app.wait_for_delivery_status(&account, d["id"].as_str().unwrap(), "succeeded").await;
    let still = app.delivery_of(&account, &missed.id, &endpoint.id).await;
    assert_eq!(still["status"], "skipped", "no redelivery was asked for");
    assert_eq!(receiver.count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_send_delivers_the_catalog_example_to_that_endpoint_alone() {
    let app = spawn_app().await;
    let target = Receiver::ok().await;
    let other = Receiver::ok().await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &target.url()).await;
    app.create_endpoint(&account, &other.url()).await;
    let example = app
        .event_types()
        .await
        .into_iter()
        .find(|t| t["type"] == "project.failed")
        .expect("project.failed in the catalog")["example"]
        .clone();

    let response = app
        .post(&format!("/v1/accounts/{account}/endpoints/{}/test", endpoint.id), &json!({"type": "project.failed"}))
        .await;

    let delivery = expect_json(response, 202).await;
    assert!(delivery["id"].as_str().is_some_and(|id| id.starts_with("dlv_")));
    assert_eq!(delivery["endpoint_id"], endpoint.id.as_str());
    assert_eq!(delivery["event_type"], "project.failed");
    let arrived = target.wait_for(1).await;
    let body = arrived[0].json();
    assert_eq!(body["type"], "project.failed");
    assert_eq!(body["data"], example);
    assert_eq!(arrived[0].header("x-webhook-delivery"), delivery["id"]);
    app.wait_for_delivery_status(&account, delivery["id"].as_str().unwrap(), "succeeded").await;
    assert_eq!(other.count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_send_of_an_unknown_type_is_refused() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, "http://127.0.0.1:9/hook").await;

    let response = app
        .post(&format!("/v1/accounts/{account}/endpoints/{}/test", endpoint.id), &json!({"type": "project.exploded"}))
        .await;

    expect_field_error(response, 422, "/type").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_event_types_list_is_refused_so_no_endpoint_is_ever_subscribed_to_nothing() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let path = format!("/v1/accounts/{account}/endpoints");

    let refused = app.post(&path, &json!({"url": "http://127.0.0.1:9/hook", "event_types": []})).await;
    let problem = expect_field_error(refused, 422, "/event_types").await;
    assert!(
        problem["detail"].as_str().is_some_and(|d| d.contains("null")),
        "it says how to get every type: {problem:#}"
    );
    assert_eq!(app.get_json(&path).await["data"], json!([]), "nothing was stored");

    let endpoint = app
        .create_endpoint_with(&account, json!({"url": "http://127.0.0.1:9/hook", "event_types": ["project.*"]}))
        .await;
    let one = format!("{path}/{}", endpoint.id);
    let emptied = app.request(Method::PATCH, &one).json(&json!({"event_types": []})).send().await.unwrap();
    expect_field_error(emptied, 422, "/event_types").await;
    assert_eq!(app.get_endpoint(&account, &endpoint.id).await["event_types"], json!(["project.*"]), "unchanged");
}
