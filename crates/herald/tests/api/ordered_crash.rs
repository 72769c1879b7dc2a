//! Ordered endpoints across a `kill -9`: the real `herald` binary is killed
//! while it delivers to an ordered endpoint, and started again (on
//! PostgreSQL, either of two nodes is killed and the other goes on alone
//! first). The receiver still sees every event in publish order, one
//! request at a time; the only repeat is the attempt the dead node had in
//! flight, sent again once its lease expired (at least once).

use std::{collections::BTreeSet, time::Duration};

use serde_json::json;

use crate::{
    crash::wait_until_settled,
    database::{Engine, TestDatabase},
    fixtures::credits_low,
    helpers::ADMIN_TOKEN,
    node_process::Node,
    receiver::{Receiver, Reply, Script},
};

/// Events published before the kill, one after another.
const EVENTS: usize = 40;

/// Requests the receiver has seen at the kill, so that it comes mid-stream.
const KILL_AFTER_RECEIVED: usize = 12;

/// How long the receiver takes to answer: long enough for an attempt to be in flight at the kill.
const ANSWER_AFTER: Duration = Duration::from_millis(25);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ordered_endpoint_keeps_publish_order_across_a_kill_9_and_a_restart() {
    let database = TestDatabase::create().await;
    kill_one_of(&database, 1, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ordered_endpoint_keeps_publish_order_when_either_of_two_nodes_is_killed() {
    let database = TestDatabase::create().await;
    if database.engine() != Engine::Postgres {
        println!("skipped: needs HERALD_TEST_ENGINE=postgres");
        return;
    }
    kill_one_of(&database, 2, 0).await;
    let database = TestDatabase::create().await;
    kill_one_of(&database, 2, 1).await;
}

/// Runs `nodes` Herald processes on `database`, publishes [`EVENTS`] through
/// them in turn to an ordered endpoint, kills node `victim` with SIGKILL
/// mid-stream, lets the others (if any) finish, restarts it, and checks
/// what the receiver got.
async fn kill_one_of(database: &TestDatabase, nodes: usize, victim: usize) {
    let logs = tempfile::tempdir().expect("a temporary folder for the logs");
    let mut nodes: Vec<Node> = (0..nodes).map(|i| Node::start(&format!("node-{i}"), database, &logs)).collect();
    for node in &mut nodes {
        node.wait_until_ready().await;
    }
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("an HTTP client");
    let receiver = Receiver::start(Script::Always(Reply::status(200).after(ANSWER_AFTER))).await;
    let account = nodes[0].create_account(&client).await;
    nodes[0].create_endpoint_with(&client, &account, json!({"url": receiver.url(), "ordered": true})).await;

    let mut published = Vec::with_capacity(EVENTS);
    for i in 0..EVENTS {
        let url = nodes[i % nodes.len()].url(&format!("/v1/accounts/{account}/events"));
        let body = json!({"type": "credits.low", "data": credits_low(i64::try_from(i).expect("small"))});
        let response = client.post(&url).bearer_auth(ADMIN_TOKEN).json(&body).send().await.expect("published");
        assert!(response.status().is_success(), "publish refused: {}", response.status());
        let answer: serde_json::Value = response.json().await.expect("a JSON answer");
        published.push(answer["event"]["id"].as_str().expect("an event id").to_string());
    }
    receiver.wait_for(KILL_AFTER_RECEIVED).await;
    nodes[victim].kill();
    let accepted: BTreeSet<String> = published.iter().cloned().collect();
    if nodes.len() > 1 {
        wait_until_settled(database, std::slice::from_ref(&receiver), &accepted).await;
    }
    nodes[victim].restart();
    nodes[victim].wait_until_ready().await;
    wait_until_settled(database, std::slice::from_ref(&receiver), &accepted).await;

    let requests = receiver.requests();
    let arrived: Vec<String> = requests.iter().map(|r| r.event_id()).collect();
    let mut in_order = arrived.clone();
    in_order.dedup();
    assert_eq!(in_order, published, "publish order, each event repeated at most right after itself");
    let repeats = arrived.len() - in_order.len();
    println!("ordered crash test ({} node(s), node {victim} killed): {repeats} repeated", nodes.len());
    assert!(repeats <= 1, "{repeats} repeats, but an ordered endpoint has one attempt in flight at a time");
    let overlapping = requests.iter().filter(|r| r.open > 1).count();
    assert_eq!(overlapping, 0, "requests sent while another to the same ordered endpoint was open");
}
