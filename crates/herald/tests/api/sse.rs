//! A live-stream client for the tests: opens `GET …/events/stream` over a
//! real connection and reads it frame by frame (events, comments, the
//! opening's id-only position), each read bounded by the suite's deadline.

use std::collections::VecDeque;

use reqwest::Response;

use crate::helpers::{TestApp, DEADLINE};

/// One frame of the stream: what came between two blank lines.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    /// The `id:` field.
    pub id: Option<String>,
    /// The `event:` field.
    pub event: Option<String>,
    /// The `data:` lines, joined with `\n`.
    pub data: Option<Vec<u8>>,
    /// The comment lines, without `: `.
    pub comments: Vec<String>,
}

/// One event of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEvent {
    /// `id:`.
    pub id: String,
    /// `event:`.
    pub event: String,
    /// `data:`: the envelope bytes.
    pub data: Vec<u8>,
}

/// What a stream said after its last event, when it ended.
#[derive(Debug, Default)]
pub struct Ended {
    /// The events read before the end.
    pub events: Vec<StreamEvent>,
    /// The comments of the last frames (the one naming where to resume among them).
    pub comments: Vec<String>,
}

impl Ended {
    /// The `Last-Event-ID` the final comment names.
    pub fn resume_position(&self) -> String {
        let comment = self
            .comments
            .iter()
            .rev()
            .find(|c| c.contains("Last-Event-ID: "))
            .unwrap_or_else(|| panic!("a final comment naming where to resume: {:?}", self.comments));
        comment.rsplit("Last-Event-ID: ").next().expect("an id after the label").trim().to_string()
    }
}

/// An open stream.
pub struct Stream {
    response: Response,
    /// Bytes of a frame not complete yet.
    pending: Vec<u8>,
    /// Frames read but not yet taken.
    frames: VecDeque<Frame>,
    /// Whether the server ended the body.
    ended: bool,
}

/// How to open a stream.
pub struct Open<'a> {
    /// The bearer token.
    pub token: &'a str,
    /// The account.
    pub account: &'a str,
    /// The query string, without `?` (may be empty).
    pub query: &'a str,
    /// The `Last-Event-ID` header, if any.
    pub last_event_id: Option<&'a str>,
}

impl Stream {
    /// Opens the stream of an account with the admin token, from now on.
    pub async fn open(app: &TestApp, account: &str) -> Self {
        Self::open_with(app, Open { token: &app.admin_token, account, query: "", last_event_id: None }).await
    }

    /// Opens the stream with the admin token, resuming after `last_event_id`.
    pub async fn resume(app: &TestApp, account: &str, last_event_id: &str) -> Self {
        let open = Open { token: &app.admin_token, account, query: "", last_event_id: Some(last_event_id) };
        Self::open_with(app, open).await
    }

    /// Sends the request as described, expecting `200` and `text/event-stream`.
    pub async fn open_with(app: &TestApp, open: Open<'_>) -> Self {
        let response = Self::request(app, &open).await;
        let status = response.status();
        let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
        if status != 200 {
            let text = response.text().await.unwrap_or_default();
            panic!("the stream answered {status}: {text}");
        }
        assert_eq!(content_type.as_deref(), Some("text/event-stream"));
        Self { response, pending: Vec::new(), frames: VecDeque::new(), ended: false }
    }

    /// Sends the request as described and returns the answer as it is.
    pub async fn request(app: &TestApp, open: &Open<'_>) -> Response {
        let mut path = format!("/v1/accounts/{}/events/stream", open.account);
        if !open.query.is_empty() {
            path = format!("{path}?{}", open.query);
        }
        // No overall timeout: a stream lasts; each read has the deadline instead.
        let client = reqwest::Client::new();
        let mut request = client.get(app.url(&path)).bearer_auth(open.token);
        if let Some(id) = open.last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        tokio::time::timeout(DEADLINE, request.send())
            .await
            .expect("the stream answers within the deadline")
            .expect("the stream request is sent")
    }

    /// The next frame, or `None` once the server ended the stream.
    pub async fn next_frame(&mut self) -> Option<Frame> {
        loop {
            if let Some(frame) = self.frames.pop_front() {
                return Some(frame);
            }
            if self.ended {
                return None;
            }
            let chunk = tokio::time::timeout(DEADLINE, self.response.chunk())
                .await
                .unwrap_or_else(|_| panic!("the stream said something within {DEADLINE:?}"));
            match chunk {
                Ok(Some(bytes)) => self.take(&bytes),
                Ok(None) | Err(_) => self.ended = true,
            }
        }
    }

    /// The next event, skipping comments and the opening; fails if the stream ends first.
    pub async fn next_event(&mut self) -> StreamEvent {
        loop {
            let frame = self.next_frame().await.expect("the stream goes on until the next event");
            if let Some(event) = as_event(&frame) {
                return event;
            }
        }
    }

    /// The next `n` events.
    pub async fn events(&mut self, n: usize) -> Vec<StreamEvent> {
        let mut events = Vec::with_capacity(n);
        for _ in 0..n {
            events.push(self.next_event().await);
        }
        events
    }

    /// Reads until the server ends the stream.
    pub async fn until_end(&mut self) -> Ended {
        let mut ended = Ended::default();
        while let Some(frame) = self.next_frame().await {
            ended.comments.extend(frame.comments.iter().cloned());
            ended.events.extend(as_event(&frame));
        }
        ended
    }

    /// Splits the bytes read into frames.
    fn take(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        while let Some(end) = self.pending.windows(2).position(|w| w == b"\n\n") {
            let block: Vec<u8> = self.pending.drain(..end + 2).collect();
            self.frames.push_back(parse(&block[..end]));
        }
    }
}

/// Every frame of a whole stream body, read after the fact.
pub fn parse_body(body: &[u8]) -> Ended {
    let mut ended = Ended::default();
    let mut rest = body;
    while let Some(end) = rest.windows(2).position(|w| w == b"\n\n") {
        let frame = parse(&rest[..end]);
        ended.comments.extend(frame.comments.iter().cloned());
        ended.events.extend(as_event(&frame));
        rest = &rest[end + 2..];
    }
    assert!(rest.is_empty(), "the stream ends with a whole frame: {:?}", String::from_utf8_lossy(rest));
    ended
}

/// The event a frame holds, if it has data.
fn as_event(frame: &Frame) -> Option<StreamEvent> {
    let data = frame.data.clone()?;
    Some(StreamEvent {
        id: frame.id.clone().expect("every event has an id"),
        event: frame.event.clone().expect("every event has a type"),
        data,
    })
}

/// One frame's lines (Herald ends lines with `\n` alone).
fn parse(block: &[u8]) -> Frame {
    let mut frame = Frame::default();
    for line in block.split(|b| *b == b'\n') {
        if let Some(comment) = line.strip_prefix(b":") {
            let text = String::from_utf8_lossy(comment.strip_prefix(b" ").unwrap_or(comment)).into_owned();
            frame.comments.push(text);
            continue;
        }
        let text = |v: &[u8]| String::from_utf8(v.to_vec()).expect("UTF-8 fields");
        if let Some(value) = line.strip_prefix(b"id: ") {
            frame.id = Some(text(value));
        } else if let Some(value) = line.strip_prefix(b"event: ") {
            frame.event = Some(text(value));
        } else if let Some(value) = line.strip_prefix(b"data: ") {
            let data = frame.data.get_or_insert_with(Vec::new);
            if !data.is_empty() {
                data.push(b'\n');
            }
            data.extend_from_slice(value);
        } else {
            panic!("an SSE line Herald would not send: {:?}", String::from_utf8_lossy(line));
        }
    }
    frame
}
