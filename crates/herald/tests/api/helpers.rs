//! Starts Herald in process (port 0, its own fresh database: see
//! [`TestDatabase`]), stops and restarts it on the same database, starts more
//! nodes on it, and speaks its API with typed helpers that fail loudly with
//! the response body.

use std::{sync::Arc, time::Duration};

use clap::Parser;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::task::JoinHandle;

pub use crate::options::Options;
pub use crate::publisher::{Published, Publisher};
use crate::{
    checks::{expect_json, Poll},
    database::TestDatabase,
};

/// The admin token every test app is started with (unless a test asks for a generated one).
pub const ADMIN_TOKEN: &str = "test-admin-token";

/// How long any wait may last before the test fails: a guard, never a synchronisation.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// How often state is polled through the API while waiting for it.
pub const POLL_EVERY: Duration = Duration::from_millis(20);

/// A running Herald and a client for it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The API port of the current run (changes on restart).
    pub port: u16,
    /// The admin token in force.
    pub admin_token: String,
    /// A plain HTTP client (no default headers).
    pub client: reqwest::Client,
    /// The store, shared by every node of this test; removed when the last one goes.
    pub database: Arc<TestDatabase>,
    /// Herald's data directory (`--data-dir`: the generated admin token), shared by every node.
    pub data_dir: Arc<TempDir>,
    options: Options,
    running: Option<Running>,
}

/// The handles of one run of the application.
struct Running {
    handle: herald::ShutdownHandle,
    join: JoinHandle<anyhow::Result<()>>,
}

/// A Herald with the suite's usual options.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

/// Two nodes on one PostgreSQL database, or `None`, said aloud, when the
/// suite runs on SQLite (one process's store).
pub async fn spawn_two_nodes() -> Option<(TestApp, TestApp)> {
    let app = spawn_app().await;
    if app.database.engine() != crate::database::Engine::Postgres {
        println!("skipped: needs HERALD_TEST_ENGINE=postgres (SQLite is one node's store)");
        return None;
    }
    let other = app.second_node().await;
    Some((app, other))
}

/// A Herald with the given options.
pub async fn spawn_app_with(options: Options) -> TestApp {
    try_spawn_app_with(options).await.unwrap_or_else(|e| panic!("Herald builds: {e:#}"))
}

/// A Herald with the given options, or why it refused to start.
pub async fn try_spawn_app_with(options: Options) -> anyhow::Result<TestApp> {
    let database = Arc::new(TestDatabase::create().await);
    let data_dir = Arc::new(tempfile::tempdir().expect("a temporary data directory"));
    TestApp::start_on(database, data_dir, options).await
}

/// A Herald on `database` (one the test manages itself) with the given options.
pub async fn spawn_app_on(database: TestDatabase, options: Options) -> TestApp {
    let data_dir = Arc::new(tempfile::tempdir().expect("a temporary data directory"));
    TestApp::start_on(Arc::new(database), data_dir, options).await.unwrap_or_else(|e| panic!("Herald builds: {e:#}"))
}

impl TestApp {
    /// Starts a node on the given database and data directory.
    async fn start_on(database: Arc<TestDatabase>, data_dir: Arc<TempDir>, options: Options) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        let mut app = TestApp {
            address: String::new(),
            port: 0,
            admin_token: String::new(),
            client,
            database,
            data_dir,
            options,
            running: None,
        };
        app.start("127.0.0.1:0").await?;
        Ok(app)
    }

    /// Another `herald serve` on this app's database, with the same options,
    /// running beside this one: what a second node of a deployment is.
    pub async fn second_node(&self) -> TestApp {
        Self::start_on(self.database.clone(), self.data_dir.clone(), self.options.clone())
            .await
            .unwrap_or_else(|e| panic!("the second node builds: {e:#}"))
    }

    async fn start(&mut self, listen: &str) -> anyhow::Result<()> {
        let o = &self.options;
        let mut args = vec![
            "herald".to_string(),
            "--listen".into(),
            listen.into(),
            "--database-url".into(),
            self.database.url(),
            "--data-dir".into(),
            self.data_dir.path().display().to_string(),
            "--dev".into(),
            o.dev.to_string(),
            "--retry-schedule".into(),
            o.retry_schedule.clone(),
            "--delivery-timeout".into(),
            o.delivery_timeout.clone(),
            "--poll-interval".into(),
            o.poll_interval.clone(),
            "--retention".into(),
            o.retention.clone(),
            "--stream-heartbeat".into(),
            o.stream_heartbeat.clone(),
            "--stream-poll".into(),
            o.poll_interval.clone(),
            "--stream-write-timeout".into(),
            o.stream_write_timeout.clone(),
        ];
        if let Some(max) = o.max_endpoints {
            args.extend(["--max-endpoints-per-account".into(), max.to_string()]);
        }
        if let Some(margin) = &o.lease_margin {
            args.extend(["--lease-margin".into(), margin.clone()]);
        }
        if let Some((timeout, max)) = &o.connections {
            args.extend(["--header-read-timeout".into(), timeout.clone(), "--max-connections".into(), max.to_string()]);
        }
        if let Some(timeout) = &o.body_read_timeout {
            args.extend(["--body-read-timeout".into(), timeout.clone()]);
        }
        if let Some(per_second) = o.account_rate_limit {
            args.extend(["--account-rate-limit".into(), per_second.to_string()]);
        }
        if let Some(max) = o.max_in_flight_per_endpoint {
            args.extend(["--max-in-flight-per-endpoint".into(), max.to_string()]);
        }
        if let Some(limit) = &o.sqlite_wal_limit {
            args.extend(["--sqlite-wal-limit".into(), limit.clone()]);
        }
        if let Some(token) = &o.admin_token {
            args.extend(["--admin-token".into(), token.clone()]);
        }
        if let Some(key) = &o.encryption_key {
            args.extend(["--encryption-key".into(), key.clone()]);
        }
        if let Some(keys) = &o.encryption_old_keys {
            args.extend(["--encryption-old-keys".into(), keys.clone()]);
        }
        if let Some(blocks) = &o.allow_targets {
            args.extend(["--allow-targets".into(), blocks.clone()]);
        }
        let config = herald::Config::try_parse_from(&args).expect("the test configuration parses");
        let app = herald::Application::build(config).await?;
        self.port = app.port();
        self.address = format!("http://127.0.0.1:{}", self.port);
        self.admin_token = app.admin_token().to_string();
        let handle = app.shutdown_handle();
        let join = tokio::spawn(app.run_until_stopped());
        self.running = Some(Running { handle, join });
        Ok(())
    }

    /// Stops Herald gracefully and waits until it has stopped.
    pub async fn stop(&mut self) {
        let Some(Running { handle, join }) = self.running.take() else {
            return;
        };
        handle.shutdown();
        let outcome = tokio::time::timeout(DEADLINE, join)
            .await
            .expect("Herald stops within the deadline")
            .expect("Herald's task does not panic");
        outcome.expect("Herald stops without an error");
    }

    /// Stops Herald and starts a new one on the same database with the same options.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.start("127.0.0.1:0").await.unwrap_or_else(|e| panic!("Herald builds again: {e:#}"));
    }

    /// Stops Herald and starts a new one on the same database with other
    /// options, which the following restarts keep; returns why it refused to start.
    pub async fn try_restart_with(&mut self, options: Options) -> anyhow::Result<()> {
        self.stop().await;
        self.options = options;
        self.start("127.0.0.1:0").await
    }

    /// [`TestApp::try_restart_with`], expecting the start to succeed.
    pub async fn restart_with(&mut self, options: Options) {
        self.try_restart_with(options).await.unwrap_or_else(|e| panic!("Herald builds again: {e:#}"));
    }

    /// Stops Herald and starts a new one on the same database, options and
    /// port: what a client that keeps its server URL sees of a restart.
    pub async fn restart_on_same_port(&mut self) {
        self.stop().await;
        let listen = format!("127.0.0.1:{}", self.port);
        self.start(&listen).await.unwrap_or_else(|e| panic!("Herald builds again: {e:#}"));
    }

    /// The full URL of an API path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A request with the admin token.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.request_as(&self.admin_token, method, path)
    }

    /// A request with the given bearer token.
    pub fn request_as(&self, token: &str, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(token)
    }

    /// A series of `/metrics` as it is now (see [`metric_in`](crate::checks::metric_in)).
    pub async fn metric(&self, series: &str) -> f64 {
        crate::checks::metric_in(&self.get("/metrics").await.text().await.expect("the metrics"), series)
    }

    /// `GET` with the admin token.
    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path).send().await.expect("GET sent")
    }

    /// `POST` of a JSON body with the admin token.
    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.request(Method::POST, path).json(body).send().await.expect("POST sent")
    }

    /// `GET` with the admin token, expecting `200` and JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        expect_json(self.get(path).await, 200).await
    }

    /// A new account; returns its id.
    pub async fn create_account(&self) -> String {
        let body = expect_json(self.post("/v1/accounts", &json!({"name": "Test account"})).await, 201).await;
        body["id"].as_str().expect("an account id").to_string()
    }

    /// A new account key; returns the key itself (`hk_…`).
    pub async fn create_key(&self, account: &str) -> String {
        let path = format!("/v1/accounts/{account}/keys");
        let body = expect_json(self.post(&path, &json!({})).await, 201).await;
        body["key"].as_str().expect("a key").to_string()
    }

    /// A new endpoint subscribed to every type.
    pub async fn create_endpoint(&self, account: &str, url: &str) -> Endpoint {
        self.create_endpoint_with(account, json!({ "url": url })).await
    }

    /// A new endpoint from the given request body.
    pub async fn create_endpoint_with(&self, account: &str, body: Value) -> Endpoint {
        let path = format!("/v1/accounts/{account}/endpoints");
        let body = expect_json(self.post(&path, &body).await, 201).await;
        Endpoint {
            id: body["id"].as_str().expect("an endpoint id").to_string(),
            secret: body["secret"].as_str().expect("a secret").to_string(),
            body,
        }
    }

    /// The endpoint object.
    pub async fn get_endpoint(&self, account: &str, endpoint: &str) -> Value {
        self.get_json(&format!("/v1/accounts/{account}/endpoints/{endpoint}")).await
    }

    /// `POST …/endpoints/{endpoint}/{action}` with a JSON body, expecting `200`.
    pub async fn endpoint_action(&self, account: &str, endpoint: &str, action: &str, body: Value) -> Value {
        let path = format!("/v1/accounts/{account}/endpoints/{endpoint}/{action}");
        expect_json(self.post(&path, &body).await, 200).await
    }

    /// Publishes one event, expecting `202`.
    pub async fn publish(&self, account: &str, event_type: &str, data: Value) -> Published {
        let response = self.post_publish(account, &json!({"type": event_type, "data": data})).await;
        let body = expect_json(response, 202).await;
        Published::from_body(&body)
    }

    /// A publisher for this app that tasks of their own can own.
    pub fn publisher(&self) -> Publisher {
        Publisher::new(self.client.clone(), self.address.clone(), self.admin_token.clone())
    }

    /// Sends a publish request as is, for tests of its refusals.
    pub async fn post_publish(&self, account: &str, body: &Value) -> Response {
        self.post(&format!("/v1/accounts/{account}/events"), body).await
    }

    /// One delivery, with its attempts.
    pub async fn get_delivery(&self, account: &str, delivery: &str) -> Value {
        self.get_json(&format!("/v1/accounts/{account}/deliveries/{delivery}")).await
    }

    /// The deliveries of an account matching a query such as `event_id=evt_…`
    /// (first page, at most 500).
    pub async fn list_deliveries(&self, account: &str, query: &str) -> Vec<Value> {
        let body = self.get_json(&format!("/v1/accounts/{account}/deliveries?limit=500&{query}")).await;
        body["data"].as_array().expect("a delivery list").clone()
    }

    /// The single delivery of an event to an endpoint.
    pub async fn delivery_of(&self, account: &str, event: &str, endpoint: &str) -> Value {
        let found = self.list_deliveries(account, &format!("event_id={event}&endpoint_id={endpoint}")).await;
        assert_eq!(found.len(), 1, "one delivery of {event} to {endpoint}: {found:#?}");
        found[0].clone()
    }

    /// The events of an account (first page, at most 500), newest first.
    pub async fn list_events(&self, account: &str) -> Vec<Value> {
        let body = self.get_json(&format!("/v1/accounts/{account}/events?limit=500")).await;
        body["data"].as_array().expect("an event list").clone()
    }

    /// Every event after `after`, oldest first, read page by page with `after=`
    /// as a poller does (the next `after` is the last id of a page).
    pub async fn events_after(&self, account: &str, after: &str) -> Vec<Value> {
        let mut events = Vec::new();
        let mut after = after.to_string();
        loop {
            let page = self.get_json(&format!("/v1/accounts/{account}/events?after={after}&limit=500")).await;
            let data = page["data"].as_array().expect("a page of events");
            events.extend(data.iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => after = next.to_string(),
                None => return events,
            }
        }
    }

    /// Waits until the delivery has the given status; returns it.
    pub async fn wait_for_delivery_status(&self, account: &str, delivery: &str, status: &str) -> Value {
        self.wait_for_delivery(account, delivery, &format!("status {status}"), |d| d["status"] == status).await
    }

    /// Waits until the delivery's first attempt is logged; returns it.
    pub async fn wait_for_first_attempt(&self, account: &str, delivery: &Value) -> Value {
        let id = delivery["id"].as_str().expect("a delivery id");
        self.wait_for_delivery(account, id, "a first attempt", |d| {
            d["attempts"].as_array().is_some_and(|a| !a.is_empty())
        })
        .await
    }

    /// Waits until the delivery satisfies `done`; returns it.
    pub async fn wait_for_delivery(
        &self,
        account: &str,
        delivery: &str,
        what: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let poll = Poll::new(format!("delivery {delivery} to reach {what}"));
        loop {
            let d = self.get_delivery(account, delivery).await;
            if done(&d) {
                return d;
            }
            poll.tick(&d).await;
        }
    }

    /// Waits until `n` deliveries to `endpoint` have `status`; returns them.
    pub async fn wait_for_deliveries(&self, account: &str, endpoint: &str, status: &str, n: usize) -> Vec<Value> {
        self.wait_for_deliveries_where(account, endpoint, status, n, |_| true).await
    }

    /// Waits until `n` deliveries to `endpoint` have `status`, each of them
    /// satisfying `done` (a status that holds from the start, like `pending`,
    /// needs `done` to wait for anything); returns them.
    pub async fn wait_for_deliveries_where(
        &self,
        account: &str,
        endpoint: &str,
        status: &str,
        n: usize,
        done: impl Fn(&Value) -> bool,
    ) -> Vec<Value> {
        let poll = Poll::new(format!("{n} deliveries to {endpoint} {status}"));
        loop {
            let found = self.list_deliveries(account, &format!("endpoint_id={endpoint}&status={status}")).await;
            if found.len() == n && found.iter().all(&done) {
                return found;
            }
            poll.tick(&found.len()).await;
        }
    }

    /// Waits until the endpoint satisfies `done`; returns it.
    pub async fn wait_for_endpoint(
        &self,
        account: &str,
        endpoint: &str,
        what: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let poll = Poll::new(format!("endpoint {endpoint} to be {what}"));
        loop {
            let e = self.get_endpoint(account, endpoint).await;
            if done(&e) {
                return e;
            }
            poll.tick(&e).await;
        }
    }

    /// The catalog served by `GET /v1/event-types`: the types a platform
    /// publishes (the operational ones, which Herald publishes itself, left out).
    pub async fn event_types(&self) -> Vec<Value> {
        let body = self.get_json("/v1/event-types").await;
        let all = body["data"].as_array().expect("a list of types");
        all.iter().filter(|t| t["operational"] != true).cloned().collect()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(running) = &self.running {
            running.handle.shutdown();
        }
    }
}

/// An endpoint as created.
pub struct Endpoint {
    /// `ep_…`.
    pub id: String,
    /// `whsec_…`, as returned at creation.
    pub secret: String,
    /// The whole creation answer.
    pub body: Value,
}
