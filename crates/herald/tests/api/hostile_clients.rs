//! Clients that misbehave on the API's own port (issue 19, fault 4): one
//! that sends its headers a line at a time (slow-loris) is cut once
//! `HERALD_HEADER_READ_TIMEOUT` has passed, one that sends its body a byte
//! at a time is answered 408 and cut once `HERALD_BODY_READ_TIMEOUT` has,
//! storing nothing, and connections that never
//! send a byte are closed after as long, so that even with all of
//! `HERALD_MAX_CONNECTIONS` taken by them, other clients are served. Real
//! TCP connections against a real Herald.

use std::time::Duration;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::{
    checks::Poll,
    fixtures::credits_low,
    helpers::{spawn_app_with, Options, TestApp, ADMIN_TOKEN},
};

/// A second to send headers in, and room for 20 connections.
async fn app_with_tight_limits() -> TestApp {
    spawn_app_with(Options::default().connections("1s", 20)).await
}

/// `GET /healthz` on a connection of its own: the app's pooled client
/// might pick a keep-alive connection at the very moment the server closes
/// it for idling past the 1 s limit, which is the limit working, not a fault.
async fn healthz_on_a_new_connection(app: &TestApp) -> u16 {
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("an HTTP client");
    client.get(app.url("/healthz")).send().await.expect("GET sent").status().as_u16()
}

/// Whether the server has closed `stream` (a read gives EOF or an error) within `wait`.
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut byte = [0u8; 64];
    matches!(tokio::time::timeout(wait, stream.read(&mut byte)).await, Ok(Ok(0) | Err(_)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_sends_its_headers_a_line_at_a_time_is_cut_while_others_are_served() {
    let app = app_with_tight_limits().await;
    let mut loris = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    loris.write_all(b"GET /healthz HTTP/1.1\r\nHost: herald\r\n").await.unwrap();

    // Another client is served while the slow one trickles.
    assert_eq!(healthz_on_a_new_connection(&app).await, 200);

    // A header line every 100 ms, never the blank line that ends them: the
    // server must hang up, though the client never stops sending.
    let poll = Poll::new("the server to cut the slow client");
    let mut lines = 0;
    loop {
        if loris.write_all(b"X-Trickle: 1\r\n").await.is_err()
            || closed_within(&mut loris, Duration::from_millis(100)).await
        {
            break;
        }
        lines += 1;
        poll.tick(&lines).await;
    }
    assert_eq!(healthz_on_a_new_connection(&app).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_that_fill_every_place_are_closed_and_others_are_served() {
    let app = app_with_tight_limits().await;
    let mut idle = Vec::new();
    for _ in 0..60 {
        idle.push(TcpStream::connect(("127.0.0.1", app.port)).await.unwrap());
    }
    // Three times the cap, silent: served once places are freed, as they are when the silent ones are cut.
    assert_eq!(healthz_on_a_new_connection(&app).await, 200);
    let poll = Poll::new("every silent connection to be closed");
    for (i, stream) in idle.iter_mut().enumerate() {
        while !closed_within(stream, Duration::from_millis(100)).await {
            poll.tick(&i).await;
        }
    }
    assert_eq!(healthz_on_a_new_connection(&app).await, 200);
}

/// Reads what the server sends on `stream` until it closes it, if it
/// starts answering within `wait`; `None` if it says nothing by then.
async fn answer_within(stream: &mut TcpStream, wait: Duration) -> Option<String> {
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    match tokio::time::timeout(wait, stream.read(&mut chunk)).await {
        Err(_) => return None,
        Ok(Ok(n)) => answer.extend_from_slice(&chunk[..n]),
        Ok(Err(e)) => panic!("the connection failed instead of being answered: {e} (read so far: {answer:?})"),
    }
    while let Ok(Ok(n @ 1..)) = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk)).await {
        answer.extend_from_slice(&chunk[..n]);
    }
    Some(String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_sends_its_body_a_byte_at_a_time_is_answered_408_and_cut_and_nothing_is_stored() {
    let app = spawn_app_with(Options::default().connections("1s", 20).body_read_timeout("1s")).await;
    let account = app.create_account().await;
    let body = serde_json::to_vec(&serde_json::json!({"type": "credits.low", "data": credits_low(1)})).unwrap();
    let mut loris = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    let head = format!(
        "POST /v1/accounts/{account}/events HTTP/1.1\r\nHost: herald\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    loris.write_all(head.as_bytes()).await.unwrap();

    // One byte every 100 ms: the whole body would take far longer than the
    // second it is allowed; the server must answer before the client is done.
    let poll = Poll::new("the server to answer the slow body");
    let mut sent = 0;
    let answer = loop {
        assert!(sent < body.len(), "the whole body was sent without the server answering 408");
        if loris.write_all(&body[sent..=sent]).await.is_err() {
            // The server answered and closed between two bytes: its answer is waiting to be read.
            break answer_within(&mut loris, Duration::from_secs(5)).await.expect("an answer before the close");
        }
        sent += 1;
        if let Some(answer) = answer_within(&mut loris, Duration::from_millis(100)).await {
            break answer;
        }
        assert_eq!(healthz_on_a_new_connection(&app).await, 200, "others are served meanwhile");
        poll.tick(&sent).await;
    };
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("urn:herald:problem:request-timeout"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("connection: close"), "{answer}");
    assert!(closed_within(&mut loris, Duration::from_secs(5)).await, "the connection is closed after the 408");
    assert!(app.list_events(&account).await.is_empty(), "a body cut short stored nothing");
    println!("figures: answered 408 after {sent} of {} bytes, one each 100 ms", body.len());
}
