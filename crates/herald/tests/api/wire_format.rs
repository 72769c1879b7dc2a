//! The webhook request of contract §2: the body byte for byte, every header,
//! and both signatures recomputed here.

use serde_json::json;

use crate::{
    checks::envelope_bytes,
    fixtures::{project_completed, unix_now},
    helpers::spawn_app,
    receiver::Receiver,
    signature::assert_signed_by,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_body_is_the_published_envelope_byte_for_byte() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    app.create_endpoint(&account, &receiver.url()).await;

    let published = app.publish(&account, "project.completed", project_completed(42)).await;

    let arrived = receiver.wait_for(1).await;
    assert_eq!(String::from_utf8_lossy(&arrived[0].body), String::from_utf8_lossy(&envelope_bytes(&published.event)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_attempt_carries_the_contract_headers() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &receiver.url()).await;

    let before = unix_now();
    let published = app.publish(&account, "project.completed", project_completed(42)).await;

    let arrived = receiver.wait_for(1).await;
    let after = unix_now();
    let request = &arrived[0];
    let delivery = app.delivery_of(&account, &published.id, &endpoint.id).await;
    assert_eq!(request.method, "POST");
    assert_eq!(request.uri.path(), "/hook");
    assert_eq!(request.header("content-type"), "application/json");
    assert_eq!(request.header("user-agent"), format!("Herald/{}", env!("CARGO_PKG_VERSION")));
    assert_eq!(request.header("x-webhook-id"), published.id);
    assert_eq!(request.header("x-webhook-event"), "project.completed");
    assert_eq!(request.header("x-webhook-attempt"), "1");
    assert_eq!(request.header("x-webhook-delivery"), delivery["id"]);
    assert!(request.header("x-webhook-delivery").starts_with("dlv_"));
    assert_eq!(request.header("webhook-id"), published.id);
    let t = assert_signed_by(request, &[&endpoint.secret]);
    assert!((before - 1..=after + 1).contains(&t), "t={t} is the time of the attempt ({before}..={after})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_body_is_the_same_on_every_attempt_and_every_endpoint_and_each_is_signed_anew() {
    let app = spawn_app().await;
    let flaky = Receiver::sequence(&[500, 500], 200).await;
    let steady = Receiver::ok().await;
    let account = app.create_account().await;
    let flaky_endpoint = app.create_endpoint(&account, &flaky.url()).await;
    let steady_endpoint = app.create_endpoint(&account, &steady.url()).await;

    let published = app.publish(&account, "project.completed", project_completed(9)).await;

    let retried = flaky.wait_for(3).await;
    let once = steady.wait_for(1).await;
    let expected = envelope_bytes(&published.event);
    let attempts: Vec<u32> = retried.iter().map(|r| r.attempt()).collect();
    assert_eq!(attempts, [1, 2, 3]);
    let delivery = retried[0].header("x-webhook-delivery").to_string();
    for request in &retried {
        assert_eq!(request.body, expected, "every attempt sends the stored bytes");
        assert_eq!(request.event_id(), published.id);
        assert_eq!(request.header("x-webhook-delivery"), delivery, "one delivery");
        assert_signed_by(request, &[&flaky_endpoint.secret]);
    }
    assert_eq!(once[0].body, expected, "every endpoint gets the same bytes");
    assert_ne!(once[0].header("x-webhook-delivery"), delivery);
    assert_signed_by(&once[0], &[&steady_endpoint.secret]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_is_sent_as_published_compact_in_its_key_order_and_in_utf8() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &receiver.url()).await;
    let spaced = r#"{
        "type" : "voice_clone.completed",
        "data" : {
            "voice_id" : "voice_abc123",
            "person_name" : "Zoë Ünal 🎬",
            "person_id" : 1,
            "provider" : "elevenlabs",
            "credits_used" : 500,
            "tags" : [ "a" , "b" ]
        }
    }"#;

    let response = app
        .request(reqwest::Method::POST, &format!("/v1/accounts/{account}/events"))
        .header("content-type", "application/json")
        .body(spaced)
        .send()
        .await
        .unwrap();

    let body = crate::checks::expect_json(response, 202).await;
    let event = &body["event"];
    let expected = format!(
        r#"{{"id":"{}","type":"voice_clone.completed","created_at":"{}","data":{}}}"#,
        event["id"].as_str().unwrap(),
        event["created_at"].as_str().unwrap(),
        r#"{"voice_id":"voice_abc123","person_name":"Zoë Ünal 🎬","person_id":1,"provider":"elevenlabs","credits_used":500,"tags":["a","b"]}"#
    );
    let arrived = receiver.wait_for(1).await;
    assert_eq!(String::from_utf8_lossy(&arrived[0].body), expected);
    assert_signed_by(&arrived[0], &[&endpoint.secret]);
    assert_eq!(
        event["data"],
        json!({"voice_id": "voice_abc123", "person_name": "Zoë Ünal 🎬", "person_id": 1,
               "provider": "elevenlabs", "credits_used": 500, "tags": ["a", "b"]})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_query_string_of_an_endpoint_url_is_kept() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    let url = format!("{}?tenant=42&mode=live", receiver.url());
    app.create_endpoint(&account, &url).await;

    app.publish(&account, "credits.depleted", json!({"balance": 0})).await;

    let arrived = receiver.wait_for(1).await;
    assert_eq!(arrived[0].uri.path(), "/hook");
    assert_eq!(arrived[0].uri.query(), Some("tenant=42&mode=live"));
}
