//! One `herald serve` process of a test's own, the real binary: started on a
//! free port with its log in a file, killed (`kill -9`), stopped in order
//! (SIGTERM), paused and resumed (SIGSTOP, SIGCONT), and started again on
//! the same database. The crash, cut-off and rolling-restart tests run them.

use std::{
    fs::OpenOptions,
    io::Write,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

use serde_json::json;
use tempfile::TempDir;

use crate::{
    checks::{expect_json, metric_in, Poll},
    database::TestDatabase,
    fixtures::free_port,
    helpers::ADMIN_TOKEN,
};

/// How many lines of a node's log a failure prints.
const LOG_TAIL: usize = 200;

/// One `herald serve` process; killed when dropped, its log printed if the test failed.
pub(crate) struct Node {
    /// For the log's file name and the failure report.
    name: String,
    /// The database it runs on.
    database_url: String,
    /// Where its stdout and stderr go, every run appended.
    log: PathBuf,
    /// `http://127.0.0.1:<port>` of the current run.
    address: String,
    /// The running process, if any.
    child: Option<Child>,
    /// `--delivery-timeout` and `--lease-margin`: a lease lasts their sum.
    lease: (String, String),
}

impl Node {
    /// Starts the process on a free port (readiness is [`Node::wait_until_ready`]).
    pub(crate) fn start(name: &str, database: &TestDatabase, logs: &TempDir) -> Self {
        Self::start_with_lease(name, database, logs, ("2s", "1s"))
    }

    /// [`Node::start`] with another delivery timeout and lease margin.
    pub(crate) fn start_with_lease(
        name: &str,
        database: &TestDatabase,
        logs: &TempDir,
        (timeout, margin): (&str, &str),
    ) -> Self {
        let mut node = Self {
            name: name.to_string(),
            database_url: database.url(),
            log: logs.path().join(format!("{name}.log")),
            address: String::new(),
            child: None,
            lease: (timeout.into(), margin.into()),
        };
        node.spawn();
        node
    }

    fn spawn(&mut self) {
        let port = free_port();
        self.address = format!("http://127.0.0.1:{port}");
        let mut log = OpenOptions::new().create(true).append(true).open(&self.log).expect("the node's log opens");
        writeln!(log, "--- {} starts on {} ---", self.name, self.address).expect("the node's log is writable");
        let child = Command::new(env!("CARGO_BIN_EXE_herald"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--database-url", &self.database_url])
            .args(["--dev", "true", "--admin-token", ADMIN_TOKEN])
            .args(["--retry-schedule", "0s,100ms,100ms,100ms,100ms,100ms", "--delivery-timeout", &self.lease.0])
            .args(["--lease-margin", &self.lease.1, "--poll-interval", "50ms"])
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("the log's handle clones"))
            .stderr(log)
            .spawn()
            .expect("the herald binary starts");
        self.child = Some(child);
    }

    /// Polls `/readyz` until it answers `200`; fails if the process exits first.
    pub(crate) async fn wait_until_ready(&mut self) {
        let client = reqwest::Client::new();
        let poll = Poll::new(format!("{} to be ready at {}", self.name, self.address));
        loop {
            let child = self.child.as_mut().expect("a running node");
            if let Some(status) = child.try_wait().expect("the node's status") {
                panic!("{} exited before it was ready: {status}", self.name);
            }
            let answer = client.get(self.url("/readyz")).send().await;
            if answer.as_ref().is_ok_and(|r| r.status().is_success()) {
                return;
            }
            poll.tick(&answer.map(|r| r.status())).await;
        }
    }

    /// `kill -9`, and the process reaped.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL is delivered");
            child.wait().expect("the killed node is reaped");
        }
    }

    /// Sends `signal` (`STOP`, `CONT`, `TERM`) to the process.
    pub(crate) fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("a running node").id().to_string();
        let status = Command::new("kill").args([&format!("-{signal}"), &pid]).status().expect("kill runs");
        assert!(status.success(), "kill -{signal} {pid}: {status}");
    }

    /// SIGTERM, and waits for the process to finish what it holds and exit;
    /// fails the test if it exits with an error.
    pub(crate) async fn stop_in_order(&mut self) {
        self.signal("TERM");
        let mut child = self.child.take().expect("a running node");
        let status = tokio::task::spawn_blocking(move || child.wait()).await.unwrap().expect("the node is reaped");
        assert!(status.success(), "{} exited with {status} after SIGTERM", self.name);
    }

    /// A counter of the node's `/metrics` (0 before its first increment).
    pub(crate) async fn counter(&self, client: &reqwest::Client, name: &str) -> f64 {
        let text = client.get(self.url("/metrics")).send().await.expect("GET /metrics").text().await.unwrap();
        metric_in(&text, name)
    }

    /// Starts the process again on the same database.
    pub(crate) fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Starts the process after [`Node::stop_in_order`].
    pub(crate) fn start_again(&mut self) {
        self.spawn();
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub(crate) async fn create_account(&self, client: &reqwest::Client) -> String {
        let response = client
            .post(self.url("/v1/accounts"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({ "name": "Crash test" }))
            .send()
            .await
            .expect("POST /v1/accounts sent");
        expect_json(response, 201).await["id"].as_str().expect("an account id").to_string()
    }

    pub(crate) async fn create_endpoint(&self, client: &reqwest::Client, account: &str, url: &str) {
        self.create_endpoint_with(client, account, json!({ "url": url })).await;
    }

    /// Publishes a `credits.low` event with `data` to `account`, which must be accepted.
    pub(crate) async fn publish(&self, client: &reqwest::Client, account: &str, data: serde_json::Value) {
        let response = client
            .post(self.url(&format!("/v1/accounts/{account}/events")))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({ "type": "credits.low", "data": data }))
            .send()
            .await
            .expect("POST …/events sent");
        expect_json(response, 202).await;
    }

    /// A new endpoint from the given request body.
    pub(crate) async fn create_endpoint_with(&self, client: &reqwest::Client, account: &str, body: serde_json::Value) {
        let response = client
            .post(self.url(&format!("/v1/accounts/{account}/endpoints")))
            .bearer_auth(ADMIN_TOKEN)
            .json(&body)
            .send()
            .await
            .expect("POST …/endpoints sent");
        expect_json(response, 201).await;
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            print_tail(&self.name, &self.log);
        }
    }
}

/// The end of a node's log, for a failed test's report.
fn print_tail(name: &str, log: &Path) {
    let text = std::fs::read_to_string(log).unwrap_or_else(|e| format!("(log unreadable: {e})"));
    let lines: Vec<&str> = text.lines().collect();
    let tail = &lines[lines.len().saturating_sub(LOG_TAIL)..];
    eprintln!("--- last {} lines of {name}'s log ({}) ---\n{}", tail.len(), log.display(), tail.join("\n"));
}
