//! The database goes away under a running Herald (issue 19, fault 1), on a
//! PostgreSQL cluster of the test's own (`private_postgres`): crashed
//! (`pg_ctl stop -m immediate`), or frozen with its connections open. Meanwhile every request but
//! liveness and readiness is answered 503 with `Retry-After` (never a 500,
//! never a hang: the client gives up after 30 s), readiness turns 503,
//! and nothing answered 503 is stored. When the database returns, readiness
//! and publishing come back by themselves, and every event accepted before,
//! during or after is delivered.
//!
//! Each test makes its own cluster whatever the engine of the run, so they
//! run in the PostgreSQL run only (they would test the same thing twice).

use std::{
    collections::BTreeSet,
    time::{Duration, Instant},
};

use serde_json::json;

use crate::{
    checks::{each_accepted_event_delivered, expect_json, expect_problem, Poll},
    database::{Engine, TestDatabase},
    fixtures::credits_low,
    helpers::{spawn_app_on, Options, TestApp},
    private_postgres::PrivateCluster,
    receiver::Receiver,
};

/// A cluster and a Herald on it, or `None` (said aloud) outside the PostgreSQL run.
/// Retries come 2 s apart: a delivery refused before an outage waits for its
/// next attempt across it, with attempts to spare. Leases last 3 s (the
/// delivery timeout and a margin of 1 s): an outcome that a crash of the
/// server takes back (the attempt log commits without waiting for the disk)
/// is sent again that soon.
async fn herald_on_a_private_cluster() -> Option<(PrivateCluster, TestApp)> {
    if Engine::of_this_run() != Engine::Postgres {
        println!("skipped here: runs in the PostgreSQL run (HERALD_TEST_ENGINE=postgres), on a cluster of its own");
        return None;
    }
    let cluster = PrivateCluster::start()?;
    let options = Options::default().schedule("0s,2s,2s,2s,2s,2s").lease_margin("1s");
    let app = spawn_app_on(TestDatabase::at(cluster.url()), options).await;
    Some((cluster, app))
}

/// Waits until `/readyz` answers `status`; how long that took, for the figures.
async fn ready_turns(app: &TestApp, status: u16) -> Duration {
    let (started, poll) = (Instant::now(), Poll::new(format!("/readyz to answer {status}")));
    loop {
        let got = app.get("/readyz").await.status().as_u16();
        if got == status {
            return started.elapsed();
        }
        poll.tick(&got).await;
    }
}

/// Publishes `n` events that must be accepted; their ids.
async fn accepted(app: &TestApp, account: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(app.publish(account, "credits.low", credits_low(i as i64)).await.id);
    }
    ids
}

/// While the database is away: a publish and a read are answered 503 with
/// `Retry-After`, as problems that say so.
async fn refused_while_away(app: &TestApp, account: &str) -> Duration {
    let body = json!({"type": "credits.low", "data": credits_low(99)});
    let started = Instant::now();
    let response = app.post(&format!("/v1/accounts/{account}/events"), &body).await;
    let answered_in = started.elapsed();
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap_or("").to_owned());
    let problem = expect_problem(response, 503).await;
    assert_eq!(problem["type"], "urn:herald:problem:unavailable", "{problem}");
    assert!(retry_after.is_some_and(|s| s.parse::<u32>().is_ok_and(|n| n > 0)), "a Retry-After in seconds");
    let read = app.get(&format!("/v1/accounts/{account}/deliveries")).await;
    assert!(read.headers().contains_key("retry-after"));
    expect_problem(read, 503).await;
    // Liveness is the process's, not the database's.
    expect_json(app.get("/healthz").await, 200).await;
    answered_in
}

/// The run's figures, for docs/RELIABILITY.md (printed, never asserted: speed is the benchmark's).
fn report(fault: &str, accepted: usize, duplicates: usize, times: [Duration; 4]) {
    let [unready, refused, ready, delivered] = times;
    println!(
        "figures: {fault}: accepted {accepted}, delivered {accepted}, lost 0, duplicates {duplicates}; \
         readiness 503 after {unready:?}, a publish refused in {refused:?}; after the database returned, \
         ready again in {ready:?}, every event delivered in {delivered:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_database_is_answered_503_at_once_and_everything_accepted_is_delivered() {
    let Some((cluster, app)) = herald_on_a_private_cluster().await else { return };
    let receiver = Receiver::failing().await;
    let account = app.create_account().await;
    app.create_endpoint(&account, &receiver.url()).await;
    let mut ids = accepted(&app, &account, 3).await;
    // Each refused once, so that its next attempt falls across the outage.
    let tried = receiver.wait_for(3).await;
    assert_eq!(tried.iter().map(|r| r.event_id()).collect::<BTreeSet<_>>().len(), 3, "each tried once");

    cluster.stop();
    let unready = ready_turns(&app, 503).await;
    let refused = refused_while_away(&app, &account).await;
    receiver.answer_always(200);
    let from = receiver.requests().len();

    cluster.start_again();
    let returned = Instant::now();
    let ready = ready_turns(&app, 200).await;
    ids.extend(accepted(&app, &account, 3).await);
    let duplicates = each_accepted_event_delivered(&app, &account, (&receiver, from), &ids).await;
    report(
        "database crashed (pg_ctl stop -m immediate)",
        ids.len(),
        duplicates,
        [unready, refused, ready, returned.elapsed()],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_database_is_answered_503_not_waited_for_and_work_resumes_when_it_thaws() {
    let Some((cluster, app)) = herald_on_a_private_cluster().await else { return };
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    app.create_endpoint(&account, &receiver.url()).await;
    let mut ids = accepted(&app, &account, 3).await;
    receiver.wait_for(3).await;

    cluster.pause();
    let unready = ready_turns(&app, 503).await;
    let refused = refused_while_away(&app, &account).await;

    cluster.resume();
    let returned = Instant::now();
    let ready = ready_turns(&app, 200).await;
    ids.extend(accepted(&app, &account, 3).await);
    let duplicates = each_accepted_event_delivered(&app, &account, (&receiver, 0), &ids).await;
    report("database frozen (SIGSTOP)", ids.len(), duplicates, [unready, refused, ready, returned.elapsed()]);
}
