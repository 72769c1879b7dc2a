//! The live stream (`GET …/events/stream`, Server-Sent Events) read as a
//! sequence that outlives connections: a [`LiveStream`] gives the events
//! as Herald commits them and, when the connection drops (a restart, the
//! network, a reader judged too slow), waits (250 ms, doubling up to 5 s)
//! and connects again with `Last-Event-ID` set to the last id it saw, the
//! stream's opening position included, so nothing is lost and nothing comes
//! twice. A refusal that retrying cannot change (`4xx` but `429`) is
//! returned as the error.

use std::{collections::VecDeque, fmt, time::Duration};

use futures::Stream;
use reqwest::{Response, StatusCode};
use url::Url;

use crate::{
    client::Client,
    error::Error,
    sse::{Item, Reader},
    transport,
    types::Envelope,
};

/// Options of a [`LiveStream`]: its filters, where it starts, and its patience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamOptions {
    /// Only these types or `prefix.*` patterns (sent as `types=a,b`); every type when empty.
    pub types: Vec<String>,
    /// Only events whose `data` holds this `project_id`.
    pub project_id: Option<i64>,
    /// Only events whose `data` holds this `person_id`.
    pub person_id: Option<i64>,
    /// Start right after this event; with the events to come when `None`.
    pub last_event_id: Option<String>,
    /// Silence (not even a keep-alive comment) after which the connection
    /// is taken for dead and made again: four of Herald's default heartbeats.
    pub idle_timeout: Duration,
    /// The first wait before reconnecting; it doubles up to `max_backoff`,
    /// and starts again from here once a connection got as far as the stream's opening.
    pub first_backoff: Duration,
    /// The longest wait before reconnecting (a `Retry-After` may ask for longer).
    pub max_backoff: Duration,
}

impl Default for StreamOptions {
    fn default() -> Self {
        Self {
            types: Vec::new(),
            project_id: None,
            person_id: None,
            last_event_id: None,
            idle_timeout: Duration::from_secs(60),
            first_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// One event of the stream: its id, its type, and the envelope's bytes
/// exactly as a receiver gets them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEvent {
    /// `evt_…`.
    pub id: String,
    /// Its type (the SSE `event:` field).
    pub event_type: String,
    /// The envelope, byte for byte as stored and delivered.
    pub data: Vec<u8>,
}

impl StreamEvent {
    /// The envelope, parsed.
    pub fn envelope(&self) -> Result<Envelope, serde_json::Error> {
        serde_json::from_slice(&self.data)
    }
}

/// Something the stream said or did; [`LiveStream::next_event`] keeps the events alone.
#[derive(Debug)]
pub enum StreamItem {
    /// An event.
    Event(StreamEvent),
    /// An `id:` with no event: the stream's position (its opening names where it starts).
    Position(String),
    /// A comment (`keep-alive`, or why Herald ends the stream and where to resume).
    Comment(String),
    /// An event without an id (Herald sends none): it cannot be resumed after, so it is not given as an event.
    WithoutId {
        /// Its type.
        event_type: String,
    },
    /// The connection dropped; the next call waits `retry_in`, then connects again.
    Dropped {
        /// What happened.
        reason: Dropped,
        /// How long the next call waits before connecting.
        retry_in: Duration,
    },
}

/// How a connection ended, when following can go on.
#[derive(Debug)]
pub enum Dropped {
    /// No connection (refused, reset, DNS).
    Connect(reqwest::Error),
    /// Herald answered with a status worth retrying (`5xx`, `429`).
    Status(StatusCode),
    /// The connection broke while the stream was read.
    Read(reqwest::Error),
    /// Nothing arrived for this long.
    Idle(Duration),
    /// Herald ended the stream (shutting down, or this reader was too slow).
    Ended,
}

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect(e) => write!(f, "cannot connect: {}", brief(e)),
            Self::Status(status) => write!(f, "Herald answered {status}"),
            Self::Read(e) => write!(f, "read failed: {}", brief(e)),
            Self::Idle(after) => write!(f, "nothing received for {after:?}"),
            Self::Ended => f.write_str("Herald ended the stream"),
        }
    }
}

/// What an HTTP failure comes down to: its deepest cause (`Connection
/// refused (os error 111)`), which says more than the layers above it.
pub fn brief(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".to_owned();
    }
    let mut deepest: &dyn std::error::Error = e;
    while let Some(cause) = deepest.source() {
        deepest = cause;
    }
    deepest.to_string()
}

/// An account's live stream, across reconnections.
#[derive(Debug)]
pub struct LiveStream {
    /// Who asks.
    client: Client,
    /// The stream's URL with its filters.
    url: Url,
    /// Patience and backoff.
    options: StreamOptions,
    /// The last id seen (an event's or a position's): where a reconnection resumes.
    last_event_id: Option<String>,
    /// The open connection, if any.
    response: Option<Response>,
    /// The parser of the open connection.
    reader: Reader,
    /// Items parsed and not yet given.
    queue: VecDeque<Item>,
    /// Whether the open connection got as far as the stream's opening.
    connected: bool,
    /// The next wait before reconnecting.
    backoff: Duration,
    /// The wait owed before the next connection.
    owed: Option<Duration>,
}

impl Client {
    /// The account's live stream, with these filters, from `options.last_event_id`
    /// or the events to come. Nothing is asked until the first `next`.
    pub fn stream_events(&self, account: &str, options: StreamOptions) -> LiveStream {
        let mut url = self.url(&["v1", "accounts", account, "events", "stream"]);
        {
            let mut query = url.query_pairs_mut();
            if !options.types.is_empty() {
                query.append_pair("types", &options.types.join(","));
            }
            if let Some(id) = options.project_id {
                query.append_pair("project_id", &id.to_string());
            }
            if let Some(id) = options.person_id {
                query.append_pair("person_id", &id.to_string());
            }
        }
        LiveStream {
            client: self.clone(),
            url,
            last_event_id: options.last_event_id.clone(),
            backoff: options.first_backoff,
            options,
            response: None,
            reader: Reader::default(),
            queue: VecDeque::new(),
            connected: false,
            owed: None,
        }
    }
}

impl LiveStream {
    /// The last id seen: an event's, or the stream's opening position. A
    /// reconnection resumes right after it.
    pub fn last_event_id(&self) -> Option<&str> {
        self.last_event_id.as_deref()
    }

    /// The next event, reconnecting as often as needed; an error only for
    /// a refusal that retrying cannot change (a wrong key, an unknown
    /// account, a bad filter).
    pub async fn next_event(&mut self) -> Result<StreamEvent, Error> {
        loop {
            if let StreamItem::Event(event) = self.next().await? {
                return Ok(event);
            }
        }
    }

    /// The events as a `futures::Stream`, ending at the first refusal.
    pub fn into_events(self) -> impl Stream<Item = Result<StreamEvent, Error>> {
        futures::stream::try_unfold(self, |mut stream| async move {
            let event = stream.next_event().await?;
            Ok(Some((event, stream)))
        })
    }

    /// The next thing the stream says, or that its connection dropped. Calling
    /// again after a [`StreamItem::Dropped`] waits, then connects again.
    pub async fn next(&mut self) -> Result<StreamItem, Error> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Ok(self.give(item));
            }
            let Some(response) = self.response.as_mut() else {
                if let Err(dropped) = self.connect().await? {
                    return Ok(self.dropped(dropped));
                }
                continue;
            };
            let chunk = match tokio::time::timeout(self.options.idle_timeout, response.chunk()).await {
                Err(_) => return Ok(self.dropped(Dropped::Idle(self.options.idle_timeout))),
                Ok(Err(e)) => return Ok(self.dropped(Dropped::Read(e))),
                Ok(Ok(None)) => return Ok(self.dropped(Dropped::Ended)),
                Ok(Ok(Some(chunk))) => chunk,
            };
            let items = self.reader.push(&chunk);
            self.connected |= items.iter().any(|item| !matches!(item, Item::Comment(_)));
            self.queue.extend(items);
        }
    }

    /// Keeps the id an item carries, and turns it into what the caller gets.
    fn give(&mut self, item: Item) -> StreamItem {
        match item {
            Item::Event { id: Some(id), event, data } => {
                self.last_event_id = Some(id.clone());
                StreamItem::Event(StreamEvent { id, event_type: event, data })
            }
            Item::Event { id: None, event, .. } => StreamItem::WithoutId { event_type: event },
            Item::Position(id) => {
                self.last_event_id = Some(id.clone());
                StreamItem::Position(id)
            }
            Item::Comment(text) => StreamItem::Comment(text),
        }
    }

    /// Waits what is owed, then opens a connection resuming after the last
    /// id: `Ok(Ok(()))` when open, `Ok(Err(_))` when it should be tried again.
    async fn connect(&mut self) -> Result<Result<(), Dropped>, Error> {
        if let Some(wait) = self.owed.take() {
            tokio::time::sleep(wait).await;
        }
        let mut request = self.client.stream_request(self.url.clone());
        if let Some(id) = &self.last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => return Ok(Err(Dropped::Connect(e))),
        };
        let status = response.status();
        if status.is_success() {
            self.response = Some(response);
            self.reader = Reader::default();
            self.connected = false;
            return Ok(Ok(()));
        }
        let refusal = transport::refusal(response).await;
        match refusal.api() {
            Some(api) if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() => {
                if let Some(wait) = api.retry_after {
                    self.backoff = self.backoff.max(wait);
                }
                Ok(Err(Dropped::Status(status)))
            }
            Some(_) => Err(refusal),
            None => Ok(Err(Dropped::Status(status))),
        }
    }

    /// Closes the connection and sets the wait before the next one.
    fn dropped(&mut self, reason: Dropped) -> StreamItem {
        self.response = None;
        self.queue.clear();
        if std::mem::take(&mut self.connected) {
            self.backoff = self.options.first_backoff;
        }
        let retry_in = self.backoff;
        self.backoff = (self.backoff * 2).min(self.options.max_backoff).max(self.options.first_backoff);
        self.owed = Some(retry_in);
        StreamItem::Dropped { reason, retry_in }
    }
}
