//! A live-stream reader that takes nothing: publishing and the other readers
//! go on as if it were not there, and once it has taken nothing for the write
//! timeout its stream ends with a comment naming the last event it was sent,
//! from which it resumes with nothing lost and nothing twice.

use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
};

use crate::{
    helpers::{spawn_app_with, Options, TestApp, DEADLINE},
    sse::{parse_body, Ended, Stream, StreamEvent},
};

/// The slow reader's socket receive buffer: small, so that the server's
/// buffers fill after a few events rather than after many megabytes.
const RECEIVE_BUFFER: u32 = 4096;

/// A stream request over a bare socket with a small receive buffer, read only
/// when the test says so.
struct SlowReader {
    socket: TcpStream,
}

impl SlowReader {
    /// Sends the request (`Connection: close`, so the body's end is the socket's).
    async fn open(app: &TestApp, account: &str, last_event_id: &str) -> Self {
        let socket = TcpSocket::new_v4().expect("a socket");
        socket.set_recv_buffer_size(RECEIVE_BUFFER).expect("a small receive buffer");
        let mut socket = socket.connect(([127, 0, 0, 1], app.port).into()).await.expect("connected");
        let request = format!(
            "GET /v1/accounts/{account}/events/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Authorization: Bearer {}\r\nLast-Event-ID: {last_event_id}\r\nConnection: close\r\n\r\n",
            app.admin_token
        );
        socket.write_all(request.as_bytes()).await.expect("the request is sent");
        Self { socket }
    }

    /// Reads the whole answer, now; returns what the stream said.
    async fn read_to_end(mut self) -> Ended {
        let mut raw = Vec::new();
        tokio::time::timeout(DEADLINE, self.socket.read_to_end(&mut raw))
            .await
            .expect("the server ends the answer within the deadline")
            .expect("the answer is read");
        let head_end = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a response head");
        let head = String::from_utf8_lossy(&raw[..head_end]).to_ascii_lowercase();
        assert!(head.starts_with("http/1.1 200"), "the stream opened: {head}");
        assert!(head.contains("transfer-encoding: chunked"), "a chunked stream: {head}");
        parse_body(&dechunk(&raw[head_end + 4..]))
    }
}

/// The body of a `Transfer-Encoding: chunked` answer.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n").expect("a chunk size line");
        let line = String::from_utf8_lossy(&body[..line_end]).into_owned();
        let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16).expect("a hex chunk size");
        body = &body[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

/// Bytes of padding in each event, so that buffers fill after a few.
const PADDING: usize = 100_000;

/// The most batches published before the test gives up on the stream being cut.
const MAX_BATCHES: usize = 400;

/// `herald_streams_ended_total{reason="lagging"}` as `/metrics` says it now.
async fn lagging_ends(app: &TestApp) -> u64 {
    app.metric(r#"herald_streams_ended_total{reason="lagging"}"#).await as u64
}

fn ids(events: &[StreamEvent]) -> Vec<String> {
    events.iter().map(|e| e.id.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_takes_nothing_is_cut_off_naming_where_to_resume_and_slows_no_one() {
    let app = spawn_app_with(Options::default().stream_write_timeout("1s")).await;
    let account = app.create_account().await;
    let start = app.publish(&account, "credits.low", json!({"balance": 0, "threshold": 100})).await;
    let lagged_before = lagging_ends(&app).await;
    let slow = SlowReader::open(&app, &account, &start.id).await;
    let publisher = app.publisher();

    let publishing = async {
        let padding = "x".repeat(PADDING);
        for batch in 0..MAX_BATCHES {
            if lagging_ends(&app).await > lagged_before {
                // The last event, which tells the other reader it has everything.
                publisher.publish(&account, "credits.depleted", json!({"balance": 0})).await;
                return;
            }
            let events: Vec<(&str, serde_json::Value)> = (0..2)
                .map(|i| ("credits.low", json!({"balance": batch * 2 + i, "threshold": 100, "padding": padding})))
                .collect();
            publisher.publish_batch(&account, &events).await;
        }
        panic!("the reader that takes nothing was not cut off after {MAX_BATCHES} batches");
    };
    let fast_reading = async {
        let mut got: Vec<StreamEvent> = Vec::new();
        let mut fast = Stream::resume(&app, &account, &start.id).await;
        while got.last().is_none_or(|e| e.event != "credits.depleted") {
            match fast.next_frame().await {
                Some(frame) => {
                    if let (Some(id), Some(event), Some(data)) = (frame.id, frame.event, frame.data) {
                        got.push(StreamEvent { id, event, data });
                    }
                }
                // Cut off too (a very loaded machine): resume, as any client does.
                None => {
                    fast = Stream::resume(&app, &account, &got.last().map_or(start.id.clone(), |e| e.id.clone())).await
                }
            }
        }
        got
    };
    let ((), fast_got) = tokio::join!(publishing, fast_reading);

    let all: Vec<String> =
        app.events_after(&account, &start.id).await.iter().map(|e| e["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids(&fast_got), all, "the other reader got every event while the slow one took nothing");
    let ended = slow.read_to_end().await;
    let sent = ids(&ended.events);
    assert!(sent.len() < all.len(), "the slow reader was cut before the end");
    assert_eq!(sent, all[..sent.len()], "what the slow reader was sent is the start, in order");
    let position = ended.resume_position();
    assert_eq!(&position, sent.last().unwrap_or(&start.id), "the final comment names the last event sent");
    let mut resumed = Stream::resume(&app, &account, &position).await;
    let rest = resumed.events(all.len() - sent.len()).await;
    assert_eq!(ids(&rest), all[sent.len()..], "resuming gives the rest: nothing lost, nothing twice");
}
