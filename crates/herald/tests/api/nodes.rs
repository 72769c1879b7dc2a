//! Several nodes: two `herald serve` processes on one PostgreSQL database see
//! the same world, and never send the same attempt twice. SQLite is one
//! process's store, so these run only when `HERALD_TEST_ENGINE=postgres`, and
//! on SQLite a second process on the same file is refused.

use std::{collections::BTreeSet, time::Duration};

use clap::Parser;

use serde_json::{json, Value};

use crate::{
    checks::expect_json,
    database::Engine,
    fixtures::credits_low,
    helpers::{spawn_app, TestApp},
    receiver::Receiver,
};

/// Whether this app's database can take a second node; says so when not.
fn runs_on_postgres(app: &TestApp) -> bool {
    let yes = app.database.engine() == Engine::Postgres;
    if !yes {
        println!("skipped: needs HERALD_TEST_ENGINE=postgres");
    }
    yes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_one_node_writes_the_other_reads_at_once_and_retries_sent_to_it_are_attempted() {
    let mut a = spawn_app().await;
    if !runs_on_postgres(&a) {
        return;
    }
    let b = a.second_node().await;
    let receiver = Receiver::ok().await;

    let account = a.create_account().await;
    let endpoint = a.create_endpoint(&account, &receiver.url()).await;
    let published = a.publish(&account, "credits.low", credits_low(5)).await;

    let account_on_b = b.get_json(&format!("/v1/accounts/{account}")).await;
    assert_eq!(account_on_b["id"], account.as_str());
    assert_eq!(b.get_endpoint(&account, &endpoint.id).await, a.get_endpoint(&account, &endpoint.id).await);
    let event_on_b = b.get_json(&format!("/v1/accounts/{account}/events/{}", published.id)).await;
    assert_eq!(event_on_b, published.event);

    let delivery = a.delivery_of(&account, &published.id, &endpoint.id).await;
    let id = delivery["id"].as_str().unwrap().to_owned();
    b.wait_for_delivery_status(&account, &id, "succeeded").await;
    assert_eq!(receiver.wait_for(1).await.len(), 1);

    let retry = b.post(&format!("/v1/accounts/{account}/deliveries/{id}/retry"), &json!({})).await;
    expect_json(retry, 202).await;
    let arrived = receiver.wait_for(2).await;
    assert_eq!(arrived[1].attempt(), 2, "the manual retry continues the count");
    assert_eq!(arrived[1].event_id(), published.id);
    // Either node may have sent it; wait until it is logged, so the next retry
    // is not asked for while this attempt is still in flight.
    b.wait_for_delivery(&account, &id, "two attempts logged", |d| {
        d["attempts"].as_array().is_some_and(|a| a.len() == 2)
    })
    .await;

    // With node A gone, only node B can send: the retry it accepts is its own to attempt.
    a.stop().await;
    let retry = b.post(&format!("/v1/accounts/{account}/deliveries/{id}/retry"), &json!({})).await;
    expect_json(retry, 202).await;
    let arrived = receiver.wait_for(3).await;
    assert_eq!(arrived[2].attempt(), 3);
    let d = b
        .wait_for_delivery(&account, &id, "three attempts logged", |d| {
            d["attempts"].as_array().is_some_and(|a| a.len() == 3)
        })
        .await;
    assert_eq!(d["status"], "succeeded");
    assert_eq!(receiver.count(), 3, "each retry is sent once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_live_nodes_never_send_the_same_attempt() {
    let a = spawn_app().await;
    if !runs_on_postgres(&a) {
        return;
    }
    let b = a.second_node().await;
    // Slow enough that each node's per-endpoint limit fills and both claim.
    let receiver = Receiver::slow(Duration::from_millis(25)).await;
    let account = a.create_account().await;
    let endpoint = a.create_endpoint(&account, &receiver.url()).await;
    let items: Vec<Value> =
        (0..200).map(|balance| json!({"type": "credits.low", "data": credits_low(balance)})).collect();

    let response = a.post(&format!("/v1/accounts/{account}/events/batch"), &json!(items)).await;

    let body = expect_json(response, 202).await;
    let published: BTreeSet<String> =
        body["events"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(published.len(), 200);
    receiver.wait_for(200).await;
    let succeeded = format!("endpoint_id={}&status=succeeded", endpoint.id);
    let poll = crate::checks::Poll::new("every delivery to succeed");
    loop {
        let done = b.list_deliveries(&account, &succeeded).await.len();
        if done == 200 {
            break;
        }
        poll.tick(&done).await;
    }
    let arrived = receiver.requests();
    let ids: BTreeSet<String> = arrived.iter().map(|r| r.event_id()).collect();
    assert_eq!(arrived.len(), 200, "one request per event, no attempt sent twice");
    assert_eq!(ids, published, "200 distinct events, the ones published");
    assert!(arrived.iter().all(|r| r.attempt() == 1));
    assert_eq!(a.database.scalar_i64("SELECT COUNT(*) FROM attempts").await, 200);
    drop(b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_on_one_sqlite_file_is_refused_with_a_clear_error() {
    let app = spawn_app().await;
    if app.database.engine() != Engine::Sqlite {
        println!("skipped: a SQLite case");
        return;
    }
    let url = app.database.url();
    let config = herald::Config::try_parse_from(["herald", "--listen", "127.0.0.1:0", "--database-url", &url])
        .expect("the configuration parses");

    let refused = herald::Application::build(config).await.err().expect("a second Herald on the file is refused");

    let message = format!("{refused:#}");
    assert!(message.contains("another herald process is using the SQLite database"), "{message}");
    app.get_json("/healthz").await; // the first one goes on serving
}
