//! One live stream's reader: a task of its own that reads the account's
//! events from the store after its position, keeps the ones the client wants,
//! and hands their frames to the connection through a small buffer. It never
//! holds up publishing or another stream: it reads the store at its own pace,
//! woken by [`NewEvents`](crate::publish::NewEvents) or by its poll interval, and when
//! the client takes nothing for the write timeout it ends the stream with a
//! comment naming where to resume.

use std::{convert::Infallible, time::Duration};

use axum::body::Body;
use bytes::Bytes;
use futures::StreamExt;
use tokio::{
    sync::{
        mpsc::{self, error::SendTimeoutError},
        oneshot, watch,
    },
    time::Instant,
};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::frame;
use crate::{
    domain::{AccountId, EventFilter, EventId},
    store::SharedStore,
};

/// Frames waiting between the reader and the connection: the most one stream
/// holds in memory beyond the socket's own buffers.
const BUFFERED_FRAMES: usize = 16;

/// Events read from the store at once.
const PAGE: u32 = 100;

/// The pace of a stream, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// Silence before a `: keep-alive` comment.
    pub heartbeat: Duration,
    /// Reads of the store when nothing woke the stream.
    pub poll: Duration,
    /// How long the client may take nothing before the stream ends.
    pub write_timeout: Duration,
}

/// One stream's reader, before it starts.
pub struct Follower {
    /// The truth it reads.
    pub store: SharedStore,
    /// Whose events.
    pub account: AccountId,
    /// Which of them the client wants.
    pub filter: EventFilter,
    /// Where the client starts: its `Last-Event-ID`, or the account's last event.
    pub start: EventId,
    /// Its timings.
    pub pace: Pace,
    /// Cancelled when the server stops.
    pub shutdown: CancellationToken,
    /// Rung after each publish on this node; subscribed before the first read,
    /// so no commit between that read and the first wait goes unnoticed.
    pub new_events: watch::Receiver<u64>,
}

/// Why a stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// The connection is gone.
    ClientGone,
    /// The client took nothing for the write timeout.
    Lagging,
    /// The server is stopping.
    ShuttingDown,
}

impl Ending {
    /// The `reason` label of `herald_streams_ended_total`.
    fn label(self) -> &'static str {
        match self {
            Self::ClientGone => "client_gone",
            Self::Lagging => "lagging",
            Self::ShuttingDown => "shutdown",
        }
    }
}

/// What a stream wakes up for between reads.
enum Wake {
    /// Time to read the store again.
    Read,
    /// Quiet for the heartbeat interval.
    Heartbeat,
    /// The stream is over.
    End(Ending),
}

/// The reader at work.
struct Running {
    follower: Follower,
    /// The last event read from the store, sent or filtered out.
    read: EventId,
    /// The last event id put on the connection (or the start): where the client resumes.
    sent: EventId,
    /// Whether `new_events` can still ring.
    signal_open: bool,
}

impl Follower {
    /// Starts the reader as a task of `tasks`; the body is what the connection sends.
    pub fn start(self, tasks: &TaskTracker) -> Body {
        let (frames_tx, frames_rx) = mpsc::channel::<Bytes>(BUFFERED_FRAMES);
        let (last_tx, last_rx) = oneshot::channel::<Bytes>();
        let running = Running { read: self.start.clone(), sent: self.start.clone(), follower: self, signal_open: true };
        tasks.spawn(running.run(frames_tx, last_tx));
        let frames = futures::stream::unfold(frames_rx, |mut rx| async move { rx.recv().await.map(|f| (f, rx)) });
        let last = futures::stream::once(last_rx).filter_map(|r| async move { r.ok() });
        Body::from_stream(frames.chain(last).map(Ok::<Bytes, Infallible>))
    }
}

impl Running {
    async fn run(mut self, frames: mpsc::Sender<Bytes>, last: oneshot::Sender<Bytes>) {
        metrics::gauge!("herald_streams_open").increment(1.0);
        let ending = self.follow(&frames).await;
        metrics::gauge!("herald_streams_open").decrement(1.0);
        metrics::counter!("herald_streams_ended_total", "reason" => ending.label()).increment(1);
        tracing::debug!(account = %self.follower.account, last_sent = %self.sent, reason = ending.label(), "stream ended");
        let note = match ending {
            Ending::ClientGone => return,
            Ending::Lagging => "this reader took nothing for too long and the stream ends",
            Ending::ShuttingDown => "the server is shutting down",
        };
        // After every frame still buffered, so the position it names is the last one the client gets.
        let _ = last.send(frame::comment(&format!("{note}; reconnect with Last-Event-ID: {}", self.sent)));
    }

    /// Sends the opening, then every wanted event as it is committed, until the stream ends.
    async fn follow(&mut self, frames: &mpsc::Sender<Bytes>) -> Ending {
        if let Err(ending) = self.send(frames, frame::opening(&self.sent)).await {
            return ending;
        }
        let mut quiet_until = Instant::now() + self.follower.pace.heartbeat;
        loop {
            match self.catch_up(frames).await {
                Ok(true) => quiet_until = Instant::now() + self.follower.pace.heartbeat,
                Ok(false) => {}
                Err(ending) => return ending,
            }
            match self.wait(frames, quiet_until).await {
                Wake::Read => {}
                Wake::Heartbeat => {
                    if let Err(ending) = self.send(frames, frame::comment(frame::KEEP_ALIVE)).await {
                        return ending;
                    }
                    quiet_until = Instant::now() + self.follower.pace.heartbeat;
                }
                Wake::End(ending) => return ending,
            }
        }
    }

    /// Sends every wanted event committed after the read position; whether
    /// anything was sent. A store that fails is tried again at the next wake.
    async fn catch_up(&mut self, frames: &mpsc::Sender<Bytes>) -> Result<bool, Ending> {
        let mut sent_any = false;
        loop {
            let page = match self.follower.store.events_after(&self.follower.account, None, &self.read, PAGE).await {
                Ok(page) => page,
                Err(e) => {
                    tracing::warn!(account = %self.follower.account, error = %e, "a live stream could not read the store");
                    return Ok(sent_any);
                }
            };
            for event in page.items {
                if self.follower.filter.matches(&event.event_type, &event.payload) {
                    self.send(frames, frame::event(&event)).await?;
                    self.sent = event.id.clone();
                    sent_any = true;
                }
                self.read = event.id;
            }
            if page.next_cursor.is_none() {
                return Ok(sent_any);
            }
            if self.follower.shutdown.is_cancelled() {
                return Err(Ending::ShuttingDown);
            }
        }
    }

    /// Waits for a publish on this node, the poll interval, the heartbeat, or the end.
    async fn wait(&mut self, frames: &mpsc::Sender<Bytes>, quiet_until: Instant) -> Wake {
        let Follower { shutdown, new_events, pace, .. } = &mut self.follower;
        let mut signal_gone = false;
        let wake = tokio::select! {
            () = shutdown.cancelled() => Wake::End(Ending::ShuttingDown),
            () = frames.closed() => Wake::End(Ending::ClientGone),
            rung = new_events.changed(), if self.signal_open => {
                signal_gone = rung.is_err();
                Wake::Read
            }
            () = tokio::time::sleep(pace.poll) => Wake::Read,
            () = tokio::time::sleep_until(quiet_until) => Wake::Heartbeat,
        };
        if signal_gone {
            self.signal_open = false; // publishing is gone; the poll interval still paces reads
        }
        wake
    }

    /// Puts one frame on the connection's buffer, waiting at most the write timeout for room.
    async fn send(&self, frames: &mpsc::Sender<Bytes>, frame: Bytes) -> Result<(), Ending> {
        tokio::select! {
            biased;
            () = self.follower.shutdown.cancelled() => Err(Ending::ShuttingDown),
            sent = frames.send_timeout(frame, self.follower.pace.write_timeout) => match sent {
                Ok(()) => Ok(()),
                Err(SendTimeoutError::Timeout(_)) => Err(Ending::Lagging),
                Err(SendTimeoutError::Closed(_)) => Err(Ending::ClientGone),
            },
        }
    }
}
