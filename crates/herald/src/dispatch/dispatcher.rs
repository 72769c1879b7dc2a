//! The dispatcher loop: lease due deliveries ahead into per-endpoint queues,
//! and run workers (within the overall and per-endpoint limits) that send
//! one endpoint's deliveries one after another and record each outcome.

use std::{collections::HashSet, sync::Arc, time::Duration};

use tokio::{
    sync::{Notify, OwnedSemaphorePermit, Semaphore},
    task::{JoinHandle, JoinSet},
};
use tokio_util::sync::CancellationToken;

use super::{
    capacity,
    handoff::Handoff,
    in_flight::{InFlight, Leased},
    pace,
    recorder::Recorder,
    window::Signal,
    Sender,
};
use crate::{
    config::Config,
    domain::{transition::decide, AttemptError, DeliveryId, EndpointId, Timestamp, Verdict},
    store::{Attempt, ClaimedDelivery, Outcome, SharedStore, StoreResult},
};

/// The most deliveries leased in one claim.
const CLAIM_BATCH: usize = 512;
/// The most deliveries leased ahead for one endpoint.
const WAITING_PER_ENDPOINT: usize = 2 * CLAIM_BATCH;
/// The most deliveries leased ahead over all endpoints.
const WAITING_TOTAL: usize = 8192;
/// How long a worker trusts what the store said about its endpoint being
/// enabled: a disable stops the deliveries leased ahead within this time.
const ENABLED_CHECK: Duration = Duration::from_secs(1);

/// What one claim came to.
struct Claimed {
    /// Deliveries leased.
    count: usize,
    /// Whether every endpoint it fed is now full.
    filled_up: bool,
    /// Whether it came back with all it had room for: it may have left due
    /// deliveries behind, and a finished worker's room calls for another claim.
    short: bool,
    /// Whether it left full endpoints out: room made in one of them calls for another claim.
    left_out: bool,
}

/// Claims and sends due deliveries until shut down.
pub struct Dispatcher {
    /// What workers share.
    shared: Arc<Shared>,
    /// Places for workers over all endpoints.
    permits: Arc<Semaphore>,
    /// Woken when new work is committed (publish, retry, re-enable, an
    /// outcome put back for a later attempt).
    wake: Arc<Notify>,
    /// Woken when a publish handed its deliveries over: workers to start, nothing to claim.
    handed: Arc<Notify>,
    /// The task recording outcomes, awaited at shutdown.
    recording: JoinHandle<()>,
}

/// Why the dispatcher woke up.
#[derive(Debug, PartialEq, Eq)]
enum Woken {
    /// Publishes handed deliveries over; the store has nothing new to claim.
    Handed,
    /// A worker finished: a claim is worth it only if the last one was short of room.
    Freed,
    /// An endpoint's queue has room for a claim again: worth it only if due
    /// deliveries were left out for full endpoints (by the last claim, or by
    /// publishes since).
    Room,
    /// Anything else: new work in the store, time, or shutdown.
    Other,
}

/// What the dispatcher and its workers share.
struct Shared {
    /// Limits and schedule.
    config: Arc<Config>,
    /// The truth: where work is claimed from and outcomes go.
    store: SharedStore,
    /// The one HTTP client.
    sender: Sender,
    /// Leased deliveries and workers, per endpoint.
    work: InFlight,
    /// Woken when a worker finishes, and its place is free.
    freed: Notify,
    /// Woken when an endpoint's queue has room for a claim again.
    room: Notify,
    /// Where outcomes go: a worker goes on to its next delivery while the
    /// last outcome waits to be recorded with others.
    recorder: Recorder,
    /// Cancelled at shutdown.
    shutdown: CancellationToken,
}

impl Dispatcher {
    /// Builds the dispatcher (HTTP client, limits).
    pub fn new(config: Arc<Config>, store: SharedStore, shutdown: CancellationToken) -> anyhow::Result<Self> {
        let work = InFlight::new(config.max_in_flight_per_endpoint, WAITING_PER_ENDPOINT);
        let wake = Arc::new(Notify::new());
        let (recorder, recording) = Recorder::start(store.clone(), work.clone(), wake.clone(), config.lease_margin);
        let shared = Shared {
            sender: Sender::new(config.delivery_timeout, config.target_policy())?,
            work,
            freed: Notify::new(),
            room: Notify::new(),
            recorder,
            config: config.clone(),
            store,
            shutdown,
        };
        Ok(Self {
            shared: Arc::new(shared),
            permits: Arc::new(Semaphore::new(capacity::attempts_in_flight(config.max_in_flight))),
            wake,
            handed: Arc::new(Notify::new()),
            recording,
        })
    }

    /// A handle that wakes the dispatcher when new work was committed.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// What publishing uses to hand its new deliveries straight to the queues.
    pub fn handoff(&self) -> Handoff {
        let config = &self.shared.config;
        let lease = config.delivery_timeout + config.lease_margin;
        let per_event = config.max_endpoints_per_account as usize;
        let wakes = (self.handed.clone(), self.wake.clone());
        Handoff::new(self.shared.work.clone(), WAITING_TOTAL, wakes, lease, per_event)
    }

    /// Runs until shutdown, then lets attempts in flight finish within the
    /// grace period and hands the rest back to the store.
    pub async fn run(self) {
        let mut workers = JoinSet::new();
        let mut woken = Woken::Other;
        let mut sleep_until = None;
        let (mut short, mut left_out) = (false, false);
        while !self.shared.shutdown.is_cancelled() {
            while workers.try_join_next().is_some() {}
            // Handed-over deliveries need workers, not a claim: a claim
            // would walk past them (leased) in the due index to find nothing.
            // Nor does room made by a worker, unless deliveries were left
            // behind for want of that room: the store has nothing else due
            // until new work (woken as `Other`) or the next due time. (A full
            // endpoint that stays full, one that never answers, say, thus
            // costs no claim per publish and per finished worker elsewhere.)
            left_out |= self.shared.work.take_left_out();
            let claim = match woken {
                Woken::Other => true,
                Woken::Freed => short,
                Woken::Room => short || left_out,
                Woken::Handed => false,
            };
            let claimed =
                if claim { self.claim().await } else { Claimed { count: 0, filled_up: false, short, left_out } };
            (short, left_out) = (claimed.short, claimed.left_out);
            self.start_workers(&mut workers);
            // Claim again at once only while a claim comes back full and some
            // endpoint it fed still has room: the claim leaves full endpoints
            // out, and on the due index that means walking past all of their
            // due deliveries to find none (a large backlog makes that costly).
            woken = if claimed.count < CLAIM_BATCH || claimed.filled_up {
                self.wait_for_work(&mut sleep_until, !claim).await
            } else {
                Woken::Other
            };
        }
        self.drain(workers).await;
    }

    /// Leases due deliveries into the per-endpoint queues, as many as there is room for.
    async fn claim(&self) -> Claimed {
        let room = WAITING_TOTAL.saturating_sub(self.shared.work.waiting()).min(CLAIM_BATCH);
        if room == 0 {
            return Claimed { count: 0, filled_up: true, short: true, left_out: true };
        }
        let config = &self.shared.config;
        let now = Timestamp::now();
        let lease_until = now.plus(config.delivery_timeout + config.lease_margin);
        let full = self.shared.work.full_endpoints();
        match claim_both(&self.shared.store, now, room as u32, &full, lease_until).await {
            Ok(claimed) => {
                let count = claimed.len();
                let fed: HashSet<EndpointId> = claimed.iter().map(|d| d.endpoint_id.clone()).collect();
                self.shared.work.add(claimed.into_iter().map(|delivery| Leased { delivery, lease_until }).collect());
                let (short, left_out) = (count == room, !full.is_empty());
                let full: HashSet<EndpointId> = self.shared.work.full_endpoints().into_iter().collect();
                Claimed { count, filled_up: fed.is_subset(&full), short, left_out }
            }
            Err(e) => {
                tracing::error!(error = %e, "failed to claim due deliveries");
                Claimed { count: 0, filled_up: false, short: true, left_out: true }
            }
        }
    }

    /// Starts a worker for every endpoint with waiting deliveries and room, while places last.
    fn start_workers(&self, workers: &mut JoinSet<()>) {
        while let Ok(permit) = self.permits.clone().try_acquire_owned() {
            let Some(endpoint) = self.shared.work.start_worker() else {
                return;
            };
            workers.spawn(worker(self.shared.clone(), endpoint, permit));
        }
    }

    /// Sleeps until new work, room for more leases, the next due time or the
    /// poll interval. Unless a claim just ran, the store's next due time is
    /// what it was (handed deliveries are leased, and freed room adds nothing
    /// due), so `sleep_until` is kept rather than read again: a store round
    /// trip per publish or finished worker saved.
    async fn wait_for_work(&self, sleep_until: &mut Option<tokio::time::Instant>, no_claim: bool) -> Woken {
        let deadline = match *sleep_until {
            Some(deadline) if no_claim => deadline,
            _ => tokio::time::Instant::now() + self.until_due().await,
        };
        *sleep_until = Some(deadline);
        tokio::select! {
            () = self.handed.notified() => Woken::Handed,
            () = self.wake.notified() => Woken::Other,
            () = self.shared.freed.notified() => Woken::Freed,
            () = self.shared.room.notified() => Woken::Room,
            () = tokio::time::sleep_until(deadline) => Woken::Other,
            () = self.shared.shutdown.cancelled() => Woken::Other,
        }
    }

    /// How long until the store's next due delivery, at most the poll interval.
    async fn until_due(&self) -> Duration {
        let poll = self.shared.config.poll_interval;
        let now = Timestamp::now();
        match self.shared.store.next_due().await {
            Ok(Some(due)) if due > now => Duration::from_millis((due.millis() - now.millis()) as u64).min(poll),
            Ok(Some(_)) => poll, // due already, but leased or its endpoint is full
            Ok(None) => poll,
            Err(e) => {
                tracing::error!(error = %e, "failed to read the next due time");
                poll
            }
        }
    }

    /// Lets attempts in flight finish within the grace period; hands back the rest.
    async fn drain(self, mut workers: JoinSet<()>) {
        let mut unsent = self.shared.work.take_waiting();
        let grace = self.shared.config.shutdown_grace;
        let mut recording = self.recording;
        let finished = tokio::time::timeout(grace, async {
            while workers.join_next().await.is_some() {}
            self.shared.recorder.close();
            let _ = (&mut recording).await;
        })
        .await;
        if finished.is_err() {
            let unfinished = self.shared.work.sending();
            tracing::warn!(
                count = unfinished.len(),
                "attempts still in flight after the grace period; handing them back"
            );
            workers.abort_all();
            while workers.join_next().await.is_some() {}
            recording.abort();
            unsent.extend(unfinished);
        }
        release(&self.shared.store, &unsent).await;
    }
}

/// Leases due deliveries: the general ones first, then ordered endpoints'
/// heads in what room is left.
async fn claim_both(
    store: &SharedStore,
    now: Timestamp,
    room: u32,
    full: &[EndpointId],
    lease_until: Timestamp,
) -> StoreResult<Vec<ClaimedDelivery>> {
    let mut claimed = store.claim_due(now, room, full, lease_until).await?;
    let left = room.saturating_sub(claimed.len() as u32);
    if left > 0 {
        claimed.extend(store.claim_heads(now, left, lease_until).await?);
    }
    Ok(claimed)
}

async fn release(store: &SharedStore, ids: &[DeliveryId]) {
    if let Err(e) = store.release(ids).await {
        tracing::warn!(error = %e, "failed to hand back leases; they expire by themselves");
    }
}

/// Sends one endpoint's waiting deliveries, one after another, until none is
/// left or the process stops.
async fn worker(shared: Arc<Shared>, endpoint: EndpointId, permit: OwnedSemaphorePermit) {
    while !shared.shutdown.is_cancelled() {
        let Some((leased, left)) = shared.work.next(&endpoint) else {
            break;
        };
        if left == CLAIM_BATCH {
            // Room for another claim for this endpoint. Told at the pop that
            // made the room: a count read after the attempt would mostly miss
            // the exact value (other workers pop meanwhile), and the
            // dispatcher would sleep out its poll interval on an empty queue.
            shared.room.notify_one();
        }
        let answer = if !endpoint_enabled(&shared, &endpoint).await {
            stop(&shared, leased).await;
            None
        } else if let Some(leased) = ready(&shared, leased).await {
            let started = std::time::Instant::now();
            Some((attempt(&shared, leased).await, started))
        } else {
            None
        };
        shared.work.finished(&endpoint, answer);
    }
    shared.work.stop_worker(&endpoint);
    drop(permit);
    shared.freed.notify_one();
}

/// The delivery once it may be sent: its endpoint's rate limit allows it
/// now, and its lease outlasts the attempt.
async fn ready(shared: &Shared, leased: Leased) -> Option<Leased> {
    if let Some(per_second) = leased.delivery.rate_limit {
        let endpoint = &leased.delivery.endpoint_id;
        if !pace::wait_for_slot(&shared.store, endpoint, per_second, &shared.shutdown).await {
            shared.work.sent(&leased.delivery.id);
            return None;
        }
    }
    held_for_an_attempt(shared, leased).await
}

/// The delivery, with a lease that outlasts an attempt: an attempt must end
/// within its lease, or another node may send it too. One that waited long
/// in its queue (behind a slow receiver) has its lease renewed in the
/// store, instead of lapsing and waiting out the rest of it; `None` if the
/// lease was lost meanwhile (it expired and another worker has it).
async fn held_for_an_attempt(shared: &Shared, mut leased: Leased) -> Option<Leased> {
    let config = &shared.config;
    let now = Timestamp::now();
    if now.plus(config.delivery_timeout) < leased.lease_until {
        return Some(leased);
    }
    let id = leased.delivery.id.clone();
    let until = now.plus(config.delivery_timeout + config.lease_margin);
    match shared.store.renew_lease(&id, leased.lease_until, until).await {
        Ok(true) => {
            leased.lease_until = until;
            return Some(leased);
        }
        Ok(false) => tracing::debug!(delivery = %id, "the lease ran out and was taken over, or the delivery is gone"),
        Err(e) => tracing::warn!(error = %e, delivery = %id, "failed to renew a lease; it lapses and is claimed again"),
    }
    shared.work.sent(&id);
    None
}

/// Whether the worker's endpoint is still enabled, asking the store at most once per [`ENABLED_CHECK`].
async fn endpoint_enabled(shared: &Shared, endpoint: &EndpointId) -> bool {
    let now = Timestamp::now();
    let since = Timestamp::from_millis(now.millis() - ENABLED_CHECK.as_millis() as i64);
    if let Some(known) = shared.work.known_enabled(endpoint, since) {
        return known;
    }
    match shared.store.endpoint_enabled(endpoint).await {
        Ok(enabled) => {
            shared.work.note_enabled(endpoint, enabled, now);
            enabled
        }
        Err(e) => {
            tracing::warn!(error = %e, "failed to read whether an endpoint is enabled; sending anyway");
            true
        }
    }
}

/// A leased delivery whose endpoint was disabled meanwhile: logged and
/// stopped as the disable stopped the others (missed, for redelivery).
async fn stop(shared: &Arc<Shared>, leased: Leased) {
    let delivery = leased.delivery;
    let attempt = Attempt {
        n: delivery.attempt_n,
        started_at: Timestamp::now(),
        duration_ms: 0,
        response_status: None,
        error: Some(AttemptError::EndpointDisabled),
        error_detail: None,
        response_body: String::new(),
    };
    // If the endpoint is enabled again by the time this is recorded, the
    // delivery is simply due again; if not, it is failed and missed.
    let now = attempt.started_at;
    record_later(shared, delivery, attempt, Verdict::RetryAt(now)).await;
}

/// One attempt; its outcome is recorded beside the worker's next attempt.
/// What its answer says about the receiver's load.
async fn attempt(shared: &Arc<Shared>, leased: Leased) -> Signal {
    let delivery = leased.delivery;
    let (mut attempt, answer) = shared.sender.send(&delivery).await;
    let signal = Signal::of(&attempt, shared.config.delivery_timeout);
    let finished = attempt.started_at.plus(Duration::from_millis(attempt.duration_ms));
    let schedule = &shared.config.retry_schedule;
    let verdict = decide(answer, delivery.manual, delivery.schedule_step, schedule, finished);
    if let Some(why) = answer.explain(schedule) {
        attempt.error_detail = Some(why);
    }
    let outcome = attempt.error.map_or("succeeded", |e| e.as_str());
    metrics::counter!("herald_attempts_total", "outcome" => outcome).increment(1);
    metrics::histogram!("herald_attempt_duration_seconds").record(attempt.duration_ms as f64 / 1000.0);
    tracing::debug!(delivery = %delivery.id, n = attempt.n, outcome, ?verdict, "attempt finished");
    record_later(shared, delivery, attempt, verdict).await;
    signal
}

/// Queues an outcome for the recorder, waiting only if too many are on their way.
async fn record_later(shared: &Arc<Shared>, delivery: ClaimedDelivery, attempt: Attempt, verdict: Verdict) {
    shared.recorder.record(Outcome { delivery, attempt, verdict }).await;
}
