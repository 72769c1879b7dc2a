//! What the server logs: the real `herald` binary, logging at `trace` (every
//! crate, Herald's own and its libraries'), taken through a whole run — accounts, keys,
//! endpoints with secrets, deliveries that succeed and fail, a secret
//! rotation, a portal sign-in with its CSRF token, refused credentials, and a
//! restart that rotates the encryption key — and then its whole output
//! (stdout and stderr) searched for every secret, key and token of the run.
//! None may appear.

use std::{
    fs::File,
    path::Path,
    process::{Child, Command, Stdio},
};

use base64::{engine::general_purpose::STANDARD, Engine};
use reqwest::{header, Client, Method, StatusCode};
use serde_json::{json, Value};

use crate::{
    checks::Poll,
    database::TestDatabase,
    fixtures::{credits_low, free_port},
    receiver::Receiver,
};

/// What the run logs: everything, from every crate.
const RUST_LOG: &str = "trace";

/// A fresh key: the standard base64 of 32 random bytes.
fn new_key() -> String {
    STANDARD.encode(rand::random::<[u8; 32]>())
}

/// One `herald serve` process writing its stdout and stderr to one file.
struct Server {
    /// `http://127.0.0.1:<port>`.
    address: String,
    /// The process.
    child: Child,
}

impl Server {
    /// Starts the binary with secrets given the way an operator gives them: in the environment.
    fn start(database: &TestDatabase, data_dir: &Path, log: &Path, env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let file = File::options().create(true).append(true).open(log).expect("the log opens");
        let child = Command::new(env!("CARGO_BIN_EXE_herald"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--database-url", &database.url()])
            .args(["--data-dir", &data_dir.display().to_string(), "--dev", "true"])
            .args(["--retry-schedule", "0s,50ms,50ms", "--poll-interval", "50ms", "--delivery-timeout", "2s"])
            .envs(env.iter().copied())
            .env("RUST_LOG", RUST_LOG)
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("the log's handle clones"))
            .stderr(file)
            .spawn()
            .expect("the herald binary starts");
        Self { address: format!("http://127.0.0.1:{port}"), child }
    }

    async fn wait_until_ready(&mut self, client: &Client) {
        let poll = Poll::new(format!("herald to be ready at {}", self.address));
        loop {
            if let Some(status) = self.child.try_wait().expect("the server's status") {
                panic!("herald exited before it was ready: {status}");
            }
            let answer = client.get(self.url("/readyz")).send().await;
            if answer.as_ref().is_ok_and(|r| r.status().is_success()) {
                return;
            }
            poll.tick(&answer.map(|r| r.status())).await;
        }
    }

    /// SIGTERM, and the process reaped: a graceful stop, so everything is logged.
    fn stop(mut self) {
        let terminated = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        if !terminated.is_ok_and(|s| s.success()) {
            self.child.kill().ok();
        }
        self.child.wait().expect("the server is reaped");
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }
}

/// Every secret the run handles; none may be logged.
#[derive(Default)]
struct Secrets(Vec<(String, String)>);

impl Secrets {
    fn add(&mut self, what: &str, value: &str) {
        assert!(value.len() >= 16, "{what} is long enough to search for: {value}");
        self.0.push((what.to_string(), value.to_string()));
    }

    /// An endpoint secret: whole, and its base64 part (the Standard Webhooks key).
    fn add_endpoint_secret(&mut self, what: &str, secret: &str) {
        self.add(what, secret);
        self.add(&format!("{what} without whsec_"), secret.trim_start_matches("whsec_"));
    }

    /// An encryption key: as given, and its bytes in hex.
    fn add_key(&mut self, what: &str, key: &str) {
        self.add(what, key);
        self.add(&format!("{what} in hex"), &hex::encode(STANDARD.decode(key).unwrap()));
    }
}

/// An API call with a bearer token, answering JSON with `status`.
async fn call(client: &Client, server: &Server, token: &str, method: Method, path: &str, body: Value) -> Value {
    let request = client.request(method.clone(), server.url(path)).bearer_auth(token);
    let request = if method == Method::GET { request } else { request.json(&body) };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let expected = if method == Method::POST && !path.contains("/secret/rotate") { [201, 202] } else { [200, 200] };
    assert!(expected.contains(&status), "{method} {path}: {status} {}", response.text().await.unwrap());
    response.json().await.unwrap()
}

/// The value of `name="<field>" value="…"` in a page.
fn form_value(html: &str, field: &str) -> String {
    let marker = format!("name=\"{field}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("a {field} field in {html}")) + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_run_logged_at_trace_level_holds_no_secret_key_or_token() {
    let database = TestDatabase::create().await;
    let data_dir = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("herald.log");
    let client = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut secrets = Secrets::default();

    let admin = format!("hat_{}", new_key().replace(['+', '/', '='], "x"));
    let (first_key, second_key) = (new_key(), new_key());
    secrets.add("the admin token", &admin);
    secrets.add_key("the first encryption key", &first_key);
    secrets.add_key("the second encryption key", &second_key);
    let env = [("HERALD_ADMIN_TOKEN", admin.as_str()), ("HERALD_ENCRYPTION_KEY", first_key.as_str())];
    let mut server = Server::start(&database, data_dir.path(), &log, &env);
    server.wait_until_ready(&client).await;
    let ok = Receiver::ok().await;
    let failing = Receiver::failing().await;

    // The platform sets up an account and its key; the customer registers endpoints.
    let account = call(&client, &server, &admin, Method::POST, "/v1/accounts", json!({"name": "Logs"})).await;
    let account = account["id"].as_str().unwrap().to_string();
    let base = format!("/v1/accounts/{account}");
    let key = call(&client, &server, &admin, Method::POST, &format!("{base}/keys"), json!({})).await;
    let key = key["key"].as_str().unwrap().to_string();
    secrets.add("the account key", &key);
    let endpoint =
        call(&client, &server, &key, Method::POST, &format!("{base}/endpoints"), json!({"url": ok.url()})).await;
    let endpoint_id = endpoint["id"].as_str().unwrap().to_string();
    secrets.add_endpoint_secret("the first endpoint secret", endpoint["secret"].as_str().unwrap());
    let chosen = format!("whsec_{}", new_key());
    secrets.add_endpoint_secret("an endpoint secret the caller chose", &chosen);
    let body = json!({"url": failing.url(), "secret": chosen});
    call(&client, &server, &key, Method::POST, &format!("{base}/endpoints"), body).await;

    // Deliveries that succeed and deliveries that fail until the endpoint is disabled.
    let publish = json!({"type": "credits.low", "data": credits_low(3)});
    call(&client, &server, &admin, Method::POST, &format!("{base}/events"), publish.clone()).await;
    ok.wait_for(1).await;
    failing.wait_for(3).await;

    // A secret rotation, the secret read back, and a delivery signed by both.
    let rotate = format!("{base}/endpoints/{endpoint_id}/secret/rotate");
    let rotated = call(&client, &server, &key, Method::POST, &rotate, json!({"grace_seconds": 600})).await;
    secrets.add_endpoint_secret("the rotated endpoint secret", rotated["secret"].as_str().unwrap());
    call(&client, &server, &key, Method::GET, &format!("{base}/endpoints/{endpoint_id}/secret"), json!(null)).await;
    call(&client, &server, &admin, Method::POST, &format!("{base}/events"), publish.clone()).await;
    ok.wait_for(2).await;

    // The developer portal: a one-time link, opened, used, used again; the CSRF token in use.
    let link = call(&client, &server, &admin, Method::POST, &format!("{base}/portal-links"), json!({})).await;
    let link = link["url"].as_str().unwrap().to_string();
    let link_token = link.split_once("token=").unwrap().1.to_string();
    secrets.add("the portal link token", &link_token);
    assert_eq!(
        client.get(server.url(&format!("/portal/login?token={link_token}"))).send().await.unwrap().status(),
        200
    );
    let signed_in = client.post(server.url("/portal/login")).form(&[("token", &link_token)]).send().await.unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let cookie = signed_in.headers()[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
    secrets.add("the portal session token", cookie.split_once('=').unwrap().1);
    let home = client.get(server.url("/portal/")).header(header::COOKIE, &cookie).send().await.unwrap();
    let csrf = form_value(&home.text().await.unwrap(), "_csrf");
    secrets.add("the portal session's CSRF token", &csrf);
    let by_portal = client
        .get(server.url(&format!("{base}/endpoints/{endpoint_id}/secret")))
        .header(header::COOKIE, &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(by_portal.status(), 200);
    let again = client.post(server.url("/portal/login")).form(&[("token", &link_token)]).send().await.unwrap();
    assert_eq!(again.status(), 401, "a link works once");

    // Refused credentials: near misses of the real ones, which must not be logged either.
    let wrong_admin = format!("{admin}x");
    let wrong_key = format!("hk_{}", new_key().replace(['+', '/', '='], "x"));
    let wrong_csrf = format!("{csrf}x");
    for (what, value) in [("a wrong admin token", &wrong_admin), ("a wrong account key", &wrong_key)] {
        secrets.add(what, value);
        let refused = client.get(server.url("/v1/accounts")).bearer_auth(value).send().await.unwrap();
        assert_eq!(refused.status(), 401);
    }
    secrets.add("a wrong CSRF token", &wrong_csrf);
    let refused = client
        .get(server.url(&format!("{base}/endpoints")))
        .header(header::COOKIE, &cookie)
        .header("x-csrf-token", &wrong_csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let logout = client.post(server.url("/portal/logout")).header(header::COOKIE, &cookie).form(&[("_csrf", &csrf)]);
    assert_eq!(logout.send().await.unwrap().status(), 200);

    // A restart that rotates the encryption key: every secret re-sealed, deliveries still signed.
    server.stop();
    let env = [
        ("HERALD_ADMIN_TOKEN", admin.as_str()),
        ("HERALD_ENCRYPTION_KEY", second_key.as_str()),
        ("HERALD_ENCRYPTION_OLD_KEYS", first_key.as_str()),
    ];
    let mut server = Server::start(&database, data_dir.path(), &log, &env);
    server.wait_until_ready(&client).await;
    call(&client, &server, &admin, Method::POST, &format!("{base}/events"), publish).await;
    ok.wait_for(3).await;
    server.stop();

    let text = std::fs::read_to_string(&log).unwrap();
    assert_logged_enough(&text, &log);
    let leaks: Vec<String> = secrets
        .0
        .iter()
        .filter_map(|(what, value)| {
            let line = text.lines().find(|line| line.contains(value.as_str()))?;
            Some(format!("{what} appears in: {line}"))
        })
        .collect();
    assert!(leaks.is_empty(), "secrets in the log ({}):\n{}", log.display(), leaks.join("\n"));
    println!("searched {} lines ({} bytes) of log for {} secrets", text.lines().count(), text.len(), secrets.0.len());
}

/// The log really is at trace level, and went through the run: a
/// search of an empty log would prove nothing.
fn assert_logged_enough(text: &str, log: &Path) {
    for expected in [
        "herald is listening",
        "path=/portal/login",
        "attempt finished",
        "sealed endpoint secrets with the current encryption key",
        "sqlx::query",
        " TRACE ",
    ] {
        assert!(text.contains(expected), "the log ({}) has `{expected}`; it holds:\n{text}", log.display());
    }
}
