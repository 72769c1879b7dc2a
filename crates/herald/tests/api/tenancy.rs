//! Who may do what: the admin token, account keys confined to their own
//! account, and another account's resources answered `404` as if absent.

use reqwest::{Method, Response};
use serde_json::json;

use crate::{
    checks::{expect_json, expect_problem},
    fixtures::credits_low,
    helpers::{spawn_app, TestApp},
    receiver::Receiver,
};

async fn send(app: &TestApp, token: Option<&str>, method: Method, path: &str) -> Response {
    let mut request = app.client.request(method.clone(), app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if method == Method::POST || method == Method::PATCH {
        request = request.json(&json!({}));
    }
    request.send().await.expect("request sent")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_a_valid_token_are_unauthorised() {
    let app = spawn_app().await;
    let account = app.create_account().await;

    for path in [
        "/v1/accounts".to_string(),
        format!("/v1/accounts/{account}"),
        format!("/v1/accounts/{account}/endpoints"),
        format!("/v1/accounts/{account}/events"),
        format!("/v1/accounts/{account}/deliveries"),
        "/v1/event-types".to_string(),
    ] {
        expect_problem(send(&app, None, Method::GET, &path).await, 401).await;
        expect_problem(send(&app, Some("wrong-token"), Method::GET, &path).await, 401).await;
        expect_problem(send(&app, Some("hk_forged"), Method::GET, &path).await, 401).await;
    }
    let publish = app
        .client
        .post(app.url(&format!("/v1/accounts/{account}/events")))
        .json(&json!({"type": "credits.low", "data": credits_low(1)}))
        .send()
        .await
        .unwrap();
    expect_problem(publish, 401).await;
    assert!(app.list_events(&account).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_are_created_listed_and_read_by_the_admin() {
    let app = spawn_app().await;

    let created = expect_json(app.post("/v1/accounts", &json!({"name": "Acme"})).await, 201).await;
    let read = app.get_json(&format!("/v1/accounts/{}", created["id"].as_str().unwrap())).await;
    let listed = app.get_json("/v1/accounts").await;

    crate::checks::assert_ulid_id(&created["id"], "acc_");
    assert_eq!(created["name"], "Acme");
    assert!(created["created_at"].is_string());
    assert_eq!(read, created);
    assert!(listed["data"].as_array().unwrap().contains(&created), "{listed}");
    assert!(listed.get("next_cursor").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_key_works_on_its_own_account() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    let created = expect_json(app.post(&format!("/v1/accounts/{account}/keys"), &json!({})).await, 201).await;
    let key = created["key"].as_str().unwrap().to_string();
    assert!(created["id"].as_str().is_some_and(|id| id.starts_with("key_")), "{created}");
    assert!(key.starts_with("hk_"), "{created}");

    let endpoint = app
        .request_as(&key, Method::POST, &format!("/v1/accounts/{account}/endpoints"))
        .json(&json!({"url": receiver.url()}))
        .send()
        .await
        .unwrap();
    let endpoint = expect_json(endpoint, 201).await;
    let published = app.publish(&account, "credits.low", credits_low(1)).await;
    receiver.wait_for(1).await;

    for path in [
        format!("/v1/accounts/{account}/endpoints"),
        format!("/v1/accounts/{account}/endpoints/{}", endpoint["id"].as_str().unwrap()),
        format!("/v1/accounts/{account}/events"),
        format!("/v1/accounts/{account}/events/{}", published.id),
        format!("/v1/accounts/{account}/deliveries"),
        "/v1/event-types".to_string(),
    ] {
        let response = send(&app, Some(&key), Method::GET, &path).await;
        expect_json(response, 200).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_key_may_neither_publish_nor_create_accounts_nor_keys() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let key = app.create_key(&account).await;

    let publish = app
        .request_as(&key, Method::POST, &format!("/v1/accounts/{account}/events"))
        .json(&json!({"type": "credits.low", "data": credits_low(1)}))
        .send()
        .await
        .unwrap();
    let batch = app
        .request_as(&key, Method::POST, &format!("/v1/accounts/{account}/events/batch"))
        .json(&json!([{"type": "credits.low", "data": credits_low(1)}]))
        .send()
        .await
        .unwrap();
    let new_account =
        app.request_as(&key, Method::POST, "/v1/accounts").json(&json!({"name": "mine now"})).send().await.unwrap();
    let new_key = send(&app, Some(&key), Method::POST, &format!("/v1/accounts/{account}/keys")).await;

    expect_problem(publish, 403).await;
    expect_problem(batch, 403).await;
    expect_problem(new_account, 403).await;
    let status = new_key.status().as_u16();
    assert!(matches!(status, 403 | 404), "a key cannot mint keys, got {status}");
    assert!(app.list_events(&account).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_accounts_resources_are_not_found() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let mine = app.create_account().await;
    let theirs = app.create_account().await;
    let key = app.create_key(&mine).await;
    let their_endpoint = app.create_endpoint(&theirs, &receiver.url()).await;
    let their_event = app.publish(&theirs, "credits.low", credits_low(1)).await;
    let their_delivery = app.delivery_of(&theirs, &their_event.id, &their_endpoint.id).await;
    let their_delivery = their_delivery["id"].as_str().unwrap();
    receiver.wait_for(1).await;
    let ep = &their_endpoint.id;

    let get_with_key = [
        format!("/v1/accounts/{theirs}"),
        format!("/v1/accounts/{theirs}/endpoints"),
        format!("/v1/accounts/{theirs}/endpoints/{ep}"),
        format!("/v1/accounts/{theirs}/endpoints/{ep}/secret"),
        format!("/v1/accounts/{theirs}/events"),
        format!("/v1/accounts/{theirs}/events/{}", their_event.id),
        format!("/v1/accounts/{theirs}/deliveries"),
        format!("/v1/accounts/{theirs}/deliveries/{their_delivery}"),
    ];
    for path in &get_with_key {
        expect_problem(send(&app, Some(&key), Method::GET, path).await, 404).await;
    }
    // Their ids under my account: not found, for the key and the admin alike.
    let cross = [
        (Method::GET, format!("/v1/accounts/{mine}/endpoints/{ep}")),
        (Method::GET, format!("/v1/accounts/{mine}/endpoints/{ep}/secret")),
        (Method::PATCH, format!("/v1/accounts/{mine}/endpoints/{ep}")),
        (Method::DELETE, format!("/v1/accounts/{mine}/endpoints/{ep}")),
        (Method::POST, format!("/v1/accounts/{mine}/endpoints/{ep}/secret/rotate")),
        (Method::POST, format!("/v1/accounts/{mine}/endpoints/{ep}/disable")),
        (Method::POST, format!("/v1/accounts/{mine}/endpoints/{ep}/enable")),
        (Method::GET, format!("/v1/accounts/{mine}/events/{}", their_event.id)),
        (Method::GET, format!("/v1/accounts/{mine}/deliveries/{their_delivery}")),
        (Method::POST, format!("/v1/accounts/{mine}/deliveries/{their_delivery}/retry")),
    ];
    for (method, path) in &cross {
        for token in [key.as_str(), app.admin_token.as_str()] {
            let response = send(&app, Some(token), method.clone(), path).await;
            expect_problem(response, 404).await;
        }
    }
    let theirs_still = app.get_endpoint(&theirs, ep).await;
    assert_eq!(theirs_still["enabled"], true);
    assert_eq!(receiver.count(), 1, "no retry reached their endpoint");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ids_and_ids_of_the_wrong_shape_are_not_found() {
    let app = spawn_app().await;
    let account = app.create_account().await;

    for path in [
        "/v1/accounts/acc_01JQ8Z6X3M0000000000000000".to_string(),
        "/v1/accounts/acc_01JQ8Z6X3M0000000000000000/endpoints".to_string(),
        format!("/v1/accounts/{account}/endpoints/ep_01JQ8Z6X3M0000000000000000"),
        format!("/v1/accounts/{account}/endpoints/nope"),
        format!("/v1/accounts/{account}/events/evt_01JQ8Z6X3M0000000000000000"),
        format!("/v1/accounts/{account}/events/nope"),
        format!("/v1/accounts/{account}/deliveries/nope"),
    ] {
        expect_problem(app.get(&path).await, 404).await;
    }
    let publish = app
        .post_publish("acc_01JQ8Z6X3M0000000000000000", &json!({"type": "credits.low", "data": credits_low(1)}))
        .await;
    expect_problem(publish, 404).await;
}
