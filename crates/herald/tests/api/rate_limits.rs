//! Rate limits per endpoint: an endpoint with `rate_limit` N gets at most N
//! deliveries a second after a burst of N, on one node or two together, and
//! every delivery over the limit waits its turn instead of being dropped.

use std::{collections::BTreeSet, time::Instant};

use reqwest::Method;
use serde_json::{json, Value};

use crate::{
    checks::{expect_json, expect_problem},
    fixtures::credits_low,
    helpers::{spawn_app, spawn_two_nodes, TestApp},
    receiver::{Receiver, Recorded},
};

/// Asserts that no stretch of the arrivals holds more than a token bucket of
/// `per_second` (burst `per_second`) lets through, with one arrival of slack
/// for the network's jitter.
fn assert_paced(arrived: &[Recorded], per_second: f64) {
    let times: Vec<Instant> = arrived.iter().map(|r| r.at).collect();
    for i in 0..times.len() {
        for j in i + 1..times.len() {
            let span = (times[j] - times[i]).as_secs_f64();
            let allowed = per_second + per_second * span + 1.0;
            let count = (j - i + 1) as f64;
            assert!(
                count <= allowed,
                "{count} deliveries arrived within {span:.3} s; a limit of {per_second}/s allows {allowed:.1}"
            );
        }
    }
}

/// The event ids of `arrived`, each once.
fn distinct_events(arrived: &[Recorded]) -> BTreeSet<String> {
    arrived.iter().map(Recorded::event_id).collect()
}

async fn limited_endpoint(app: &TestApp, receiver: &Receiver, per_second: u32) -> (String, String) {
    let account = app.create_account().await;
    let endpoint = app.create_endpoint_with(&account, json!({"url": receiver.url(), "rate_limit": per_second})).await;
    (account, endpoint.id)
}

fn events(n: i64) -> Vec<(&'static str, Value)> {
    (0..n).map(|i| ("credits.low", credits_low(i))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_gets_no_more_than_its_rate_limit_and_every_delivery_over_it_waits_its_turn() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let (account, endpoint) = limited_endpoint(&app, &receiver, 5).await;

    let published = app.publisher().publish_batch(&account, &events(20)).await;

    let arrived = receiver.wait_for(20).await;
    assert_paced(&arrived, 5.0);
    let ids: BTreeSet<String> = published.iter().map(|e| e["id"].as_str().expect("an id").to_string()).collect();
    assert_eq!(distinct_events(&arrived), ids, "every event arrives");
    app.wait_for_deliveries(&account, &endpoint, "succeeded", 20).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_together_never_exceed_an_endpoints_rate_limit() {
    let Some((app, other)) = spawn_two_nodes().await else {
        return;
    };
    let receiver = Receiver::ok().await;
    let (account, endpoint) = limited_endpoint(&app, &receiver, 4).await;

    // Each node leases what it accepted to its own workers at once.
    let (on_first, on_second) = (app.publisher(), other.publisher());
    let (batch_a, batch_b) = (events(12), events(12));
    let (first, second) =
        tokio::join!(on_first.publish_batch(&account, &batch_a), on_second.publish_batch(&account, &batch_b));

    let arrived = receiver.wait_for(24).await;
    assert_paced(&arrived, 4.0);
    let ids: BTreeSet<String> =
        first.iter().chain(&second).map(|e| e["id"].as_str().expect("an id").to_string()).collect();
    assert_eq!(distinct_events(&arrived), ids, "every event arrives");
    app.wait_for_deliveries(&account, &endpoint, "succeeded", 24).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_is_set_changed_and_removed_and_nonsense_is_refused_at_its_field() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let endpoints = format!("/v1/accounts/{account}/endpoints");
    let receiver = Receiver::ok().await;

    for bad in [json!(0), json!(-1), json!(10_001), json!("5"), json!(1.5), json!(true)] {
        let refused = app.post(&endpoints, &json!({"url": receiver.url(), "rate_limit": bad})).await;
        let problem = expect_problem(refused, 422).await;
        assert_eq!(problem["errors"][0]["pointer"], "/rate_limit", "{bad}: {problem}");
    }
    let listed = expect_json(app.get(&endpoints).await, 200).await;
    assert_eq!(listed["data"], json!([]), "nothing refused is stored");

    let created = app.create_endpoint_with(&account, json!({"url": receiver.url(), "rate_limit": 50})).await;
    let one = format!("{endpoints}/{}", created.id);
    assert_eq!(app.get_json(&one).await["rate_limit"], 50);
    let patch = |body: Value| app.request(Method::PATCH, &one).json(&body).send();

    let changed = expect_json(patch(json!({"rate_limit": 7})).await.expect("sent"), 200).await;
    assert_eq!(changed["rate_limit"], 7);
    let untouched = expect_json(patch(json!({"description": "x"})).await.expect("sent"), 200).await;
    assert_eq!(untouched["rate_limit"], 7, "a PATCH without the field keeps it");
    let refused = expect_problem(patch(json!({"rate_limit": 0})).await.expect("sent"), 422).await;
    assert_eq!(refused["errors"][0]["pointer"], "/rate_limit");
    let removed = expect_json(patch(json!({"rate_limit": null})).await.expect("sent"), 200).await;
    assert_eq!(removed["rate_limit"], Value::Null);
    let plain = app.create_endpoint(&account, &receiver.url()).await;
    assert_eq!(app.get_json(&format!("{endpoints}/{}", plain.id)).await["rate_limit"], Value::Null);
}
