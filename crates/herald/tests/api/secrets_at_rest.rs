//! Endpoint secrets and custom headers at rest (`HERALD_ENCRYPTION_KEY`):
//! with a key, the database holds no `whsec_` and no header value, and
//! deliveries are still signed with the secret the API shows and carry the
//! headers; turning encryption on later, rotating the key and turning
//! it off each take one restart; a Herald without the key that sealed a
//! secret refuses to start and says which key it needs.

use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{
    fixtures::credits_low,
    helpers::{spawn_app_with, try_spawn_app_with, Endpoint, Options, TestApp},
    receiver::Receiver,
    signature::assert_signed_by,
};

/// A fresh key: the standard base64 of 32 random bytes.
fn new_key() -> String {
    STANDARD.encode(rand::random::<[u8; 32]>())
}

/// The id a sealed value names its key by: the first 8 hex digits of its SHA-256.
fn key_id(key: &str) -> String {
    hex::encode(Sha256::digest(STANDARD.decode(key).unwrap()))[..8].to_string()
}

fn with_key(key: &str) -> Options {
    Options::default().encryption_key(Some(key))
}

/// The raw `secret` and `previous_secret` columns of an endpoint.
async fn stored(app: &TestApp, endpoint: &str) -> (String, Option<String>) {
    let secret = app.database.scalar_string(&format!("SELECT secret FROM endpoints WHERE id = '{endpoint}'")).await;
    let previous =
        app.database.scalar_string(&format!("SELECT previous_secret FROM endpoints WHERE id = '{endpoint}'")).await;
    (secret.expect("a stored secret"), previous)
}

/// The custom header every endpoint here carries: a gateway's credential.
const GATEWAY_TOKEN: &str = "Bearer gateway-credential-7f3a";

/// Asserts that no secret column of the database holds a plain secret or
/// header value, and that every one is sealed by `key`.
async fn assert_all_sealed_by(app: &TestApp, key: &str) {
    let plain = app
        .database
        .scalar_i64(
            "SELECT COUNT(*) FROM endpoints WHERE secret LIKE '%whsec_%' OR previous_secret LIKE '%whsec_%'
                OR headers LIKE '%gateway-credential%'",
        )
        .await;
    assert_eq!(plain, 0, "no secret column holds a plain whsec_ secret or a header value");
    let prefix = format!("enc:v1:{}:", key_id(key));
    let other = app
        .database
        .scalar_i64(&format!(
            "SELECT COUNT(*) FROM endpoints WHERE secret NOT LIKE '{prefix}%' OR previous_secret NOT LIKE '{prefix}%'
                OR headers NOT LIKE '{prefix}%'"
        ))
        .await;
    assert_eq!(other, 0, "every secret column is sealed by key {}", key_id(key));
}

/// The endpoint's current secret, as the API shows it.
async fn api_secret(app: &TestApp, account: &str, endpoint: &str) -> String {
    let body = app.get_json(&format!("/v1/accounts/{account}/endpoints/{endpoint}/secret")).await;
    body["secret"].as_str().expect("a secret").to_string()
}

/// Publishes one event and asserts that its request arrives signed by
/// exactly `secrets`, with the endpoint's custom header.
async fn assert_next_delivery_signed_by(app: &TestApp, account: &str, receiver: &Receiver, secrets: &[&str]) {
    let before = receiver.count();
    app.publish(account, "credits.low", credits_low(i64::try_from(before).unwrap())).await;
    let requests = receiver.wait_for(before + 1).await;
    assert_signed_by(&requests[before], secrets);
    assert_eq!(requests[before].header("authorization"), GATEWAY_TOKEN);
}

/// An account with an endpoint on a receiver that answers `200`, whose
/// attempts carry a gateway's `Authorization`.
async fn account_with_endpoint(app: &TestApp) -> (String, Receiver, Endpoint) {
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    let body = json!({"url": receiver.url(), "headers": {"Authorization": GATEWAY_TOKEN}});
    let endpoint = app.create_endpoint_with(&account, body).await;
    (account, receiver, endpoint)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_key_the_database_holds_no_secret_and_deliveries_are_still_signed() {
    let key = new_key();
    let app = spawn_app_with(with_key(&key)).await;
    let (account, receiver, endpoint) = account_with_endpoint(&app).await;
    let rotated = app.endpoint_action(&account, &endpoint.id, "secret/rotate", json!({})).await;
    let current = rotated["secret"].as_str().unwrap().to_string();

    assert_all_sealed_by(&app, &key).await;
    let (secret, previous) = stored(&app, &endpoint.id).await;
    assert!(previous.is_some(), "the rotation kept the previous secret");
    for column in [Some(&secret), previous.as_ref()].into_iter().flatten() {
        let encoded = endpoint.secret.trim_start_matches("whsec_");
        assert!(!column.contains(encoded) && !column.contains(current.trim_start_matches("whsec_")), "{column}");
    }
    assert_eq!(api_secret(&app, &account, &endpoint.id).await, current, "the API shows the secret itself");
    assert_next_delivery_signed_by(&app, &account, &receiver, &[&endpoint.secret, &current]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turning_encryption_on_later_seals_the_plain_secrets_at_the_next_start() {
    let mut app = spawn_app_with(Options::default()).await;
    let (account, receiver, endpoint) = account_with_endpoint(&app).await;
    assert_eq!(stored(&app, &endpoint.id).await, (endpoint.secret.clone(), None), "no key: stored as is");

    let key = new_key();
    app.restart_with(with_key(&key)).await;

    assert_all_sealed_by(&app, &key).await;
    assert_eq!(api_secret(&app, &account, &endpoint.id).await, endpoint.secret);
    assert_next_delivery_signed_by(&app, &account, &receiver, &[&endpoint.secret]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_with_a_rotated_key_reseals_every_secret_and_the_old_key_can_then_go() {
    let (old, new) = (new_key(), new_key());
    let mut app = spawn_app_with(with_key(&old)).await;
    let (account, receiver, endpoint) = account_with_endpoint(&app).await;
    let rotated = app.endpoint_action(&account, &endpoint.id, "secret/rotate", json!({})).await;
    let current = rotated["secret"].as_str().unwrap().to_string();
    assert_all_sealed_by(&app, &old).await;

    app.restart_with(with_key(&new).old_keys(Some(&old))).await;
    assert_all_sealed_by(&app, &new).await;
    assert_next_delivery_signed_by(&app, &account, &receiver, &[&endpoint.secret, &current]).await;

    app.restart_with(with_key(&new)).await;
    assert_next_delivery_signed_by(&app, &account, &receiver, &[&endpoint.secret, &current]).await;
    assert_eq!(api_secret(&app, &account, &endpoint.id).await, current);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_herald_without_the_key_that_sealed_a_secret_refuses_to_start_and_names_the_key() {
    let (key, stranger) = (new_key(), new_key());
    let mut app = spawn_app_with(with_key(&key)).await;
    let (account, receiver, endpoint) = account_with_endpoint(&app).await;

    let without = app.try_restart_with(Options::default()).await.expect_err("no key, sealed secrets: no start");
    let message = format!("{without:#}");
    assert!(message.contains("HERALD_ENCRYPTION_KEY is not set") && message.contains(&key_id(&key)), "{message}");

    let wrong = app.try_restart_with(with_key(&stranger)).await.expect_err("another key: no start");
    let message = format!("{wrong:#}");
    assert!(message.contains(&key_id(&key)) && message.contains("HERALD_ENCRYPTION_OLD_KEYS"), "{message}");
    assert!(!message.contains(&key) && !message.contains(&stranger), "keys never appear in errors: {message}");

    app.restart_with(with_key(&key)).await;
    assert_next_delivery_signed_by(&app, &account, &receiver, &[&endpoint.secret]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_the_key_to_the_old_keys_stores_the_secrets_plain_again() {
    let key = new_key();
    let mut app = spawn_app_with(with_key(&key)).await;
    let (account, receiver, endpoint) = account_with_endpoint(&app).await;

    app.restart_with(Options::default().old_keys(Some(&key))).await;

    assert_eq!(stored(&app, &endpoint.id).await, (endpoint.secret.clone(), None));
    assert_next_delivery_signed_by(&app, &account, &receiver, &[&endpoint.secret]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_of_the_wrong_length_or_not_base64_is_refused_at_start_without_being_echoed() {
    let short = STANDARD.encode([7u8; 31]);
    let cases = [
        (with_key(&short), "HERALD_ENCRYPTION_KEY decodes to 31 bytes, not 32", short.clone()),
        (with_key("not-a-key!"), "HERALD_ENCRYPTION_KEY is not standard base64", "not-a-key!".to_string()),
        (
            with_key(&new_key()).old_keys(Some(&format!("{},{short}", new_key()))),
            "key 2 of HERALD_ENCRYPTION_OLD_KEYS decodes to 31 bytes",
            short.clone(),
        ),
    ];
    for (options, expected, value) in cases {
        let Err(error) = try_spawn_app_with(options).await else {
            panic!("a Herald with a bad key ({expected}) started");
        };
        let message = format!("{error:#}");
        assert!(message.contains(expected), "`{message}` says `{expected}`");
        assert!(message.contains("openssl rand -base64 32"), "`{message}` says how to make a key");
        assert!(!message.contains(&value), "`{message}` repeats the bad value");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_with_a_bad_key_exits_at_once_and_says_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let short = STANDARD.encode([7u8; 16]);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(["--database-url", &format!("sqlite://{}", dir.path().join("herald.db").display())])
        .env("HERALD_ENCRYPTION_KEY", &short)
        .env("RUST_LOG", "info")
        .output()
        .expect("the herald binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "herald refused to start: {stderr}");
    assert!(stderr.contains("HERALD_ENCRYPTION_KEY decodes to 16 bytes, not 32"), "{stderr}");
    assert!(!stderr.contains(&short), "the key is not repeated: {stderr}");
}
