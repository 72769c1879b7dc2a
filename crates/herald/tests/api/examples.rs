//! The receiver examples of `examples/receivers/` (Python with Flask, Node,
//! Rust with axum), each run as a child process against a real Herald: it
//! accepts what Herald sends (`2xx` in the delivery log), processes each event
//! once even when a manual retry sends it again, keeps accepting deliveries
//! with the old secret during a rotation's grace period, and refuses a badly
//! signed request with `401`. An example whose interpreter is not installed is
//! skipped, loudly; the Rust one must have been built (`scripts/test` does).
//! `readme` starts the Python one from the README's own command line.

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::SystemTime,
};

use reqwest::header::HeaderValue;
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::{
    checks::{expect_json, Poll},
    fixtures::{free_port, unix_now},
    helpers::{spawn_app, TestApp},
    signature::x_webhook_v1,
};

/// `examples/receivers` in this repository.
const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/receivers");

/// The Rust example's package (and binary) name.
const RUST_PACKAGE: &str = "herald-example-receiver";

/// The event types the tests publish: one of each family.
const TYPES: [&str; 3] = ["project.completed", "credits.low", "voice_clone.completed"];

/// The language of an example.
#[derive(Clone, Copy, Debug)]
pub enum Language {
    Python,
    Node,
    Rust,
}

impl Language {
    /// The command that runs the example, or `None` (after a loud message)
    /// when its interpreter is not installed on this machine.
    fn command(self) -> Option<Command> {
        match self {
            Self::Python => {
                installed("python3")?;
                require_flask();
                let mut command = Command::new("python3");
                command.arg(Path::new(EXAMPLES).join("python/receiver.py"));
                Some(command)
            }
            Self::Node => {
                installed("node")?;
                let mut command = Command::new("node");
                command.arg(Path::new(EXAMPLES).join("node/receiver.js"));
                Some(command)
            }
            Self::Rust => Some(Command::new(rust_example_binary())),
        }
    }
}

/// `Some(())` when `program --version` runs; otherwise a loud skip message and `None`.
fn installed(program: &str) -> Option<()> {
    let runs = Command::new(program).arg("--version").output().is_ok_and(|o| o.status.success());
    if !runs {
        let line = "#".repeat(80);
        eprintln!("{line}\nSKIPPED: `{program}` is not installed, so its receiver example was not run\n{line}");
        println!("SKIPPED: `{program}` is not installed, so its receiver example was not run");
    }
    runs.then_some(())
}

/// Fails the test, loudly, where python3 has no Flask: scripts/test installs it.
pub fn require_flask() {
    let probe = Command::new("python3").args(["-c", "import flask"]).output().expect("python3 runs");
    assert!(
        probe.status.success(),
        "the Python receiver example needs Flask (`python3 -m pip install flask`, done by scripts/test): {}",
        String::from_utf8_lossy(&probe.stderr)
    );
}

/// The Rust example's binary, beside this test's own target folder; it must
/// exist and be newer than its sources. It is not built here: `cargo test`
/// holds the build folder's lock while tests run, so a nested build would wait forever.
fn rust_example_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    // <target>/<profile>/deps/api-<hash>  ->  <target>/<profile>/herald-example-receiver
    let profile_dir = exe.parent().and_then(Path::parent).expect("the test binary lies in <target>/<profile>/deps");
    let binary = profile_dir.join(format!("{RUST_PACKAGE}{}", std::env::consts::EXE_SUFFIX));
    let build = format!("`cargo build -p {RUST_PACKAGE}` (scripts/test does it before the tests)");
    let built = fs::metadata(&binary).and_then(|m| m.modified()).unwrap_or_else(|e| {
        panic!("the Rust receiver example is not built at {} ({e}): run {build}", binary.display())
    });
    for source in ["rust/src/main.rs", "rust/Cargo.toml"] {
        let path = Path::new(EXAMPLES).join(source);
        let changed = fs::metadata(&path).and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH);
        assert!(changed <= built, "{} changed since the example was built: run {build}", path.display());
    }
    binary
}

/// A receiver example running as a child process; killed when dropped.
pub struct Example {
    language: Language,
    child: Child,
    port: u16,
    stdout: PathBuf,
    stderr: PathBuf,
    _dir: TempDir,
}

impl Example {
    /// Starts the example with `secret` on `port`, in a folder of its own;
    /// waits until it accepts connections.
    async fn start(language: Language, mut command: Command, secret: &str, port: u16) -> Self {
        command.env("HERALD_SECRET", secret).env("PORT", port.to_string()).env("HOST", "127.0.0.1");
        Self::spawn(language, command, port).await
    }

    /// Runs `command` as it is (its variables, its folder; the output's folder
    /// when it has none) and waits until something accepts connections on `port`.
    pub async fn spawn(language: Language, mut command: Command, port: u16) -> Self {
        let dir = tempfile::tempdir().expect("a folder for the example's output");
        let stdout = dir.path().join("stdout.txt");
        let stderr = dir.path().join("stderr.txt");
        if command.get_current_dir().is_none() {
            command.current_dir(dir.path());
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(fs::File::create(&stdout).expect("the stdout file"))
            .stderr(fs::File::create(&stderr).expect("the stderr file"))
            .spawn()
            .unwrap_or_else(|e| panic!("the {language:?} example starts: {e}"));
        let mut example = Self { language, child, port, stdout, stderr, _dir: dir };
        let poll = Poll::new(format!("the {language:?} example to listen on port {port}"));
        loop {
            if let Some(status) = example.child.try_wait().expect("the child's state") {
                panic!("the {language:?} example exited ({status}) before listening:\n{}", example.output());
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return example;
            }
            poll.tick(&"connection refused").await;
        }
    }

    fn url(&self) -> String {
        webhook_url(self.port)
    }

    /// Everything the example printed, for failure messages.
    fn output(&self) -> String {
        let read = |path: &Path| fs::read_to_string(path).unwrap_or_default();
        format!("--- stdout ---\n{}--- stderr ---\n{}", read(&self.stdout), read(&self.stderr))
    }

    /// The complete lines printed on stdout so far.
    fn lines(&self) -> Vec<String> {
        let text = fs::read_to_string(&self.stdout).unwrap_or_default();
        text.split_inclusive('\n').filter(|l| l.ends_with('\n')).map(|l| l.trim_end().to_string()).collect()
    }

    /// The event id of every `processed <id> <type>` line, in order.
    fn processed(&self) -> Vec<String> {
        self.lines()
            .iter()
            .filter_map(|l| l.strip_prefix("processed "))
            .filter_map(|rest| rest.split_whitespace().next())
            .map(str::to_string)
            .collect()
    }

    /// Waits until stdout has this line.
    pub async fn wait_for_line(&self, line: &str) {
        let poll = Poll::new(format!("the {:?} example to print `{line}`", self.language));
        while !self.lines().iter().any(|l| l == line) {
            poll.tick(&self.output()).await;
        }
    }
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- the {:?} example's output ---\n{}", self.language, self.output());
        }
    }
}

/// Where the examples take webhooks.
fn webhook_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}/webhook")
}

/// The catalog's example `data` of a type.
fn catalog_example(catalog: &[Value], event_type: &str) -> Value {
    catalog.iter().find(|e| e["type"] == event_type).expect("a catalog type")["example"].clone()
}

/// Waits until a delivery has `attempts` attempts, every one answered `2xx`.
async fn wait_for_2xx_attempts(app: &TestApp, account: &str, delivery: &str, attempts: usize) -> Value {
    let what = format!("{attempts} attempts, all answered 2xx");
    app.wait_for_delivery(account, delivery, &what, |d| {
        let log = d["attempts"].as_array().map(Vec::as_slice).unwrap_or_default();
        log.len() == attempts
            && log.iter().all(|a| a["response_status"].as_u64().is_some_and(|s| (200..300).contains(&s)))
    })
    .await
}

/// The whole exercise for one example: genuine deliveries, a duplicate, forgeries.
async fn receives_each_event_once_and_refuses_bad_signatures(language: Language) {
    let Some(command) = language.command() else {
        return;
    };
    let app = spawn_app().await;
    let account = app.create_account().await;
    let port = free_port();
    let endpoint = app.create_endpoint(&account, &webhook_url(port)).await;
    let example = Example::start(language, command, &endpoint.secret, port).await;
    let catalog = app.event_types().await;

    // Genuine deliveries: every one answered 2xx.
    let mut events = Vec::new();
    for event_type in TYPES {
        events.push(app.publish(&account, event_type, catalog_example(&catalog, event_type)).await);
    }
    let mut deliveries = Vec::new();
    for event in &events {
        let delivery = app.delivery_of(&account, &event.id, &endpoint.id).await;
        let id = delivery["id"].as_str().expect("a delivery id").to_string();
        let delivery = wait_for_2xx_attempts(&app, &account, &id, 1).await;
        assert_eq!(delivery["status"], "succeeded", "{delivery:#}");
        deliveries.push(id);
    }

    // The same event again, by a manual retry: answered 2xx, not processed twice.
    let retry = app.post(&format!("/v1/accounts/{account}/deliveries/{}/retry", deliveries[0]), &json!({})).await;
    expect_json(retry, 202).await;
    wait_for_2xx_attempts(&app, &account, &deliveries[0], 2).await;
    example.wait_for_line(&format!("duplicate {} ignored", events[0].id)).await;

    let mut processed = example.processed();
    let mut expected: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
    processed.sort();
    expected.sort();
    assert_eq!(processed, expected, "each event processed exactly once:\n{}", example.output());

    // Forgeries: refused with 401 and not processed.
    let client = reqwest::Client::new();
    let now = unix_now();
    let forged_id = "evt_01J0000000000000000000FAKE";
    let body = format!(
        r#"{{"id":"{forged_id}","type":"credits.low","created_at":"2024-03-20T10:15:00Z","data":{{"balance":1,"threshold":100}}}}"#
    );
    let tampered = body.replace(r#""balance":1"#, r#""balance":1000"#);
    let signed = |secret: &str, t: i64, body: &str| format!("t={t},v1={}", x_webhook_v1(secret, t, body.as_bytes()));
    let other_secret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let bytes = |header: String| Some(header.into_bytes());
    // Bytes beyond ASCII, which a server may read as Latin-1: `²` is a digit to Python's
    // `str.isdigit` but not to `int`, and `hmac.compare_digest` refuses non-ASCII text.
    let superscript_t = [b"t=\xb2,".as_slice(), format!("v1={}", "0".repeat(64)).as_bytes()].concat();
    let latin1_v1 = [format!("t={now},v1=").as_bytes(), [0xe9; 64].as_slice()].concat();
    let forgeries = [
        ("no signature", None, body.clone()),
        ("a tampered body", bytes(signed(&endpoint.secret, now, &body)), tampered),
        ("a wrong secret", bytes(signed(other_secret, now, &body)), body.clone()),
        ("a stale timestamp", bytes(signed(&endpoint.secret, now - 600, &body)), body.clone()),
        ("a timestamp in the future", bytes(signed(&endpoint.secret, now + 600, &body)), body.clone()),
        ("a malformed header", bytes("t=soon,v1=zz".to_string()), body.clone()),
        ("a timestamp of a non-ASCII digit", Some(superscript_t), body.clone()),
        ("a v1 of non-ASCII bytes", Some(latin1_v1), body.clone()),
    ];
    for (what, signature, body) in forgeries {
        let mut request = client.post(example.url()).header("content-type", "application/json").body(body);
        if let Some(signature) = signature {
            let value = HeaderValue::from_bytes(&signature).expect("a header value HTTP can carry");
            request = request.header("x-webhook-signature", value);
        }
        let status = request.send().await.expect("the example answers").status();
        assert_eq!(status, 401, "{what} is refused:\n{}", example.output());
    }
    assert!(!example.processed().contains(&forged_id.to_string()), "no forgery processed:\n{}", example.output());

    // Every v1 counts, wherever it stands: the good one first, another after it.
    let two =
        format!("{},v1={}", signed(&endpoint.secret, now, &body), x_webhook_v1(other_secret, now, body.as_bytes()));
    let status =
        client.post(example.url()).header("x-webhook-signature", two).body(body).send().await.unwrap().status();
    assert_eq!(status, 200, "a request whose first v1 matches is accepted:\n{}", example.output());
    let processed = example.processed();
    assert_eq!(processed.iter().filter(|id| *id == forged_id).count(), 1, "processed once:\n{}", example.output());
    assert_eq!(processed.len(), TYPES.len() + 1, "{}", example.output());
}

/// An example given the endpoint's secret, which is then rotated: Herald
/// signs with both secrets for the grace period, and the example, still on
/// the old one, accepts and processes what it sends.
async fn accepts_deliveries_on_the_old_secret_during_a_rotation(language: Language) {
    let Some(command) = language.command() else {
        return;
    };
    let app = spawn_app().await;
    let account = app.create_account().await;
    let port = free_port();
    let endpoint = app.create_endpoint(&account, &webhook_url(port)).await;
    let example = Example::start(language, command, &endpoint.secret, port).await;

    let rotated = app.endpoint_action(&account, &endpoint.id, "secret/rotate", json!({"grace_seconds": 3600})).await;
    assert_ne!(rotated["secret"], endpoint.secret.as_str(), "a new secret");
    let catalog = app.event_types().await;
    let event = app.publish(&account, "project.completed", catalog_example(&catalog, "project.completed")).await;

    let delivery = app.delivery_of(&account, &event.id, &endpoint.id).await;
    let delivery = wait_for_2xx_attempts(&app, &account, delivery["id"].as_str().unwrap(), 1).await;
    assert_eq!(delivery["status"], "succeeded", "{delivery:#}\n{}", example.output());
    example.wait_for_line(&format!("processed {} project.completed", event.id)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_example_still_on_the_old_secret_accepts_deliveries_during_a_rotation() {
    accepts_deliveries_on_the_old_secret_during_a_rotation(Language::Python).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_example_still_on_the_old_secret_accepts_deliveries_during_a_rotation() {
    accepts_deliveries_on_the_old_secret_during_a_rotation(Language::Node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rust_example_still_on_the_old_secret_accepts_deliveries_during_a_rotation() {
    accepts_deliveries_on_the_old_secret_during_a_rotation(Language::Rust).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_example_processes_each_event_once_and_refuses_bad_signatures() {
    receives_each_event_once_and_refuses_bad_signatures(Language::Python).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_example_processes_each_event_once_and_refuses_bad_signatures() {
    receives_each_event_once_and_refuses_bad_signatures(Language::Node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rust_example_processes_each_event_once_and_refuses_bad_signatures() {
    receives_each_event_once_and_refuses_bad_signatures(Language::Rust).await;
}
