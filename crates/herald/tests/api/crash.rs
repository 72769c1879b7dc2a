//! Crashes: the real `herald` binary, killed with SIGKILL while events are
//! being published and delivered, then started again on the same database.
//! Every event whose publish returned `2xx` reaches every endpoint, and the
//! events sent twice are counted and bounded by the attempts in flight at the
//! kill (contract §3, at least once). On PostgreSQL one of two nodes is killed
//! and the other takes over its leases once they expire.

use std::{
    collections::{BTreeSet, HashMap},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use serde_json::json;
use tokio::{sync::watch, task::JoinHandle};

use crate::{
    checks::Poll,
    database::{Engine, TestDatabase},
    fixtures::credits_low,
    helpers::{ADMIN_TOKEN, DEADLINE},
    node_process::Node,
    receiver::{Receiver, Reply, Script},
};

/// Publishing tasks running at once.
const PUBLISHERS: usize = 4;

/// Accepted events before the kill, so that it comes mid-stream.
const KILL_AFTER_ACCEPTED: usize = 300;

/// Requests each receiver has seen before the kill, so that deliveries are running.
const KILL_AFTER_RECEIVED: usize = 50;

/// How long the receivers take to answer: long enough for attempts to be in flight.
const RECEIVER_DELAY: Duration = Duration::from_millis(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_accepted_event_reaches_every_endpoint_after_a_kill_9_and_a_restart() {
    let database = TestDatabase::create().await;
    crash_and_recover(&database, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_accepted_event_reaches_every_endpoint_when_one_of_two_nodes_is_killed() {
    let database = TestDatabase::create().await;
    if database.engine() != Engine::Postgres {
        println!("skipped: needs HERALD_TEST_ENGINE=postgres");
        return;
    }
    crash_and_recover(&database, 2).await;
}

/// Runs `nodes` Herald processes on `database`, publishes through them, kills
/// the first with SIGKILL mid-stream, lets the others (if any) take over,
/// restarts it, and checks what the receivers got.
async fn crash_and_recover(database: &TestDatabase, nodes: usize) {
    let logs = tempfile::tempdir().expect("a temporary folder for the logs");
    let mut nodes: Vec<Node> = (0..nodes).map(|i| Node::start(&format!("node-{i}"), database, &logs)).collect();
    for node in &mut nodes {
        node.wait_until_ready().await;
    }
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("an HTTP client");
    let receivers = [slow_receiver().await, slow_receiver().await];
    let account = nodes[0].create_account(&client).await;
    for receiver in &receivers {
        nodes[0].create_endpoint(&client, &account, &receiver.url()).await;
    }

    let publishing = Publishing::new();
    let publishers: Vec<JoinHandle<()>> = (0..PUBLISHERS)
        .map(|i| {
            let url = nodes[i % nodes.len()].url(&format!("/v1/accounts/{account}/events"));
            tokio::spawn(publishing.clone().run(client.clone(), url))
        })
        .collect();
    publishing.wait_for(KILL_AFTER_ACCEPTED).await;
    for receiver in &receivers {
        receiver.wait_for(KILL_AFTER_RECEIVED).await;
    }

    publishing.stop();
    nodes[0].kill();
    let in_flight = leases_held(database).await;
    for publisher in publishers {
        publisher.await.expect("a publisher does not panic");
    }
    let accepted = publishing.accepted();
    if nodes.len() > 1 {
        // The survivors finish everything, the dead node's leases included.
        wait_until_settled(database, &receivers, &accepted).await;
    }
    nodes[0].restart();
    nodes[0].wait_until_ready().await;
    wait_until_settled(database, &receivers, &accepted).await;

    let not_succeeded = database.scalar_i64("SELECT COUNT(*) FROM deliveries WHERE status <> 'succeeded'").await;
    assert_eq!(not_succeeded, 0, "every delivery to an always-200 receiver succeeded");
    let mut delivered = 0;
    let mut duplicates = 0;
    let mut unanswered = BTreeSet::new();
    for receiver in &receivers {
        let mut per_event: HashMap<String, usize> = HashMap::new();
        for request in receiver.requests() {
            *per_event.entry(request.event_id()).or_default() += 1;
        }
        let missing: Vec<&String> = accepted.iter().filter(|id| !per_event.contains_key(*id)).collect();
        assert!(missing.is_empty(), "accepted events never reached {}: {missing:?}", receiver.url());
        delivered += per_event.values().sum::<usize>();
        duplicates += per_event.values().map(|n| n - 1).sum::<usize>();
        unanswered.extend(per_event.into_keys().filter(|id| !accepted.contains(id)));
    }
    let engine = match database.engine() {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    };
    println!(
        "crash test ({engine}): {} events accepted, {delivered} deliveries, {duplicates} duplicates, \
         {in_flight} attempts in flight at the kill",
        accepted.len()
    );
    println!("crash test ({engine}): {} events delivered whose publish got no answer", unanswered.len());
    assert!(
        i64::try_from(duplicates).expect("a small count") <= in_flight,
        "{duplicates} duplicates, but only {in_flight} attempts were in flight at the kill"
    );
}

/// A receiver that records every request and answers `200` after [`RECEIVER_DELAY`].
async fn slow_receiver() -> Receiver {
    Receiver::start(Script::Always(Reply::status(200).after(RECEIVER_DELAY))).await
}

/// Deliveries leased by a worker whose lease has not run out yet: right after
/// the kill, the attempts the dead process had in flight (on PostgreSQL, the
/// survivors' too, which makes the bound looser but no less true).
pub(crate) async fn leases_held(database: &TestDatabase) -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_millis();
    database
        .scalar_i64(&format!(
            "SELECT COUNT(*) FROM deliveries WHERE status = 'pending' AND lease_until IS NOT NULL AND lease_until > {now}"
        ))
        .await
}

/// Waits until every accepted event reached both receivers and the store has
/// no delivery left pending, so that every second attempt has arrived too.
pub(crate) async fn wait_until_settled(database: &TestDatabase, receivers: &[Receiver], accepted: &BTreeSet<String>) {
    let poll = Poll::new(format!("{} accepted events to reach every endpoint", accepted.len()));
    loop {
        let missing: Vec<(String, usize, Vec<String>)> = receivers
            .iter()
            .map(|receiver| {
                let received: BTreeSet<String> = receiver.requests().iter().map(|r| r.event_id()).collect();
                let missing: Vec<String> = accepted.difference(&received).cloned().collect();
                (receiver.url(), missing.len(), missing.into_iter().take(10).collect())
            })
            .filter(|(_, count, _)| *count > 0)
            .collect();
        if missing.is_empty() {
            break;
        }
        poll.tick(&missing).await;
    }
    let poll = Poll::new("no delivery left pending");
    loop {
        let pending = database.scalar_i64("SELECT COUNT(*) FROM deliveries WHERE status = 'pending'").await;
        if pending == 0 {
            break;
        }
        poll.tick(&format!("{pending} deliveries pending")).await;
    }
}

/// Publishing tasks and what they were told: the ids answered `2xx`.
#[derive(Clone)]
struct Publishing {
    /// Ids of the events whose publish returned `2xx`, with their body read.
    accepted: Arc<Mutex<BTreeSet<String>>>,
    /// How many are accepted so far, for the test to wait on.
    count: Arc<watch::Sender<usize>>,
    /// Set just before the kill: publishers stop, and their failures from then
    /// on are the kill's doing.
    stopped: Arc<AtomicBool>,
}

impl Publishing {
    fn new() -> Self {
        Self {
            accepted: Arc::default(),
            count: Arc::new(watch::channel(0).0),
            stopped: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Publishes `credits.low` events to `url` one after the other until stopped.
    async fn run(self, client: reqwest::Client, url: String) {
        for balance in 0.. {
            if self.stopped.load(Ordering::SeqCst) {
                return;
            }
            let body = json!({ "type": "credits.low", "data": credits_low(balance) });
            let sent = client.post(&url).bearer_auth(ADMIN_TOKEN).json(&body).send().await;
            let answer = match sent {
                Ok(response) if response.status().is_success() => response.json::<serde_json::Value>().await,
                Ok(response) => {
                    let status = response.status();
                    let text = response.text().await.unwrap_or_default();
                    panic!("publish to {url} refused with {status}: {text}");
                }
                Err(e) => Err(e),
            };
            match answer {
                Ok(answer) => {
                    let id = answer["event"]["id"].as_str().expect("an event id").to_string();
                    let mut accepted = self.accepted.lock().expect("accepted lock");
                    accepted.insert(id);
                    self.count.send_replace(accepted.len());
                }
                // The node died under this request: not accepted, and the end of this publisher.
                Err(_) if self.stopped.load(Ordering::SeqCst) => return,
                Err(e) => panic!("publish to {url} failed before the kill: {e}"),
            }
        }
    }

    /// Waits until `n` events are accepted (failing after [`DEADLINE`]).
    async fn wait_for(&self, n: usize) {
        let mut count = self.count.subscribe();
        let reached = tokio::time::timeout(DEADLINE, count.wait_for(|c| *c >= n)).await.is_ok_and(|r| r.is_ok());
        assert!(reached, "{n} events accepted within {DEADLINE:?}, got {}", *count.borrow());
    }

    fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }

    fn accepted(&self) -> BTreeSet<String> {
        self.accepted.lock().expect("accepted lock").clone()
    }
}
