//! A Herald webhook receiver in Rust (axum).
//!
//! It verifies every request's `X-Webhook-Signature` with `herald-signature`
//! (HMAC-SHA256 of `"<t>.<raw body>"` keyed by the whole secret; any `v1` may
//! match, compared in constant time; `t` within 5 minutes), processes each
//! event id once (a redelivery is answered `200` and not processed again), and
//! prints one line per processed event:
//!
//! ```sh
//! HERALD_SECRET=whsec_... PORT=9000 cargo run -p herald-example-receiver
//! ```
//!
//! POST webhooks to `http://127.0.0.1:$PORT/webhook`. `HOST` sets the address
//! to listen on (`127.0.0.1` by default).

use std::{
    collections::HashSet,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    process::ExitCode,
    sync::{Arc, Mutex, PoisonError},
};

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::post,
    Json, Router,
};
use herald_signature::DEFAULT_TOLERANCE;
use serde::Deserialize;
use serde_json::{json, Value};

/// What the handler shares between requests.
struct Receiver {
    /// The endpoint's signing secret, `whsec_…`, whole.
    secret: String,
    /// Event ids already processed. In production, keep them where they
    /// survive a restart and are shared by every instance: a table with a
    /// unique key on the event id, written in the same transaction as the
    /// event's effects.
    processed: Mutex<HashSet<String>>,
}

/// The parts of the envelope this receiver reads.
#[derive(Deserialize)]
struct Event {
    /// `evt_…`: the same on every attempt, so the key to deduplicate on.
    id: String,
    /// The event type, such as `project.completed`.
    #[serde(rename = "type")]
    event_type: String,
    /// The event's data, as published.
    #[serde(default)]
    data: Value,
}

#[tokio::main]
async fn main() -> ExitCode {
    let Some(secret) = std::env::var("HERALD_SECRET").ok().filter(|s| !s.is_empty()) else {
        eprintln!("herald-example-receiver: set HERALD_SECRET to the endpoint's signing secret (whsec_...)");
        return ExitCode::FAILURE;
    };
    let port = match std::env::var("PORT").map(|p| p.parse::<u16>()) {
        Err(_) => 9000,
        Ok(Ok(port)) => port,
        Ok(Err(e)) => {
            eprintln!("herald-example-receiver: PORT is not a port number: {e}");
            return ExitCode::FAILURE;
        }
    };
    let host = match std::env::var("HOST").map(|h| h.parse::<IpAddr>()) {
        Err(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        Ok(Ok(host)) => host,
        Ok(Err(e)) => {
            eprintln!("herald-example-receiver: HOST is not an IP address: {e}");
            return ExitCode::FAILURE;
        }
    };

    let receiver = Arc::new(Receiver { secret, processed: Mutex::default() });
    let app = Router::new().route("/webhook", post(webhook)).with_state(receiver);
    let address = SocketAddr::new(host, port);
    let listener = match tokio::net::TcpListener::bind(address).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("herald-example-receiver: cannot listen on {address}: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("herald-example-receiver: listening on http://{address}/webhook");
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
        eprintln!("herald-example-receiver: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// `POST /webhook`: verify, deduplicate, process.
async fn webhook(State(receiver): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> (StatusCode, Json<Value>) {
    // The raw bytes as received: the signature covers them, not re-serialised JSON.
    let signature = headers.get("x-webhook-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if let Err(reason) = herald_signature::verify_now(&receiver.secret, signature, &body, DEFAULT_TOLERANCE) {
        eprintln!("refused a request: {reason}");
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid signature"})));
    }
    let Ok(event) = serde_json::from_slice::<Event>(&body) else {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "not an event"})));
    };

    let first_time = receiver.processed.lock().unwrap_or_else(PoisonError::into_inner).insert(event.id.clone());
    if !first_time {
        println!("duplicate {} ignored", event.id);
        return (StatusCode::OK, Json(json!({"received": true, "duplicate": true})));
    }
    process(&event);
    (StatusCode::OK, Json(json!({"received": true})))
}

/// The receiver's own work; here, one line on standard output.
fn process(event: &Event) {
    println!("processed {} {}", event.id, event.event_type);
    if event.event_type == "project.completed" {
        if let Some(url) = event.data.get("video_url").and_then(Value::as_str) {
            println!("  video ready: {url}");
        }
    }
}
