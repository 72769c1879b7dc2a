//! Recording outcomes in groups: a worker queues each outcome here and goes
//! on to its next attempt at once, and one task records whatever has queued
//! up in one store call (one commit on SQLite; the attempt log's groups on
//! PostgreSQL). A thousand outcomes cost a few store calls, not a thousand
//! tasks, replies and commits.
//!
//! A group that cannot be recorded is retried briefly; while the database
//! does not answer, it is tried again every second for as long as the
//! outcomes' leases last (`patience`, the lease margin), so that a short
//! outage costs no attempt; then each of its outcomes alone. If the store
//! stays down longer, the leases expire and the deliveries are attempted
//! again (at least once).

use std::{sync::Arc, time::Duration};

use tokio::{
    sync::{mpsc, Notify},
    task::JoinHandle,
};
use tokio_util::sync::CancellationToken;

use super::in_flight::InFlight;
use crate::{
    domain::Verdict,
    store::{Outcome, SharedStore},
};

/// The most outcomes recorded in one store call.
const GROUP: usize = 512;
/// The most outcomes on their way to the store at once; a worker whose
/// outcome would be one more waits.
const QUEUE: usize = 2048;
/// Waits before each try of a group that fails.
const RETRIES_MS: [u64; 4] = [0, 50, 250, 1000];
/// How often a group is tried again while the database does not answer.
const UNAVAILABLE_RETRY: Duration = Duration::from_secs(1);

/// The queue in front of the recording task.
#[derive(Debug)]
pub struct Recorder {
    queue: mpsc::Sender<Outcome>,
    /// Cancelled at shutdown once the workers are done: the task records
    /// what is queued, then ends.
    closing: CancellationToken,
}

impl Recorder {
    /// Starts the recording task; `work` learns of each outcome once it is
    /// recorded (or given up), and `rescheduled` is woken after a group that
    /// put deliveries back for a later attempt (the store's next due time
    /// may be sooner now) or held an ordered endpoint's head (the next one
    /// is due now).
    /// While the database does not answer, a group is kept for `patience`
    /// (no longer than its outcomes' leases last).
    pub fn start(
        store: SharedStore,
        work: InFlight,
        rescheduled: Arc<Notify>,
        patience: Duration,
    ) -> (Self, JoinHandle<()>) {
        let (queue, outcomes) = mpsc::channel(QUEUE);
        let closing = CancellationToken::new();
        let task = tokio::spawn(serve(store, work, rescheduled, outcomes, (closing.clone(), patience)));
        (Self { queue, closing }, task)
    }

    /// Queues an outcome, waiting only while the queue is full.
    pub async fn record(&self, outcome: Outcome) {
        if self.queue.send(outcome).await.is_err() {
            tracing::error!("the recorder has stopped; the outcome's lease will expire and it will be sent again");
        }
    }

    /// Tells the task to record what is queued and end.
    pub fn close(&self) {
        self.closing.cancel();
    }
}

async fn serve(
    store: SharedStore,
    work: InFlight,
    rescheduled: Arc<Notify>,
    mut outcomes: mpsc::Receiver<Outcome>,
    (closing, patience): (CancellationToken, Duration),
) {
    let mut queued = Vec::with_capacity(GROUP);
    let mut closed = false;
    loop {
        let taken = tokio::select! {
            taken = outcomes.recv_many(&mut queued, GROUP) => taken,
            () = closing.cancelled(), if !closed => {
                outcomes.close(); // what is queued can still be received
                closed = true;
                continue;
            }
        };
        if taken == 0 {
            return;
        }
        let group: Arc<[Outcome]> = std::mem::take(&mut queued).into();
        record_group(&store, &group, patience, &closing).await;
        for outcome in group.iter() {
            work.sent(&outcome.delivery.id);
        }
        // Put back for later, or an ordered endpoint's head moved on (the
        // next one may be claimed now).
        if group.iter().any(|o| matches!(o.verdict, Verdict::RetryAt(_)) || o.delivery.ordered) {
            rescheduled.notify_one();
        }
    }
}

/// Records a group, retrying briefly (for `patience` while the database
/// does not answer, unless the recorder is closing), and then each outcome alone.
async fn record_group(store: &SharedStore, group: &Arc<[Outcome]>, patience: Duration, closing: &CancellationToken) {
    let mut unavailable = false;
    for wait_ms in RETRIES_MS {
        tokio::time::sleep(Duration::from_millis(wait_ms)).await;
        match store.record_attempts(group.clone()).await {
            Ok(()) => return,
            Err(e) => {
                unavailable = e.is_unavailable();
                tracing::warn!(count = group.len(), error = %e, "failed to record a group of attempts; trying again")
            }
        }
    }
    let until = tokio::time::Instant::now() + patience;
    while unavailable && tokio::time::Instant::now() < until && !closing.is_cancelled() {
        tokio::time::sleep(UNAVAILABLE_RETRY).await;
        match store.record_attempts(group.clone()).await {
            Ok(()) => return,
            Err(e) => unavailable = e.is_unavailable(),
        }
    }
    for outcome in group.iter() {
        if let Err(e) = store.record_attempt(&outcome.delivery, &outcome.attempt, outcome.verdict).await {
            tracing::error!(delivery = %outcome.delivery.id, error = %e,
                "gave up recording an attempt; its lease will expire and it will be sent again");
        }
    }
}
