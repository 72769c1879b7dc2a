//! The hand-off: a publish leases its new deliveries to its own node in its
//! own commit, and the dispatcher sends them with no claim. Publishes sent at
//! once to an account with two endpoints for every event, one for credits
//! only and a disabled one must reach each healthy endpoint once per event,
//! first attempt, signed with that endpoint's secret, and leave the disabled
//! one's deliveries skipped. On PostgreSQL a second node polls the same
//! database all along: a handed-off delivery inserted without its lease would
//! be claimed there too and sent twice, and one leased but never queued
//! would wait out its lease (the delivery timeout plus a 30 s margin), past
//! every wait of the suite.

use std::collections::{BTreeMap, HashSet};

use futures::future::join_all;
use serde_json::json;

use crate::{
    checks::expect_json,
    database::Engine,
    fixtures::mixed_event,
    helpers::{spawn_app, Endpoint, TestApp},
    receiver::Receiver,
    signature::assert_signed_by,
};

/// Single-event publishes sent at once.
const SINGLES: i64 = 24;
/// Batches of three sent at once, among the singles.
const BATCHES: i64 = 3;

/// Publishes every single and batch at once; each published envelope's id and type.
async fn publish_at_once(app: &TestApp, account: &str) -> Vec<(String, String)> {
    let singles = join_all((0..SINGLES).map(|n| async move { app.post_publish(account, &mixed_event(n)).await }));
    let path = &format!("/v1/accounts/{account}/events/batch");
    let batches = join_all((0..BATCHES).map(|n| {
        let body = json!([mixed_event(100 * n), mixed_event(100 * n + 1), mixed_event(100 * n + 2)]);
        async move { app.post(path, &body).await }
    }));
    let (singles, batches) = tokio::join!(singles, batches);
    let mut envelopes = Vec::new();
    for response in singles {
        envelopes.push(expect_json(response, 202).await["event"].clone());
    }
    for response in batches {
        envelopes.extend(expect_json(response, 202).await["events"].as_array().unwrap().iter().cloned());
    }
    envelopes.iter().map(|e| (e["id"].as_str().unwrap().to_owned(), e["type"].as_str().unwrap().to_owned())).collect()
}

/// Waits until `endpoint` has `expected.len()` successes, then checks that
/// `receiver` got each of `expected` exactly once, as a first attempt signed
/// with the endpoint's secret.
async fn assert_each_arrived_once_signed(
    app: &TestApp,
    account: &str,
    endpoint: &Endpoint,
    receiver: &Receiver,
    expected: &HashSet<&str>,
) {
    app.wait_for_deliveries(account, &endpoint.id, "succeeded", expected.len()).await;
    let arrived = receiver.wait_for(expected.len()).await;
    let mut times: BTreeMap<String, usize> = BTreeMap::new();
    for request in &arrived {
        *times.entry(request.event_id()).or_default() += 1;
        assert_eq!(request.attempt(), 1, "a handed-off delivery is its first attempt");
        assert_signed_by(request, &[&endpoint.secret]);
    }
    assert!(times.values().all(|&n| n == 1), "no event sent twice to {}: {times:#?}", endpoint.id);
    assert_eq!(times.keys().map(String::as_str).collect::<HashSet<_>>(), *expected, "to {}", endpoint.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handed_off_deliveries_reach_each_healthy_endpoint_once_signed_and_skip_the_disabled_one() {
    let app = spawn_app().await;
    // On PostgreSQL another node claims from the same database meanwhile.
    let other_node = match app.database.engine() {
        Engine::Postgres => Some(app.second_node().await),
        Engine::Sqlite => None,
    };
    let receivers = [Receiver::ok().await, Receiver::ok().await, Receiver::ok().await, Receiver::ok().await];
    let account = app.create_account().await;
    let every = app.create_endpoint(&account, &receivers[0].url()).await;
    let every_too = app.create_endpoint(&account, &receivers[1].url()).await;
    let credits =
        app.create_endpoint_with(&account, json!({"url": receivers[2].url(), "event_types": ["credits.*"]})).await;
    let off = app.create_endpoint(&account, &receivers[3].url()).await;
    app.endpoint_action(&account, &off.id, "disable", json!({})).await;

    let published = publish_at_once(&app, &account).await;

    let all: HashSet<&str> = published.iter().map(|(id, _)| id.as_str()).collect();
    let credit_ids: HashSet<&str> =
        published.iter().filter(|(_, t)| t.starts_with("credits.")).map(|(id, _)| id.as_str()).collect();
    assert_eq!(all.len(), (SINGLES + 3 * BATCHES) as usize);
    assert_each_arrived_once_signed(&app, &account, &every, &receivers[0], &all).await;
    assert_each_arrived_once_signed(&app, &account, &every_too, &receivers[1], &all).await;
    assert_each_arrived_once_signed(&app, &account, &credits, &receivers[2], &credit_ids).await;
    let skipped = app.list_deliveries(&account, &format!("endpoint_id={}&status=skipped", off.id)).await;
    assert_eq!(skipped.len(), all.len(), "every event skips the disabled endpoint");
    assert_eq!(app.list_deliveries(&account, &format!("endpoint_id={}", off.id)).await.len(), all.len());
    let sent = 2 * all.len() + credit_ids.len();
    assert_eq!(app.database.scalar_i64("SELECT COUNT(*) FROM attempts").await, sent as i64, "one attempt each");
    assert_eq!(receivers[3].count(), 0, "nothing reaches the disabled endpoint");
    drop(other_node);
}
