//! Secret rotation: during the grace period both secrets sign (the current
//! one last); without a grace only the new one does.

use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::{json, Value};

use crate::{
    checks::{expect_field_error, expect_json},
    fixtures::{credits_low, SEED_SECRET},
    helpers::{spawn_app, TestApp},
    receiver::Receiver,
    signature::assert_signed_by,
};

/// An account with one endpoint at the receiver with [`SEED_SECRET`]; returns (account, endpoint id).
async fn endpoint_with_known_secret(app: &TestApp, receiver: &Receiver) -> (String, String) {
    let account = app.create_account().await;
    let endpoint = app.create_endpoint_with(&account, json!({"url": receiver.url(), "secret": SEED_SECRET})).await;
    (account, endpoint.id)
}

async fn rotate(app: &TestApp, account: &str, endpoint: &str, body: Value) -> String {
    let response = app.post(&format!("/v1/accounts/{account}/endpoints/{endpoint}/secret/rotate"), &body).await;
    let answer = expect_json(response, 200).await;
    let secret = answer["secret"].as_str().expect("the new secret").to_string();
    let raw = secret.strip_prefix("whsec_").expect("a whsec_ secret");
    let bytes = STANDARD.decode(raw).expect("standard base64");
    assert!((24..=64).contains(&bytes.len()), "{secret}");
    assert_ne!(secret, SEED_SECRET);
    secret
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn during_the_grace_period_both_secrets_sign_and_the_new_one_is_last() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let (account, endpoint) = endpoint_with_known_secret(&app, &receiver).await;

    let new = rotate(&app, &account, &endpoint, json!({"grace_seconds": 3600})).await;
    app.publish(&account, "credits.low", credits_low(1)).await;

    let current = app.get_json(&format!("/v1/accounts/{account}/endpoints/{endpoint}/secret")).await;
    assert_eq!(current, json!({ "secret": new }));
    let arrived = receiver.wait_for(1).await;
    assert_signed_by(&arrived[0], &[SEED_SECRET, &new]);
    let entries = arrived[0].header("webhook-signature").split(' ').count();
    assert_eq!(entries, 2, "two space-separated Standard Webhooks entries");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_grace_keeps_the_previous_secret_signing() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let (account, endpoint) = endpoint_with_known_secret(&app, &receiver).await;

    let new = rotate(&app, &account, &endpoint, json!({})).await;
    app.publish(&account, "credits.low", credits_low(1)).await;

    let arrived = receiver.wait_for(1).await;
    assert_signed_by(&arrived[0], &[SEED_SECRET, &new]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotating_without_grace_signs_only_with_the_new_secret() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let (account, endpoint) = endpoint_with_known_secret(&app, &receiver).await;

    let new = rotate(&app, &account, &endpoint, json!({"grace_seconds": 0})).await;
    app.publish(&account, "credits.low", credits_low(1)).await;

    let arrived = receiver.wait_for(1).await;
    assert_signed_by(&arrived[0], &[&new]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_a_rotation_is_signed_with_the_new_secret() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let (account, endpoint) = endpoint_with_known_secret(&app, &receiver).await;
    let published = app.publish(&account, "credits.low", credits_low(1)).await;
    let first = receiver.wait_for(1).await;
    assert_signed_by(&first[0], &[SEED_SECRET]);
    let delivery = app.delivery_of(&account, &published.id, &endpoint).await;
    app.wait_for_delivery_status(&account, delivery["id"].as_str().unwrap(), "succeeded").await;

    let new = rotate(&app, &account, &endpoint, json!({"grace_seconds": 0})).await;
    let retry = app
        .post(&format!("/v1/accounts/{account}/deliveries/{}/retry", delivery["id"].as_str().unwrap()), &json!({}))
        .await;
    expect_json(retry, 202).await;

    let arrived = receiver.wait_for(2).await;
    assert_eq!(arrived[1].body, arrived[0].body);
    assert_signed_by(&arrived[1], &[&new]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_grace_is_refused() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let (account, endpoint) = endpoint_with_known_secret(&app, &receiver).await;
    let path = format!("/v1/accounts/{account}/endpoints/{endpoint}/secret/rotate");

    for grace in [json!(-1), json!("a day"), json!(1.5)] {
        let response = app.post(&path, &json!({ "grace_seconds": grace })).await;
        expect_field_error(response, 422, "/grace_seconds").await;
    }
    let unchanged = app.get_json(&format!("/v1/accounts/{account}/endpoints/{endpoint}/secret")).await;
    assert_eq!(unchanged, json!({ "secret": SEED_SECRET }));
}
