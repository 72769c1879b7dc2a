//! Custom headers per endpoint, for a receiver behind a gateway: they reach
//! the receiver beside the signed request (body and signature untouched),
//! the endpoint shows only their names until they are revealed, a PATCH
//! replaces them, and reserved or malformed ones are refused at their
//! pointer with nothing stored. (Sealed at rest: `secrets_at_rest.rs`.)

use reqwest::Method;
use serde_json::{json, Map, Value};

use crate::{
    checks::{envelope_bytes, expect_json, expect_problem},
    fixtures::credits_low,
    helpers::{spawn_app, TestApp},
    receiver::Receiver,
    signature::assert_signed_by,
};

const TOKEN: &str = "Bearer gw-4f1e9a";

async fn endpoint_with_headers(app: &TestApp, receiver: &Receiver, headers: Value) -> (String, String, String) {
    let account = app.create_account().await;
    let endpoint = app.create_endpoint_with(&account, json!({"url": receiver.url(), "headers": headers})).await;
    (account, endpoint.id, endpoint.secret)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_headers_reach_the_receiver_and_the_body_and_signature_stay_exactly_as_they_are() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let headers = json!({"Authorization": TOKEN, "X-Api-Key": "key-22"});
    let (account, _, secret) = endpoint_with_headers(&app, &receiver, headers).await;

    let published = app.publish(&account, "credits.low", credits_low(3)).await;

    let request = &receiver.wait_for(1).await[0];
    assert_eq!(request.header("authorization"), TOKEN);
    assert_eq!(request.header("x-api-key"), "key-22");
    assert_eq!(request.body.as_ref(), envelope_bytes(&published.event).as_slice(), "the stored bytes, as they are");
    assert_signed_by(request, &[&secret]);
    assert_eq!(request.header("content-type"), "application/json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_shows_its_header_names_and_reveals_the_values_only_when_asked() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let (account, endpoint, _) = endpoint_with_headers(&app, &receiver, json!({"Authorization": TOKEN})).await;
    let one = format!("/v1/accounts/{account}/endpoints/{endpoint}");

    let shown = app.get_json(&one).await;
    assert_eq!(shown["header_names"], json!(["Authorization"]));
    let listed = app.get_json(&format!("/v1/accounts/{account}/endpoints")).await;
    for view in [shown.to_string(), listed.to_string()] {
        assert!(!view.contains("gw-4f1e9a"), "the value is not shown: {view}");
    }

    let key = app.create_key(&account).await;
    let revealed = app.request_as(&key, Method::GET, &format!("{one}/headers")).send().await.expect("sent");
    assert_eq!(expect_json(revealed, 200).await, json!({"headers": {"Authorization": TOKEN}}));
    let stranger = app.create_account().await;
    let other_key = app.create_key(&stranger).await;
    let refused = app.request_as(&other_key, Method::GET, &format!("{one}/headers")).send().await.expect("sent");
    expect_problem(refused, 404).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_replaces_the_headers_and_null_removes_them() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let (account, endpoint, _) = endpoint_with_headers(&app, &receiver, json!({"Authorization": TOKEN})).await;
    let one = format!("/v1/accounts/{account}/endpoints/{endpoint}");
    let patch = |body: Value| app.request(Method::PATCH, &one).json(&body).send();

    let replaced = expect_json(patch(json!({"headers": {"X-Tenant": "t-9"}})).await.expect("sent"), 200).await;
    assert_eq!(replaced["header_names"], json!(["X-Tenant"]));
    let kept = expect_json(patch(json!({"description": "gateway"})).await.expect("sent"), 200).await;
    assert_eq!(kept["header_names"], json!(["X-Tenant"]), "a PATCH without the field keeps them");
    app.publish(&account, "credits.low", credits_low(1)).await;
    let first = &receiver.wait_for(1).await[0];
    assert_eq!(first.header("x-tenant"), "t-9");
    assert!(first.headers.get("authorization").is_none(), "the old set is gone");

    let removed = expect_json(patch(json!({"headers": null})).await.expect("sent"), 200).await;
    assert_eq!(removed["header_names"], json!([]));
    app.publish(&account, "credits.low", credits_low(2)).await;
    let second = &receiver.wait_for(2).await[1];
    assert!(second.headers.get("x-tenant").is_none(), "no custom header is left");
    assert_eq!(app.get_json(&format!("{one}/headers")).await, json!({"headers": {}}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserved_or_malformed_headers_are_refused_at_their_pointer_and_nothing_is_stored() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let endpoints = format!("/v1/accounts/{account}/endpoints");
    let url = Receiver::ok().await.url();
    let cases = [
        (json!({"Host": "evil.example"}), "/headers/Host"),
        (json!({"Content-Type": "text/plain"}), "/headers/Content-Type"),
        (json!({"content-length": "1"}), "/headers/content-length"),
        (json!({"X-Webhook-Signature": "t=1,v1=00"}), "/headers/X-Webhook-Signature"),
        (json!({"webhook-id": "evt_x"}), "/headers/webhook-id"),
        (json!({"Transfer-Encoding": "chunked"}), "/headers/Transfer-Encoding"),
        (json!({"Connection": "close"}), "/headers/Connection"),
        (json!({"X-Ok": "a\r\nInjected: 1"}), "/headers/X-Ok"),
        (json!({"Bad Name": "x"}), "/headers/Bad Name"),
        (json!({"X-Ok": 1}), "/headers/X-Ok"),
        (json!(["Authorization"]), "/headers"),
        (Value::Object((0..21).map(|i| (format!("X-H{i}"), json!("v"))).collect::<Map<_, _>>()), "/headers"),
        (json!({"X-Big": "v".repeat(4097)}), "/headers/X-Big"),
    ];
    for (headers, pointer) in &cases {
        let refused = app.post(&endpoints, &json!({"url": url, "headers": headers})).await;
        let problem = expect_problem(refused, 422).await;
        assert_eq!(problem["errors"][0]["pointer"], *pointer, "{problem}");
    }
    assert_eq!(app.get_json(&endpoints).await["data"], json!([]), "nothing refused is stored");

    let created = app.create_endpoint_with(&account, json!({"url": url, "headers": {"Authorization": TOKEN}})).await;
    let one = format!("{endpoints}/{}", created.id);
    let refused = app.request(Method::PATCH, &one).json(&json!({"headers": {"Host": "x"}})).send().await.expect("sent");
    expect_problem(refused, 422).await;
    assert_eq!(app.get_json(&format!("{one}/headers")).await, json!({"headers": {"Authorization": TOKEN}}));
}
