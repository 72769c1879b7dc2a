//! Publishing: one event, a batch, fan-out by subscription, and reading events
//! back (newest first, by type, by cursor, and polling with `after`).

use serde_json::{json, Value};

use crate::{
    checks::{assert_ulid_id, assert_whole_second_utc, expect_field_error, expect_json, expect_problem},
    fixtures::{credits_low, project_completed},
    helpers::spawn_app,
    receiver::Receiver,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_returns_the_envelope_and_the_number_of_deliveries() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    app.create_endpoint(&account, &receiver.url()).await;
    app.create_endpoint(&account, &receiver.url()).await;

    let data = project_completed(42);
    let published = app.publish(&account, "project.completed", data.clone()).await;

    assert_eq!(published.deliveries, 2);
    let event = &published.event;
    assert_ulid_id(&event["id"], "evt_");
    assert_eq!(event["type"], "project.completed");
    assert_whole_second_utc(&event["created_at"]);
    assert_eq!(event["data"], data);
    let keys: Vec<&String> = event.as_object().expect("an object").keys().collect();
    assert_eq!(keys, ["id", "type", "created_at", "data"], "envelope keys in order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_goes_to_every_subscribed_endpoint_and_no_other() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    let url = receiver.url();
    let all = app.create_endpoint(&account, &url).await;
    let explicit_null = app.create_endpoint_with(&account, json!({"url": url, "event_types": null})).await;
    let prefix = app.create_endpoint_with(&account, json!({"url": url, "event_types": ["project.*"]})).await;
    let exact = app
        .create_endpoint_with(&account, json!({"url": url, "event_types": ["credits.low", "project.completed"]}))
        .await;
    let credits_only = app.create_endpoint_with(&account, json!({"url": url, "event_types": ["credits.*"]})).await;
    let voice_only =
        app.create_endpoint_with(&account, json!({"url": url, "event_types": ["voice_clone.completed"]})).await;

    let published = app.publish(&account, "project.completed", project_completed(1)).await;

    assert_eq!(published.deliveries, 4);
    let deliveries = app.list_deliveries(&account, &format!("event_id={}", published.id)).await;
    let mut targets: Vec<&str> =
        deliveries.iter().map(|d| d["endpoint_id"].as_str().expect("an endpoint id")).collect();
    targets.sort();
    let mut expected = vec![all.id.as_str(), explicit_null.id.as_str(), prefix.id.as_str(), exact.id.as_str()];
    expected.sort();
    assert_eq!(targets, expected);
    assert!(!targets.contains(&credits_only.id.as_str()));
    assert!(!targets.contains(&voice_only.id.as_str()));
    let arrived = receiver.wait_for(4).await;
    assert!(arrived.iter().all(|r| r.event_id() == published.id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_of_an_account_without_endpoints_is_stored_with_no_deliveries() {
    let app = spawn_app().await;
    let account = app.create_account().await;

    let published = app.publish(&account, "credits.low", credits_low(10)).await;

    assert_eq!(published.deliveries, 0);
    let read = app.get_json(&format!("/v1/accounts/{account}/events/{}", published.id)).await;
    assert_eq!(read, published.event);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extra_fields_in_data_are_accepted_and_delivered() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    app.create_endpoint(&account, &receiver.url()).await;
    let mut data = project_completed(7);
    data["render_farm"] = json!({"region": "eu-west", "gpus": [1, 2]});

    let published = app.publish(&account, "project.completed", data.clone()).await;

    let arrived = receiver.wait_for(1).await;
    assert_eq!(arrived[0].json()["data"], data);
    assert_eq!(published.event["data"], data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_listed_newest_first_and_read_back_one_by_one() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let mut ids = Vec::new();
    for balance in 1..=3 {
        ids.push(app.publish(&account, "credits.low", credits_low(balance)).await);
    }

    let listed = app.list_events(&account).await;

    let listed_ids: Vec<&str> = listed.iter().map(|e| e["id"].as_str().unwrap()).collect();
    let expected: Vec<&str> = ids.iter().rev().map(|p| p.id.as_str()).collect();
    assert_eq!(listed_ids, expected);
    for published in &ids {
        let read = app.get_json(&format!("/v1/accounts/{account}/events/{}", published.id)).await;
        assert_eq!(read, published.event);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_can_be_filtered_by_type() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let low = app.publish(&account, "credits.low", credits_low(5)).await;
    app.publish(&account, "credits.depleted", json!({"balance": 0})).await;

    let body = app.get_json(&format!("/v1/accounts/{account}/events?type=credits.low")).await;

    assert_eq!(body["data"], json!([low.event]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_with_after_gives_the_later_events_oldest_first() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let mut published = Vec::new();
    for balance in 1..=4 {
        published.push(app.publish(&account, "credits.low", credits_low(balance)).await);
    }

    let body = app.get_json(&format!("/v1/accounts/{account}/events?after={}", published[1].id)).await;

    assert_eq!(body["data"], json!([published[2].event, published[3].event]));
    let latest = app.get_json(&format!("/v1/accounts/{account}/events?after={}", published[3].id)).await;
    assert_eq!(latest["data"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_list_is_paginated_with_a_cursor() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let mut published = Vec::new();
    for balance in 1..=5 {
        published.push(app.publish(&account, "credits.low", credits_low(balance)).await);
    }

    let mut seen: Vec<Value> = Vec::new();
    let mut path = format!("/v1/accounts/{account}/events?limit=2");
    let mut pages = 0;
    loop {
        let page = app.get_json(&path).await;
        pages += 1;
        let data = page["data"].as_array().expect("a page");
        assert!(data.len() <= 2, "a page holds at most the limit: {page}");
        seen.extend(data.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/accounts/{account}/events?limit=2&cursor={cursor}"),
            None => break,
        }
        assert!(pages < 10, "pagination ends");
    }

    let expected: Vec<Value> = published.iter().rev().map(|p| p.event.clone()).collect();
    assert_eq!(seen, expected);
    assert_eq!(pages, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_publishes_every_event_in_one_call() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    app.create_endpoint(&account, &receiver.url()).await;
    app.create_endpoint_with(&account, json!({"url": receiver.url(), "event_types": ["credits.*"]})).await;
    let items = json!([
        {"type": "credits.low", "data": credits_low(9)},
        {"type": "project.completed", "data": project_completed(3)},
        {"type": "credits.depleted", "data": {"balance": 0}},
    ]);

    let response = app.post(&format!("/v1/accounts/{account}/events/batch"), &items).await;

    let body = expect_json(response, 202).await;
    let events = body["events"].as_array().expect("events");
    assert_eq!(events.len(), 3);
    for (event, item) in events.iter().zip(items.as_array().unwrap()) {
        assert_ulid_id(&event["id"], "evt_");
        assert_eq!(event["type"], item["type"]);
        assert_eq!(event["data"], item["data"]);
    }
    assert_eq!(body["deliveries"], 5);
    let arrived = receiver.wait_for(5).await;
    assert_eq!(arrived.len(), 5);
    assert_eq!(app.list_events(&account).await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_with_one_invalid_item_is_refused_and_stores_nothing() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    app.publish(&account, "credits.low", credits_low(1)).await;
    let before = app.list_events(&account).await;
    let mut broken = project_completed(4);
    broken.as_object_mut().unwrap().remove("project_id");
    let items: Vec<Value> = (0..5)
        .map(|i| match i {
            3 => json!({"type": "project.completed", "data": broken}),
            _ => json!({"type": "credits.low", "data": credits_low(i)}),
        })
        .collect();

    let response = app.post(&format!("/v1/accounts/{account}/events/batch"), &json!(items)).await;

    expect_field_error(response, 422, "/3/data/project_id").await;
    assert_eq!(app.list_events(&account).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_more_than_a_thousand_events_is_refused() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let items: Vec<Value> = (0..1001).map(|_| json!({"type": "credits.depleted", "data": {"balance": 0}})).collect();

    let response = app.post(&format!("/v1/accounts/{account}/events/batch"), &json!(items)).await;

    expect_problem(response, 422).await;
    assert!(app.list_events(&account).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_exactly_a_thousand_events_is_accepted() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let items: Vec<Value> = (0..1000).map(|_| json!({"type": "credits.depleted", "data": {"balance": 0}})).collect();

    let response = app.post(&format!("/v1/accounts/{account}/events/batch"), &json!(items)).await;

    let body = expect_json(response, 202).await;
    assert_eq!(body["events"].as_array().map(Vec::len), Some(1000));
    assert_eq!(body["deliveries"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_a_thousand_events_to_eleven_endpoints_records_all_eleven_thousand_deliveries() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let mut endpoints = Vec::new();
    for _ in 0..11 {
        // Disabled, so that the deliveries are recorded as skipped and none is sent.
        let endpoint = app.create_endpoint(&account, "https://receiver.example/hooks").await;
        app.endpoint_action(&account, &endpoint.id, "disable", json!({})).await;
        endpoints.push(endpoint);
    }
    let items: Vec<Value> = (0..1000).map(|i| json!({"type": "credits.low", "data": credits_low(i)})).collect();

    let response = app.post(&format!("/v1/accounts/{account}/events/batch"), &json!(items)).await;

    let body = expect_json(response, 202).await;
    assert_eq!(body["deliveries"], 11_000);
    for endpoint in [&endpoints[0], &endpoints[10]] {
        let first = format!("/v1/accounts/{account}/deliveries?limit=500&endpoint_id={}", endpoint.id);
        let mut path = first.clone();
        let mut events = std::collections::BTreeSet::new();
        loop {
            let page = app.get_json(&path).await;
            for d in page["data"].as_array().expect("a page") {
                assert_eq!(d["status"], "skipped");
                events.insert(d["event_id"].as_str().unwrap().to_string());
            }
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("{first}&cursor={cursor}"),
                None => break,
            }
        }
        assert_eq!(events.len(), 1000, "one delivery of every event to {}", endpoint.id);
    }
}
