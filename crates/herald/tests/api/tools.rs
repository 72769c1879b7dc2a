//! The developer tools of the `herald` binary, run as a developer runs them,
//! against a real server: `herald trigger` publishes, a receiver gets the
//! event, and the tool tells deliveries to attempt from those skipped for a
//! disabled endpoint; `herald verify` accepts what Herald really sent, with
//! either secret during a rotation, and refuses, with exit status 1 and the
//! reason, a tampered body, a stale timestamp and a wrong secret; a usage
//! error exits 2.

use std::process::{Output, Stdio};

use serde_json::{json, Value};
use tokio::{io::AsyncWriteExt, process::Command};

use crate::{
    checks::expect_problem,
    fixtures::unix_now,
    helpers::{spawn_app, TestApp, ADMIN_TOKEN, DEADLINE},
    receiver::{Receiver, Recorded},
    rotated::{a_delivery_signed_during_a_rotation, ANOTHER_SECRET},
    signature::x_webhook_v1,
};

/// The variables the tools read, removed so that the test's own environment never leaks in.
const TOOL_VARIABLES: [&str; 6] =
    ["HERALD_URL", "HERALD_ADMIN_TOKEN", "HERALD_TOKEN", "HERALD_ACCOUNT", "HERALD_SECRET", "HERALD_DATA_DIR"];

/// What one run of the binary did.
struct Run {
    status: Option<i32>,
    stdout: String,
    stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Self {
            status: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit status {:?}\n--- stdout ---\n{}--- stderr ---\n{}", self.status, self.stdout, self.stderr)
    }
}

/// Runs `herald <args>` in an empty folder with these variables and this standard input.
async fn herald(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Run {
    let folder = tempfile::tempdir().expect("an empty working folder");
    let mut command = Command::new(env!("CARGO_BIN_EXE_herald"));
    command.args(args).current_dir(folder.path()).kill_on_drop(true);
    for name in TOOL_VARIABLES {
        command.env_remove(name);
    }
    command.envs(env.iter().copied()).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("the herald binary starts");
    let mut input = child.stdin.take().expect("a piped stdin");
    input.write_all(stdin).await.expect("the body is written to stdin");
    drop(input);
    let output = tokio::time::timeout(DEADLINE, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("herald {args:?} ends within {DEADLINE:?}"))
        .expect("herald's output is read");
    output.into()
}

/// `herald trigger` with the server and token given as flags.
async fn trigger(app: &TestApp, account: &str, extra: &[&str]) -> Run {
    let mut args = vec!["trigger", "--url", &app.address, "--token", ADMIN_TOKEN, "--account", account];
    args.extend_from_slice(extra);
    herald(&args, &[], b"").await
}

/// `herald verify` of a body against a secret and a signature header.
async fn verify(secret: &str, signature: &str, body: &[u8], extra: &[&str]) -> Run {
    let mut args = vec!["verify", "--secret", secret, "--signature", signature];
    args.extend_from_slice(extra);
    herald(&args, &[], body).await
}

/// The event id and the count of deliveries to attempt of
/// `published evt_… (type) for account a: n deliveries to attempt[, m skipped …]`.
fn published(run: &Run) -> (String, u64) {
    let line = run.stdout.lines().find(|l| l.starts_with("published ")).unwrap_or_else(|| panic!("{run}"));
    let id = line.split_whitespace().nth(1).expect("an event id").to_string();
    let count = line.rsplit(": ").next().and_then(|tail| tail.split_whitespace().next()).expect("a count");
    (id, count.parse().unwrap_or_else(|e| panic!("a delivery count in `{line}`: {e}")))
}

/// The catalog's example `data` of a type.
async fn example_of(app: &TestApp, event_type: &str) -> Value {
    let catalog = app.event_types().await;
    catalog.into_iter().find(|e| e["type"] == event_type).expect("the type is in the catalog")["example"].clone()
}

/// A delivery as Herald really sent it, to an endpoint with a generated secret.
async fn a_real_delivery() -> (TestApp, String, Recorded) {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &receiver.url()).await;
    app.publish(&account, "credits.low", json!({"balance": 7, "threshold": 100})).await;
    let request = receiver.wait_for(1).await.remove(0);
    (app, endpoint.secret, request)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herald_trigger_publishes_the_catalog_example_and_the_receiver_gets_it() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    app.create_endpoint(&account, &receiver.url()).await;

    let run = trigger(&app, &account, &["project.completed"]).await;

    assert_eq!(run.status, Some(0), "{run}");
    let (event_id, deliveries) = published(&run);
    assert_eq!(deliveries, 1, "{run}");
    let line = format!("published {event_id} (project.completed) for account {account}: 1 delivery to attempt\n");
    assert_eq!(run.stdout, line, "{run}");
    let request = receiver.wait_for(1).await.remove(0);
    let envelope = request.json();
    assert_eq!(envelope["id"], event_id);
    assert_eq!(envelope["type"], "project.completed");
    assert_eq!(envelope["data"], example_of(&app, "project.completed").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herald_trigger_sends_the_data_given_and_reads_its_settings_from_the_environment() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    app.create_endpoint(&account, &receiver.url()).await;
    let data = json!({"balance": 12, "threshold": 100, "note": "extra fields are delivered"});
    let env = [("HERALD_URL", app.address.as_str()), ("HERALD_TOKEN", ADMIN_TOKEN), ("HERALD_ACCOUNT", &account)];

    let run = herald(&["trigger", "credits.low", "--data", &data.to_string()], &env, b"").await;

    assert_eq!(run.status, Some(0), "{run}");
    let (event_id, deliveries) = published(&run);
    assert_eq!(deliveries, 1, "{run}");
    let envelope = receiver.wait_for(1).await.remove(0).json();
    assert_eq!(envelope["id"], event_id);
    assert_eq!(envelope["data"], data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herald_trigger_with_no_endpoint_says_no_delivery_was_made() {
    let app = spawn_app().await;
    let account = app.create_account().await;

    let run = trigger(&app, &account, &["credits.depleted"]).await;

    assert_eq!(run.status, Some(0), "{run}");
    assert_eq!(published(&run).1, 0, "{run}");
    assert!(run.stdout.ends_with(": 0 deliveries to attempt\n"), "{run}");
    assert!(run.stderr.contains(&format!("no endpoint of {account} subscribes to credits.depleted")), "{run}");
    assert_eq!(app.list_events(&account).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herald_trigger_counts_a_delivery_to_a_disabled_endpoint_as_skipped_not_as_one_to_attempt() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    let disabled = app.create_endpoint(&account, &receiver.url()).await;
    app.endpoint_action(&account, &disabled.id, "disable", json!({})).await;

    // The only subscribing endpoint is disabled: nothing to attempt, one skipped.
    let only_disabled = trigger(&app, &account, &["credits.low"]).await;
    let (first, _) = published(&only_disabled);
    // Then one enabled endpoint besides it.
    app.create_endpoint(&account, &receiver.url()).await;
    let one_of_each = trigger(&app, &account, &["credits.low"]).await;
    let (second, _) = published(&one_of_each);

    assert_eq!(only_disabled.status, Some(0), "{only_disabled}");
    assert_eq!(
        only_disabled.stdout,
        format!("published {first} (credits.low) for account {account}: 0 deliveries to attempt, 1 skipped (disabled endpoint)\n"),
        "{only_disabled}"
    );
    assert!(only_disabled.stderr.contains("is disabled"), "{only_disabled}");
    let skipped = app.delivery_of(&account, &first, &disabled.id).await;
    assert_eq!(skipped["status"], "skipped", "what the tool counted as skipped is: {skipped:#}");
    assert_eq!(one_of_each.status, Some(0), "{one_of_each}");
    assert_eq!(
        one_of_each.stdout,
        format!("published {second} (credits.low) for account {account}: 1 delivery to attempt, 1 skipped (disabled endpoint)\n"),
        "{one_of_each}"
    );
    assert_eq!(one_of_each.stderr, "", "{one_of_each}");
    let arrived = receiver.wait_for(1).await;
    assert_eq!(arrived[0].event_id(), second, "the enabled endpoint got the second event");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herald_trigger_and_herald_verify_exit_2_on_a_usage_error() {
    let runs = [
        ("trigger without its type", herald(&["trigger", "--account", "acme"], &[], b"").await),
        ("trigger with an unknown flag", herald(&["trigger", "credits.low", "--acount", "acme"], &[], b"").await),
        ("verify without --signature", herald(&["verify", "--secret", ANOTHER_SECRET], &[], b"{}").await),
        ("verify with a --tolerance that is no number", {
            herald(&["verify", "--secret", ANOTHER_SECRET, "--signature", "t=1", "--tolerance", "soon"], &[], b"{}")
                .await
        }),
    ];

    for (what, run) in &runs {
        assert_eq!(run.status, Some(2), "{what}: {run}");
        assert!(run.stdout.is_empty(), "{what}: nothing on stdout: {run}");
        assert!(run.stderr.starts_with("error: "), "{what}: clap's message: {run}");
        assert!(run.stderr.contains("try '--help'"), "{what}: where the usage is: {run}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herald_trigger_fails_with_the_servers_detail_and_publishes_nothing() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let unknown_type = "project.exploded";
    let server_says = |body: Value| {
        let app = &app;
        let account = &account;
        async move { expect_problem(app.post_publish(account, &body).await, 422).await["detail"].clone() }
    };
    let unknown_detail = server_says(json!({"type": unknown_type, "data": {}})).await;
    let invalid_detail = server_says(json!({"type": "credits.low", "data": {"balance": "low"}})).await;

    let unknown = trigger(&app, &account, &[unknown_type]).await;
    let invalid = trigger(&app, &account, &["credits.low", "--data", r#"{"balance": "low"}"#]).await;
    let not_json = trigger(&app, &account, &["credits.low", "--data", "{balance"]).await;
    let wrong_token =
        herald(&["trigger", "credits.low", "--url", &app.address, "--token", "nope", "--account", &account], &[], b"")
            .await;
    let no_server =
        herald(&["trigger", "credits.low", "--url", "http://127.0.0.1:9", "--token", "t", "--account", "a"], &[], b"")
            .await;

    assert_eq!(unknown.status, Some(1), "{unknown}");
    assert!(
        unknown.stderr.contains(unknown_detail.as_str().unwrap()),
        "the server's detail {unknown_detail}: {unknown}"
    );
    assert!(unknown.stderr.contains("project.completed"), "the known types are listed: {unknown}");
    assert_eq!(invalid.status, Some(1), "{invalid}");
    assert!(
        invalid.stderr.contains(invalid_detail.as_str().unwrap()),
        "the server's detail {invalid_detail}: {invalid}"
    );
    assert!(invalid.stderr.contains("422"), "{invalid}");
    assert_eq!(not_json.status, Some(1), "{not_json}");
    assert!(not_json.stderr.contains("--data"), "{not_json}");
    assert_eq!(wrong_token.status, Some(1), "{wrong_token}");
    assert!(wrong_token.stderr.contains("401"), "{wrong_token}");
    assert_eq!(no_server.status, Some(1), "{no_server}");
    assert!(no_server.stderr.contains("cannot reach Herald"), "{no_server}");
    for run in [&unknown, &invalid, &not_json, &wrong_token, &no_server] {
        assert!(!run.stdout.contains("published"), "{run}");
        assert!(!run.stderr.contains("backtrace"), "{run}");
    }
    assert!(app.list_events(&account).await.is_empty(), "nothing was published");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herald_verify_accepts_the_signature_of_a_real_delivery() {
    let (_app, secret, request) = a_real_delivery().await;
    let signature = request.header("x-webhook-signature");

    let from_stdin = verify(&secret, signature, &request.body, &[]).await;
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("body.json");
    std::fs::write(&file, &request.body).unwrap();
    let from_file = verify(&secret, signature, b"", &["--body", file.to_str().unwrap()]).await;
    let from_env = herald(&["verify", "--signature", signature], &[("HERALD_SECRET", &secret)], &request.body).await;

    for run in [from_stdin, from_file, from_env] {
        assert_eq!(run.status, Some(0), "{run}");
        assert_eq!(run.stdout, "valid\n", "{run}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herald_verify_accepts_a_delivery_signed_during_a_rotation_with_the_old_secret_or_the_new() {
    let delivery = a_delivery_signed_during_a_rotation().await;

    let old = verify(&delivery.old_secret, &delivery.signature, &delivery.body, &[]).await;
    let new = verify(&delivery.new_secret, &delivery.signature, &delivery.body, &[]).await;
    let another = verify(ANOTHER_SECRET, &delivery.signature, &delivery.body, &[]).await;

    for (what, run) in [("the old secret", old), ("the new secret", new)] {
        assert_eq!(run.status, Some(0), "{what}: {run}");
        assert_eq!(run.stdout, "valid\n", "{what}: {run}");
    }
    assert_eq!(another.status, Some(1), "another secret: {another}");
    assert!(another.stderr.contains("no signature"), "{another}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herald_verify_refuses_a_tampered_body_a_stale_timestamp_and_a_wrong_secret() {
    let (_app, secret, request) = a_real_delivery().await;
    let signature = request.header("x-webhook-signature");
    let mut tampered = request.body.to_vec();
    let seven = tampered.iter().position(|b| *b == b'7').expect("the balance is in the body");
    tampered[seven] = b'8';
    let mut with_newline = request.body.to_vec();
    with_newline.push(b'\n');
    let stale_t = unix_now() - 600;
    let stale = format!("t={stale_t},v1={}", x_webhook_v1(&secret, stale_t, &request.body));
    let other_secret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    let runs = [
        ("a tampered body", verify(&secret, signature, &tampered, &[]).await, "no signature"),
        ("an added newline", verify(&secret, signature, &with_newline, &[]).await, "no signature"),
        ("a wrong secret", verify(other_secret, signature, &request.body, &[]).await, "no signature"),
        ("a stale timestamp", verify(&secret, &stale, &request.body, &[]).await, "tolerance"),
        ("a malformed header", verify(&secret, "v1=abc", &request.body, &[]).await, "malformed"),
    ];
    let wider = verify(&secret, &stale, &request.body, &["--tolerance", "3600"]).await;

    for (what, run, reason) in &runs {
        assert_eq!(run.status, Some(1), "{what}: {run}");
        assert!(run.stdout.is_empty(), "{what}: nothing on stdout: {run}");
        assert!(run.stderr.contains("invalid"), "{what}: {run}");
        assert!(run.stderr.contains(reason), "{what}: the reason mentions `{reason}`: {run}");
    }
    assert_eq!(wider.status, Some(0), "a wider tolerance accepts the old signature: {wider}");
}
