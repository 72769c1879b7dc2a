//! A rolling restart of two nodes under load (issue 19, fault 5): while
//! publishers keep sending, one node is stopped in order (SIGTERM) and
//! started again, then the other. The publishers act as a load balancer
//! would: a publish whose connection fails (the node is going or gone) is
//! sent again to the other node under the same `Idempotency-Key`. No
//! publish is ever answered anything but `2xx`, every accepted event
//! reaches every endpoint, and the events sent twice are counted and
//! bounded by the attempts in flight at each stop. Two nodes share one
//! database, so this runs in the PostgreSQL run only.

use std::{
    collections::{BTreeSet, HashMap},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex, RwLock,
    },
    time::Duration,
};

use serde_json::json;
use tokio::task::JoinHandle;

use crate::{
    checks::Poll,
    crash::{leases_held, wait_until_settled},
    database::{Engine, TestDatabase},
    fixtures::credits_low,
    helpers::ADMIN_TOKEN,
    node_process::Node,
    receiver::{Receiver, Reply, Script},
};

/// Publishing tasks running at once.
const PUBLISHERS: usize = 4;

/// Events accepted between two steps of the restart.
const BETWEEN_STEPS: usize = 100;

/// How many times one publish is sent before the test gives up on it.
const SENDS_PER_PUBLISH: usize = 50;

/// The nodes' addresses as the publishers see them, changed as nodes restart.
type Addresses = Arc<RwLock<Vec<String>>>;

/// The publishers' shared record: the ids accepted, and whether to stop.
#[derive(Clone, Default)]
struct Load {
    accepted: Arc<Mutex<BTreeSet<String>>>,
    resent: Arc<Mutex<usize>>,
    stopped: Arc<AtomicBool>,
}

impl Load {
    /// Publishes one event after another until stopped; a send whose
    /// connection fails goes to the other node with the same key, and any
    /// answer but `2xx` fails the test.
    async fn run(self, publisher: usize, account: String, nodes: Addresses) {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
        for n in 0.. {
            if self.stopped.load(Ordering::SeqCst) {
                return;
            }
            let key = format!("rolling-{publisher}-{n}");
            let body = json!({"type": "credits.low", "data": credits_low(n)});
            let mut sent = 0;
            let id = loop {
                assert!(sent < SENDS_PER_PUBLISH, "publish {key} found no node to take it");
                let address = nodes.read().unwrap()[(publisher + n as usize + sent) % 2].clone();
                sent += 1;
                let answer = client
                    .post(format!("{address}/v1/accounts/{account}/events"))
                    .bearer_auth(ADMIN_TOKEN)
                    .header("Idempotency-Key", &key)
                    .json(&body)
                    .send()
                    .await;
                let response = match answer {
                    Ok(response) => response,
                    Err(_) => {
                        // The node is stopping or stopped: the other one takes the same publish.
                        *self.resent.lock().unwrap() += 1;
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                assert!(status.is_success(), "publish {key} to {address} was refused: {status} {text}");
                let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
                break answer["event"]["id"].as_str().expect("an event id").to_owned();
            };
            self.accepted.lock().unwrap().insert(id);
        }
    }

    fn accepted(&self) -> BTreeSet<String> {
        self.accepted.lock().unwrap().clone()
    }

    /// Waits until `more` events beyond `from` are accepted.
    async fn wait_for_more(&self, from: usize, more: usize) {
        let poll = Poll::new(format!("{more} more events accepted"));
        loop {
            let count = self.accepted.lock().unwrap().len();
            if count >= from + more {
                return;
            }
            poll.tick(&count).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_of_two_nodes_under_load_refuses_no_publish_and_loses_nothing() {
    let database = TestDatabase::create().await;
    if database.engine() != Engine::Postgres {
        println!("skipped: needs HERALD_TEST_ENGINE=postgres (two nodes on one database)");
        return;
    }
    let logs = tempfile::tempdir().unwrap();
    let mut nodes = [Node::start("node-a", &database, &logs), Node::start("node-b", &database, &logs)];
    for node in &mut nodes {
        node.wait_until_ready().await;
    }
    let client = reqwest::Client::new();
    let receivers = [
        Receiver::start(Script::Always(Reply::status(200).after(Duration::from_millis(5)))).await,
        Receiver::start(Script::Always(Reply::status(200).after(Duration::from_millis(5)))).await,
    ];
    let account = nodes[0].create_account(&client).await;
    for receiver in &receivers {
        nodes[0].create_endpoint(&client, &account, &receiver.url()).await;
    }
    let addresses: Addresses = Arc::new(RwLock::new(nodes.iter().map(|n| n.url("")).collect()));
    let load = Load::default();
    let publishers: Vec<JoinHandle<()>> =
        (0..PUBLISHERS).map(|i| tokio::spawn(load.clone().run(i, account.clone(), addresses.clone()))).collect();

    let mut held_at_stops = 0;
    load.wait_for_more(0, BETWEEN_STEPS).await;
    for (i, node) in nodes.iter_mut().enumerate() {
        held_at_stops += leases_held(&database).await;
        node.stop_in_order().await;
        let count = load.accepted().len();
        load.wait_for_more(count, BETWEEN_STEPS / 4).await; // the other node alone takes the load
        node.start_again();
        node.wait_until_ready().await;
        addresses.write().unwrap()[i] = node.url("");
        let count = load.accepted().len();
        load.wait_for_more(count, BETWEEN_STEPS).await;
    }
    load.stopped.store(true, Ordering::SeqCst);
    for publisher in publishers {
        publisher.await.expect("no publish refused");
    }

    let accepted = load.accepted();
    wait_until_settled(&database, &receivers, &accepted).await;
    let mut duplicates = 0;
    for receiver in &receivers {
        let mut per_event: HashMap<String, usize> = HashMap::new();
        for request in receiver.requests() {
            *per_event.entry(request.event_id()).or_default() += 1;
        }
        duplicates += per_event.values().map(|n| n - 1).sum::<usize>();
    }
    let resent = *load.resent.lock().unwrap();
    println!(
        "figures: {} events accepted across two restarts, none refused ({resent} sends moved to the other node); \
         lost 0; {duplicates} duplicates, {held_at_stops} attempts in flight at the stops",
        accepted.len()
    );
    assert!(
        i64::try_from(duplicates).unwrap() <= held_at_stops,
        "{duplicates} duplicates, but only {held_at_stops} attempts were in flight at the stops"
    );
}
