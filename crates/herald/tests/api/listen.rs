//! `herald listen`, the real binary: it follows an account's live stream and
//! forwards each event to a local URL signed exactly as a delivery, so the
//! platform's receiver sample accepts it; it prints one line per event; and
//! across a server restart it resumes where it was, nothing lost, nothing twice.
//! [`Listen`] also runs the README's own `herald listen` line (`readme`).

use std::{
    io::{BufRead, BufReader, Read},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
};

use serde_json::Value;
use tokio::sync::watch;

use crate::{
    checks::envelope_bytes,
    fixtures::{credits_low, free_port, SEED_SECRET},
    helpers::{spawn_app, Published, TestApp, DEADLINE},
    receiver::Receiver,
    sample::{sample_url, Sample},
    signature::assert_signed_by,
};

/// The zero position: before every event.
const FROM_THE_START: &str = "evt_00000000000000000000000000";

/// A running `herald listen`, its output gathered line by line; killed when dropped.
pub struct Listen {
    child: Child,
    /// Everything it printed so far, stdout and stderr (prefixed `stderr: `).
    lines: Arc<Mutex<Vec<String>>>,
    /// How many lines so far, to wait on.
    count: watch::Receiver<usize>,
}

impl Listen {
    /// Starts `herald listen` against `app` with the key in `HERALD_KEY` and
    /// the URL in `HERALD_URL`, as a developer would.
    fn start(app: &TestApp, key: &str, account: &str, forward_to: &str, extra: &[&str]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_herald"));
        command
            .args(["listen", "--account", account, "--forward-to", forward_to])
            .args(extra)
            .env("HERALD_URL", &app.address)
            .env("HERALD_KEY", key)
            .env_remove("HERALD_ACCOUNT")
            .env_remove("HERALD_LISTEN_SECRET");
        Self::spawn(command)
    }

    /// Runs a `herald listen` command made elsewhere (the README's, say), with
    /// only warnings logged.
    pub fn spawn(mut command: Command) -> Self {
        let mut child = command
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("herald listen starts");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (sender, count) = watch::channel(0);
        let sender = Arc::new(sender);
        let stdout = child.stdout.take().expect("a stdout pipe");
        let stderr = child.stderr.take().expect("a stderr pipe");
        gather(stdout, "", lines.clone(), sender.clone());
        gather(stderr, "stderr: ", lines.clone(), sender);
        Self { child, lines, count }
    }

    /// Everything it printed so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().expect("lines lock").clone()
    }

    /// Waits until its output satisfies `done` (failing after [`DEADLINE`]); returns the output.
    async fn wait_until(&self, what: &str, done: impl Fn(&[String]) -> bool) -> Vec<String> {
        let mut count = self.count.clone();
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            // The lines are read with no other lock held: the readers take the lines, then ring.
            count.borrow_and_update();
            let lines = self.lines();
            if done(&lines) {
                return lines;
            }
            let rang = tokio::time::timeout_at(deadline, count.changed()).await;
            assert!(
                matches!(rang, Ok(Ok(()))),
                "herald listen did not print {what} within {DEADLINE:?}; it printed:\n{}",
                self.lines().join("\n")
            );
        }
    }

    /// Waits until `n` lines start with `prefix`; returns those.
    pub async fn wait_for_lines(&self, prefix: &str, n: usize) -> Vec<String> {
        let what = format!("{n} lines starting with `{prefix}`");
        let lines = self.wait_until(&what, |lines| lines.iter().filter(|l| l.starts_with(prefix)).count() >= n).await;
        lines.into_iter().filter(|l| l.starts_with(prefix)).collect()
    }
}

/// Reads a pipe line by line into `lines` on a thread of its own.
fn gather(
    pipe: impl Read + Send + 'static,
    prefix: &'static str,
    lines: Arc<Mutex<Vec<String>>>,
    count: Arc<watch::Sender<usize>>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { return };
            let n = {
                let mut lines = lines.lock().expect("lines lock");
                lines.push(format!("{prefix}{line}"));
                lines.len()
            };
            count.send_replace(n);
        }
    });
}

impl Drop for Listen {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- herald listen printed ---\n{}", self.lines().join("\n"));
        }
    }
}

/// A header of a line of the sample's log, whatever its case there.
fn header<'a>(line: &'a Value, name: &str) -> &'a str {
    let headers = line["headers"].as_object().expect("the logged headers");
    let found = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name));
    found.and_then(|(_, v)| v.as_str()).unwrap_or_else(|| panic!("header {name} in {headers:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herald_listen_forwards_every_event_signed_so_that_the_platforms_sample_accepts_it() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let key = app.create_key(&account).await;
    let port = free_port();
    let listen = Listen::start(&app, &key, &account, &sample_url(port), &[]);
    let printed = listen.wait_for_lines("Signing secret: ", 1).await;
    let secret = printed[0].trim_start_matches("Signing secret: ").trim().to_string();
    let sample = Sample::start(&secret, port).await;
    listen.wait_for_lines("Connected", 1).await;

    let catalog = app.event_types().await;
    let mut published: Vec<Published> = Vec::new();
    for entry in &catalog {
        published.push(app.publish(&account, entry["type"].as_str().unwrap(), entry["example"].clone()).await);
    }
    let logged = sample.wait_for_lines(catalog.len()).await;
    let forwarded = listen.wait_for_lines("evt_", catalog.len()).await;

    assert!(secret.starts_with("whsec_"), "a generated secret of Herald's form: {secret}");
    for (line, event) in logged.iter().zip(&published) {
        assert_eq!(line["accepted"], true, "the sample refused: {line:#}");
        assert_eq!(
            line["body"].as_str().unwrap().as_bytes(),
            envelope_bytes(&event.event),
            "the envelope as delivered"
        );
        assert_eq!(header(line, "X-Webhook-ID"), event.id);
        assert_eq!(header(line, "webhook-id"), event.id);
        assert_eq!(header(line, "X-Webhook-Event"), event.event["type"].as_str().unwrap());
        assert_eq!(header(line, "X-Webhook-Attempt"), "1");
        assert!(header(line, "X-Webhook-Delivery").starts_with("dlv_"), "{line:#}");
        assert!(header(line, "User-Agent").starts_with("Herald/"), "{line:#}");
        assert!(header(line, "webhook-signature").starts_with("v1,"), "{line:#}");
    }
    for (line, event) in forwarded.iter().zip(&published) {
        assert_eq!(line, &format!("{} {} -> 200 OK", event.id, event.event["type"].as_str().unwrap()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herald_listen_resumes_after_a_server_restart_with_no_event_lost_or_repeated() {
    let mut app = spawn_app().await;
    let account = app.create_account().await;
    let key = app.create_key(&account).await;
    let receiver = Receiver::ok().await;
    let listen = Listen::start(&app, &key, &account, &receiver.url(), &["--secret", SEED_SECRET]);
    listen.wait_for_lines("Connected", 1).await;
    let mut published = Vec::new();
    for balance in 0..3 {
        published.push(app.publish(&account, "credits.low", credits_low(balance)).await.id);
    }
    receiver.wait_for(3).await;

    app.restart_on_same_port().await;
    for balance in 3..6 {
        published.push(app.publish(&account, "credits.low", credits_low(balance)).await.id);
    }
    listen.wait_for_lines("Connected", 2).await;
    for balance in 6..9 {
        published.push(app.publish(&account, "credits.low", credits_low(balance)).await.id);
    }
    let requests = receiver.wait_for(published.len()).await;
    let forwarded = listen.wait_for_lines("evt_", published.len()).await;

    let received: Vec<String> = requests.iter().map(|r| r.event_id()).collect();
    assert_eq!(received, published, "every event once, in order, across the restart");
    let polled: Vec<String> =
        app.events_after(&account, FROM_THE_START).await.iter().map(|e| e["id"].as_str().unwrap().into()).collect();
    assert_eq!(received, polled);
    for request in &requests {
        assert_signed_by(request, &[SEED_SECRET]);
        assert_eq!(request.attempt(), 1);
    }
    assert!(forwarded.iter().all(|l| l.ends_with("-> 200 OK")), "{forwarded:#?}");
    let told = format!("Herald: the server is shutting down; reconnect with Last-Event-ID: {}", published[2]);
    assert!(listen.lines().contains(&told), "the stream's end named the position");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herald_listen_with_a_wrong_key_stops_and_says_why() {
    let app = spawn_app().await;
    let account = app.create_account().await;

    let output = Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(["listen", "--account", &account, "--forward-to", "http://127.0.0.1:9/hook"])
        .args(["--url", &app.address, "--key", "hk_wrong"])
        .env("RUST_LOG", "warn")
        .output()
        .expect("herald listen runs");

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "a refused stream is an error");
    assert!(stderr.contains("401"), "the refusal is named: {stderr}");
}
