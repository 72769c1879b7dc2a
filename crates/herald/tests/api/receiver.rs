//! A real webhook receiver: an axum server on 127.0.0.1:0 that records every
//! request (method, path, headers, raw body, arrival instant) and answers as
//! its script says. Tests wait on it through a watch channel, never by sleeping.

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
    Router,
};
use serde_json::Value;
use tokio::{sync::watch, task::JoinHandle};

use crate::helpers::DEADLINE;

/// One request as it arrived.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// The HTTP method.
    pub method: Method,
    /// The path and query.
    pub uri: Uri,
    /// Every header.
    pub headers: HeaderMap,
    /// The raw body bytes.
    pub body: Bytes,
    /// When the handler was entered.
    pub at: Instant,
    /// Requests open at the receiver when it arrived, itself included: how
    /// many attempts Herald had in flight to it at once.
    pub open: usize,
}

impl Recorded {
    /// A header's value; fails the test if absent or not text.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("header `{name}` present in {:#?}", self.headers))
            .to_str()
            .expect("a text header")
    }

    /// `X-Webhook-Attempt` as a number.
    pub fn attempt(&self) -> u32 {
        self.header("x-webhook-attempt").parse().expect("a numeric attempt")
    }

    /// `X-Webhook-ID`.
    pub fn event_id(&self) -> String {
        self.header("x-webhook-id").to_string()
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// One answer of the receiver.
#[derive(Clone, Debug)]
pub struct Reply {
    status: u16,
    body: String,
    headers: Vec<(String, String)>,
    hang: bool,
    delay: Duration,
}

impl Reply {
    /// An answer with this status and a short body.
    pub fn status(status: u16) -> Self {
        Self { status, body: "ok".into(), headers: Vec::new(), hang: false, delay: Duration::ZERO }
    }

    /// The same answer, given only after `delay`: a slow endpoint, so that
    /// attempts are genuinely in flight for a while.
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// The same answer with this body.
    pub fn with_body(mut self, body: impl Into<String>) -> Self {
        self.body = body.into();
        self
    }

    /// A `302` to another URL.
    pub fn redirect_to(location: &str) -> Self {
        Self::status(302).with_location(location)
    }

    /// The same answer with a `Location` header: with a `3xx`, a redirect.
    pub fn with_location(self, location: &str) -> Self {
        self.with_header("location", location)
    }

    /// The same answer with this header too (`Retry-After`, say).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Never answers (the request is recorded, then held until the client gives up).
    pub fn hang() -> Self {
        Self { hang: true, ..Self::status(200) }
    }
}

/// How the receiver answers its requests, counted from its first one.
#[derive(Clone, Debug)]
pub enum Script {
    /// The same answer every time.
    Always(Reply),
    /// These answers in order, then the last one forever after.
    Sequence(Vec<Reply>, Reply),
}

struct Shared {
    requests: Mutex<Vec<Recorded>>,
    script: Mutex<Script>,
    count: watch::Sender<usize>,
    /// Requests being answered right now.
    open: AtomicUsize,
}

/// Counts a request as open until its answer is given (or it is dropped).
struct Open<'a>(&'a AtomicUsize);

impl Drop for Open<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A running receiver; stops when dropped.
pub struct Receiver {
    /// Where it listens.
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl Receiver {
    /// A receiver answering per `script`.
    pub async fn start(script: Script) -> Self {
        let (count, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            requests: Mutex::new(Vec::new()),
            script: Mutex::new(script),
            count,
            open: AtomicUsize::new(0),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("the receiver binds");
        let addr = listener.local_addr().expect("an address");
        let router = Router::new().fallback(record).with_state(shared.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.expect("the receiver serves");
        });
        Self { addr, shared, server }
    }

    /// Always `200`.
    pub async fn ok() -> Self {
        Self::start(Script::Always(Reply::status(200))).await
    }

    /// Always `500`.
    pub async fn failing() -> Self {
        Self::start(Script::Always(Reply::status(500))).await
    }

    /// Always `200`, each answer after `delay`.
    pub async fn slow(delay: Duration) -> Self {
        Self::start(Script::Always(Reply::status(200).after(delay))).await
    }

    /// Never answers.
    pub async fn hanging() -> Self {
        Self::start(Script::Always(Reply::hang())).await
    }

    /// These statuses in order, then `then` forever.
    pub async fn sequence(statuses: &[u16], then: u16) -> Self {
        let replies = statuses.iter().map(|s| Reply::status(*s)).collect();
        Self::start(Script::Sequence(replies, Reply::status(then))).await
    }

    /// From now on, always answer this status.
    pub fn answer_always(&self, status: u16) {
        *self.shared.script.lock().expect("script lock") = Script::Always(Reply::status(status));
    }

    /// The URL Herald should post to.
    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// Everything received so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().expect("requests lock").clone()
    }

    /// How many requests arrived so far.
    pub fn count(&self) -> usize {
        *self.shared.count.borrow()
    }

    /// Waits until at least `n` requests arrived (failing after [`DEADLINE`]); returns all so far.
    pub async fn wait_for(&self, n: usize) -> Vec<Recorded> {
        let mut seen = self.shared.count.subscribe();
        // The count's guard is let go at once: `record` takes the requests'
        // lock first and the count's second, so holding the guard while
        // reading the requests would deadlock against it.
        let arrived = tokio::time::timeout(DEADLINE, seen.wait_for(|c| *c >= n)).await.map(|r| r.map(drop));
        if !matches!(arrived, Ok(Ok(()))) {
            let got: Vec<String> = self
                .requests()
                .iter()
                .map(|r| {
                    format!(
                        "{} attempt {}",
                        r.headers.get("x-webhook-id").and_then(|v| v.to_str().ok()).unwrap_or("?"),
                        r.headers.get("x-webhook-attempt").and_then(|v| v.to_str().ok()).unwrap_or("?")
                    )
                })
                .collect();
            panic!("receiver {} got {} of {n} requests within {DEADLINE:?}: {got:?}", self.addr, got.len());
        }
        self.requests()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn record(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let at = Instant::now();
    let open = shared.open.fetch_add(1, Ordering::SeqCst) + 1;
    let _open = Open(&shared.open);
    let (reply, count) = {
        let mut requests = shared.requests.lock().expect("requests lock");
        let index = requests.len();
        requests.push(Recorded { method, uri, headers, body, at, open });
        let reply = match &*shared.script.lock().expect("script lock") {
            Script::Always(reply) => reply.clone(),
            Script::Sequence(replies, then) => replies.get(index).unwrap_or(then).clone(),
        };
        (reply, requests.len())
    };
    // Told once the requests' lock is let go: never one lock while waiting on the other.
    shared.count.send_modify(|seen| *seen = (*seen).max(count));
    if reply.hang {
        std::future::pending::<()>().await;
    }
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let status = StatusCode::from_u16(reply.status).expect("a valid status");
    let mut response = (status, reply.body).into_response();
    for (name, value) in reply.headers {
        let name = axum::http::HeaderName::try_from(name).expect("a valid header name");
        response.headers_mut().append(name, value.parse().expect("a valid header value"));
    }
    response
}
