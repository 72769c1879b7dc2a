//! A node cut off from the database while it holds leases (issue 19, fault
//! 2): paused with SIGSTOP in the middle of its attempts, which to the
//! database and the other node is a node that went silent. Its leases run
//! out, the other node sends the same attempts and records them; when the
//! paused node resumes, the outcomes it brings back are stale and dropped
//! (`store/stale.rs`), never written over the newer ones. The receiver's
//! duplicates are counted and bounded by what the paused node had in flight.
//! Two nodes share one database, so this runs in the PostgreSQL run only.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::{
    checks::Poll,
    database::{Engine, TestDatabase},
    fixtures::credits_low,
    node_process::Node,
    receiver::{Receiver, Reply, Script},
};

/// Endpoints of the account, each with one delivery of the event: the
/// attempts in flight at the paused node.
const ENDPOINTS: usize = 10;

/// How long the receiver holds each first attempt before answering `503`:
/// long enough to pause the node in the middle of them, shorter than the
/// delivery timeout, so that the paused node's outcomes are answers.
const HELD: Duration = Duration::from_secs(3);

/// The nodes' delivery timeout and lease margin: a lease of 6 s.
const LEASE: (&str, &str) = ("5s", "1s");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_cut_off_while_holding_leases_loses_them_and_its_stale_outcomes_are_dropped() {
    let database = TestDatabase::create().await;
    if database.engine() != Engine::Postgres {
        println!("skipped: needs HERALD_TEST_ENGINE=postgres (two nodes on one database)");
        return;
    }
    let logs = tempfile::tempdir().unwrap();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let mut cut = Node::start_with_lease("cut-off", &database, &logs, LEASE);
    cut.wait_until_ready().await;
    let first_attempts = vec![Reply::status(503).after(HELD); ENDPOINTS];
    let receiver = Receiver::start(Script::Sequence(first_attempts, Reply::status(200))).await;
    let account = cut.create_account(&client).await;
    for i in 0..ENDPOINTS {
        cut.create_endpoint_with(&client, &account, json!({"url": format!("{}/e{i}", receiver.url())})).await;
    }
    cut.publish(&client, &account, credits_low(1)).await;

    // Every attempt is in flight at the node when it goes silent.
    receiver.wait_for(ENDPOINTS).await;
    cut.signal("STOP");
    let paused_at = Instant::now();
    let in_flight = database.scalar_i64("SELECT COUNT(*) FROM deliveries WHERE lease_until IS NOT NULL").await;
    assert_eq!(in_flight, ENDPOINTS as i64, "the paused node holds every delivery's lease");

    // The other node takes the leases once they run out, and delivers.
    let mut other = Node::start_with_lease("other", &database, &logs, LEASE);
    other.wait_until_ready().await;
    let poll = Poll::new("the other node to deliver what the paused one held");
    loop {
        let succeeded = database.scalar_i64("SELECT COUNT(*) FROM deliveries WHERE status = 'succeeded'").await;
        if succeeded == ENDPOINTS as i64 {
            break;
        }
        poll.tick(&succeeded).await;
    }
    let taken_over_in = paused_at.elapsed();

    // The paused node comes back with an outcome for each (the receiver's
    // `503`, or its own timeout): each is stale, and dropped.
    cut.signal("CONT");
    let poll = Poll::new("the resumed node to bring back its outcomes");
    loop {
        let dropped = cut.counter(&client, "herald_stale_outcomes_total").await;
        if dropped >= ENDPOINTS as f64 {
            break;
        }
        poll.tick(&dropped).await;
    }

    // The newer outcomes stand: every delivery succeeded, with the one
    // attempt the other node made, answered 200.
    let succeeded = database.scalar_i64("SELECT COUNT(*) FROM deliveries WHERE status = 'succeeded'").await;
    assert_eq!(succeeded, ENDPOINTS as i64, "a stale outcome moved a succeeded delivery");
    let attempts = database.scalar_i64("SELECT COUNT(*) FROM attempts").await;
    let answered_200 = database.scalar_i64("SELECT COUNT(*) FROM attempts WHERE response_status = 200").await;
    assert_eq!((attempts, answered_200), (ENDPOINTS as i64, ENDPOINTS as i64), "one attempt each, the newer");
    let duplicates = receiver.count() - ENDPOINTS;
    assert!(duplicates <= ENDPOINTS, "{duplicates} duplicates, but only {ENDPOINTS} attempts were in flight");

    // Both nodes go on working: an event published through the one that was cut off is delivered.
    let before = receiver.count();
    cut.publish(&client, &account, credits_low(2)).await;
    receiver.wait_for(before + ENDPOINTS).await;
    other.stop_in_order().await;
    cut.stop_in_order().await;
    println!(
        "figures: {ENDPOINTS} attempts in flight at the pause; taken over and delivered {:.1} s after it \
         (lease {} + {}); {ENDPOINTS} stale outcomes dropped; lost 0; {duplicates} duplicates",
        taken_over_in.as_secs_f64(),
        LEASE.0,
        LEASE.1
    );
}
