//! Restarts: a new Application on the same database picks up where the old
//! one stopped, so nothing accepted is lost and schedules run to their end.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::{
    fixtures::credits_low,
    helpers::{spawn_app_with, Options},
    receiver::Receiver,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_delivery_resumes_its_schedule_after_a_restart() {
    let mut app = spawn_app_with(Options::default().schedule("0s,200ms,200ms,200ms,200ms,200ms")).await;
    let receiver = Receiver::failing().await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &receiver.url()).await;
    let published = app.publish(&account, "credits.low", credits_low(1)).await;
    let id = app.delivery_of(&account, &published.id, &endpoint.id).await["id"].as_str().unwrap().to_string();
    receiver.wait_for(2).await;

    app.stop().await;
    let before_restart = receiver.count();
    app.restart().await;

    let arrived = receiver.wait_for(6).await;
    assert!(before_restart < 6, "the stop came before the schedule ended");
    let attempts: Vec<u32> = arrived.iter().map(|r| r.attempt()).collect();
    assert_eq!(attempts, [1, 2, 3, 4, 5, 6]);
    let d = app.wait_for_delivery_status(&account, &id, "failed").await;
    let log: Vec<Value> = d["attempts"].as_array().expect("attempts").iter().map(|a| a["n"].clone()).collect();
    assert_eq!(log, (1..=6).map(Value::from).collect::<Vec<_>>());
    app.wait_for_endpoint(&account, &endpoint.id, "disabled", |e| e["enabled"] == false).await;
    assert_eq!(receiver.count(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_published_before_a_stop_are_delivered_after_the_restart() {
    // The first attempt waits a second, so the stop comes before it is due.
    let mut app = spawn_app_with(Options::default().schedule("1s,50ms,50ms,50ms,50ms,50ms")).await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &receiver.url()).await;
    let mut published = BTreeSet::new();
    for balance in 0..20 {
        published.insert(app.publish(&account, "credits.low", credits_low(balance)).await.id);
    }

    app.stop().await;
    app.restart().await;

    let mut arrived = receiver.wait_for(published.len()).await;
    loop {
        let received: BTreeSet<String> = arrived.iter().map(|r| r.event_id()).collect();
        assert!(received.is_subset(&published), "only published events arrive");
        if received == published {
            break;
        }
        arrived = receiver.wait_for(arrived.len() + 1).await;
    }
    // A graceful stop is no crash: nothing is sent twice.
    let mut ids: Vec<String> = arrived.iter().map(|r| r.event_id()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), arrived.len(), "each event arrived once");
    for event in &published {
        let d = app.delivery_of(&account, event, &endpoint.id).await;
        app.wait_for_delivery_status(&account, d["id"].as_str().unwrap(), "succeeded").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_endpoints_and_events_survive_a_restart() {
    let mut app = spawn_app_with(Options::default()).await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, "http://127.0.0.1:9/hook").await;
    let published = app.publish(&account, "credits.low", credits_low(1)).await;
    let key = app.create_key(&account).await;
    let endpoint_before = app.get_endpoint(&account, &endpoint.id).await;

    app.restart().await;

    let account_after = app.get_json(&format!("/v1/accounts/{account}")).await;
    assert_eq!(account_after["id"], account.as_str());
    assert_eq!(app.get_endpoint(&account, &endpoint.id).await, endpoint_before);
    let secret = app.get_json(&format!("/v1/accounts/{account}/endpoints/{}/secret", endpoint.id)).await;
    assert_eq!(secret["secret"], endpoint.secret.as_str());
    let event = app.get_json(&format!("/v1/accounts/{account}/events/{}", published.id)).await;
    assert_eq!(event, published.event);
    let with_key =
        app.request_as(&key, reqwest::Method::GET, &format!("/v1/accounts/{account}/endpoints")).send().await.unwrap();
    assert_eq!(with_key.status().as_u16(), 200, "the account key still works");
}
