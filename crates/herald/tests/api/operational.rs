//! Operational events: Herald tells the platform when an endpoint goes dark
//! or comes back (`endpoint.disabled`, `endpoint.gone`, `endpoint.enabled`),
//! as events of the `herald` account. They reach the platform's own
//! endpoints signed, and are logged, polled and streamed like any event;
//! publishing them by hand is refused.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{json, Value};

use crate::{
    checks::{expect_json, expect_problem},
    fixtures::credits_low,
    helpers::{spawn_app, spawn_app_with, spawn_two_nodes, Options, TestApp},
    receiver::{Receiver, Recorded},
    signature::assert_signed_by,
    sse::Stream,
};

const HERALD: &str = "herald";

/// The platform's own receiver for operational events of `types`, and the secret that signs them.
async fn platform_listens(app: &TestApp, types: Value) -> (Receiver, String) {
    let receiver = Receiver::ok().await;
    let endpoint = app.create_endpoint_with(HERALD, json!({"url": receiver.url(), "event_types": types})).await;
    (receiver, endpoint.secret)
}

fn event_type(r: &Recorded) -> String {
    r.header("x-webhook-event").to_string()
}

/// The operational events as the platform lists them, oldest first.
async fn polled(app: &TestApp) -> Vec<Value> {
    let mut events = app.list_events(HERALD).await;
    events.reverse();
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_exhausts_its_schedule_is_announced_signed_with_its_last_attempt() {
    let app = spawn_app_with(Options::default().schedule("0s,10ms")).await;
    let (platform, secret) = platform_listens(&app, json!(["endpoint.disabled"])).await;
    let failing = Receiver::failing().await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &failing.url()).await;
    let published = app.publish(&account, "credits.low", credits_low(1)).await;
    let delivery = app.delivery_of(&account, &published.id, &endpoint.id).await;

    let told = &platform.wait_for(1).await[0];

    assert_eq!(event_type(told), "endpoint.disabled");
    assert_signed_by(told, &[&secret]);
    let data = &told.json()["data"];
    assert_eq!(data["account_id"], account.as_str());
    assert_eq!(data["endpoint_id"], endpoint.id.as_str());
    assert_eq!(data["url"], failing.url());
    assert_eq!(data["cause"], "exhausted");
    assert!(data["reason"].as_str().unwrap_or_default().contains(delivery["id"].as_str().unwrap()), "{data}");
    let last = &data["last_attempt"];
    assert_eq!(last["delivery_id"], delivery["id"]);
    assert_eq!(last["event_id"], published.id.as_str());
    assert_eq!((last["n"].as_u64(), last["response_status"].as_u64()), (Some(2), Some(500)), "{last}");
    assert_eq!(last["error"], "status");
    let events = polled(&app).await;
    assert_eq!(events.len(), 1, "polled as any event: {events:#?}");
    assert_eq!(events[0]["id"], told.event_id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_answers_gone_is_announced_as_gone_and_disabled() {
    let app = spawn_app().await;
    let (platform, _) = platform_listens(&app, json!(["endpoint.*"])).await;
    let gone = Receiver::sequence(&[410], 200).await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &gone.url()).await;
    app.publish(&account, "credits.low", credits_low(1)).await;

    let told = platform.wait_for(2).await;

    let types: BTreeSet<String> = told.iter().map(event_type).collect();
    assert_eq!(types, BTreeSet::from(["endpoint.disabled".to_string(), "endpoint.gone".to_string()]));
    for r in &told {
        let data = &r.json()["data"];
        assert_eq!(data["endpoint_id"], endpoint.id.as_str());
        assert_eq!(data["last_attempt"]["response_status"], 410, "{data}");
        if event_type(r) == "endpoint.disabled" {
            assert_eq!(data["cause"], "gone");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_by_hand_and_re_enabling_are_announced_once_each() {
    let app = spawn_app().await;
    let (platform, _) = platform_listens(&app, Value::Null).await;
    let account = app.create_account().await;
    let key = app.create_key(&account).await;
    let endpoint = app.create_endpoint(&account, &Receiver::ok().await.url()).await;
    let action = |name: &str, body: Value| {
        let path = format!("/v1/accounts/{account}/endpoints/{}/{name}", endpoint.id);
        app.request_as(&key, Method::POST, &path).json(&body).send()
    };

    expect_json(action("disable", json!({})).await.expect("sent"), 200).await;
    expect_json(action("enable", json!({"redeliver_missed": true})).await.expect("sent"), 200).await;
    // Already enabled: nothing to tell.
    expect_json(action("enable", json!({})).await.expect("sent"), 200).await;
    expect_json(action("disable", json!({})).await.expect("sent"), 200).await;

    platform.wait_for(3).await;
    let events = polled(&app).await;
    let told: Vec<(&str, &Value)> = events.iter().map(|e| (e["type"].as_str().expect("a type"), &e["data"])).collect();
    assert_eq!(told.len(), 3, "{events:#?}");
    assert_eq!(told[0].0, "endpoint.disabled");
    assert_eq!(told[0].1["cause"], "manual");
    assert_eq!(told[0].1["last_attempt"], Value::Null);
    assert_eq!(told[1].0, "endpoint.enabled");
    assert_eq!(told[1].1["redeliver_missed"], true);
    assert_eq!(told[2].0, "endpoint.disabled");
    assert_eq!(platform.count(), 3, "each change reaches the platform once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_without_an_endpoint_hears_of_a_disable_on_the_live_stream() {
    let app = spawn_app().await;
    let mut stream = Stream::open(&app, HERALD).await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &Receiver::ok().await.url()).await;

    app.endpoint_action(&account, &endpoint.id, "disable", json!({})).await;

    let told = stream.next_event().await;
    assert_eq!(told.event, "endpoint.disabled");
    let envelope: Value = serde_json::from_slice(&told.data).expect("a JSON envelope");
    assert_eq!(envelope["data"]["endpoint_id"], endpoint.id.as_str());
    assert_eq!(envelope["data"]["cause"], "manual");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operational_events_cannot_be_published_by_hand_and_only_the_herald_account_subscribes_to_them() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let url = Receiver::ok().await.url();

    let event = json!({"type": "credits.low", "data": credits_low(1)});
    expect_problem(app.post(&format!("/v1/accounts/{HERALD}/events"), &event).await, 403).await;
    expect_problem(app.post(&format!("/v1/accounts/{HERALD}/events/batch"), &json!([event])).await, 403).await;
    let own = json!({"type": "endpoint.disabled", "data": {}});
    let problem = expect_problem(app.post(&format!("/v1/accounts/{account}/events"), &own).await, 422).await;
    assert_eq!(problem["errors"][0]["pointer"], "/type");
    expect_problem(app.post("/v1/accounts", &json!({"id": HERALD, "name": "mine"})).await, 409).await;

    let customer = json!({"url": url, "event_types": ["endpoint.disabled"]});
    let problem = expect_problem(app.post(&format!("/v1/accounts/{account}/endpoints"), &customer).await, 422).await;
    assert_eq!(problem["errors"][0]["pointer"], "/event_types/0");
    let platform = json!({"url": url, "event_types": ["project.completed"]});
    let problem = expect_problem(app.post(&format!("/v1/accounts/{HERALD}/endpoints"), &platform).await, 422).await;
    assert_eq!(problem["errors"][0]["pointer"], "/event_types/0");

    let catalog = app.get_json("/v1/event-types").await["data"].as_array().expect("a list").clone();
    let flag = |name: &str| catalog.iter().find(|t| t["type"] == name).map(|t| t["operational"].clone());
    assert_eq!(flag("endpoint.disabled"), Some(json!(true)));
    assert_eq!(flag("endpoint.gone"), Some(json!(true)));
    assert_eq!(flag("credits.low"), Some(json!(false)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_platform_can_send_itself_a_test_operational_event() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let endpoint = app.create_endpoint(HERALD, &receiver.url()).await;

    let path = format!("/v1/accounts/{HERALD}/endpoints/{}/test", endpoint.id);
    let sent = expect_json(app.post(&path, &json!({"type": "endpoint.disabled"})).await, 202).await;

    assert_eq!(sent["event_type"], "endpoint.disabled");
    let request = &receiver.wait_for(1).await[0];
    assert_eq!(event_type(request), "endpoint.disabled");
    assert_eq!(request.json()["data"]["cause"], "exhausted", "the catalog's example");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_announce_each_change_once() {
    let Some((app, other)) = spawn_two_nodes().await else {
        return;
    };
    let (platform, _) = platform_listens(&app, Value::Null).await;
    let account = app.create_account().await;
    let url = Receiver::ok().await.url();
    let mut endpoints = Vec::new();
    for _ in 0..6 {
        endpoints.push(app.create_endpoint(&account, &url).await.id);
    }
    for (i, id) in endpoints.iter().enumerate() {
        let node = if i % 2 == 0 { &app } else { &other };
        node.endpoint_action(&account, id, "disable", json!({})).await;
    }

    let told = platform.wait_for(6).await;
    let events = polled(&app).await;
    assert_eq!(events.len(), 6, "one event per change, whichever node relayed it: {events:#?}");
    let about: BTreeSet<String> =
        told.iter().map(|r| r.json()["data"]["endpoint_id"].as_str().unwrap().into()).collect();
    assert_eq!(about, endpoints.iter().cloned().collect::<BTreeSet<_>>());
}
