//! The dispatcher loop: lease due deliveries, run each attempt as a task
//! within the overall and per-endpoint limits, record the outcome.

use std::{sync::Arc, time::Duration};

use tokio::{
    sync::{Notify, OwnedSemaphorePermit, Semaphore},
    task::JoinSet,
};
use tokio_util::sync::CancellationToken;

use super::{in_flight::InFlight, in_flight::Slot, verdict::decide, Sender};
use crate::{
    config::Config,
    domain::{DeliveryId, Timestamp},
    store::{ClaimedDelivery, SharedStore},
};

/// The most deliveries leased in one claim.
const CLAIM_BATCH: usize = 128;

/// Claims and sends due deliveries until shut down.
pub struct Dispatcher {
    /// Limits and schedule.
    config: Arc<Config>,
    /// The truth: where work is claimed from and outcomes go.
    store: SharedStore,
    /// The one HTTP client.
    sender: Arc<Sender>,
    /// Woken when new work is committed (publish, retry, re-enable).
    wake: Arc<Notify>,
    /// Woken when an attempt finishes and frees a place.
    freed: Arc<Notify>,
    /// Places for attempts over all endpoints.
    permits: Arc<Semaphore>,
    /// Attempts in flight, per endpoint.
    in_flight: InFlight,
    /// Cancelled at shutdown.
    shutdown: CancellationToken,
}

impl Dispatcher {
    /// Builds the dispatcher (HTTP client, limits).
    pub fn new(config: Arc<Config>, store: SharedStore, shutdown: CancellationToken) -> anyhow::Result<Self> {
        Ok(Self {
            sender: Arc::new(Sender::new(config.delivery_timeout, config.target_policy())?),
            permits: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
            in_flight: InFlight::new(config.max_in_flight_per_endpoint),
            wake: Arc::new(Notify::new()),
            freed: Arc::new(Notify::new()),
            config,
            store,
            shutdown,
        })
    }

    /// A handle that wakes the dispatcher when new work was committed.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Runs until shutdown, then lets attempts in flight finish within the
    /// grace period and hands the rest back to the store.
    pub async fn run(self) {
        let mut tasks = JoinSet::new();
        while !self.shutdown.is_cancelled() {
            while tasks.try_join_next().is_some() {}
            let claimed = self.claim_and_start(&mut tasks).await;
            if claimed < CLAIM_BATCH {
                self.wait_for_work().await;
            }
        }
        self.drain(tasks).await;
    }

    /// Claims as much due work as there are free places, and starts it.
    async fn claim_and_start(&self, tasks: &mut JoinSet<()>) -> usize {
        let free = self.permits.available_permits().min(CLAIM_BATCH);
        if free == 0 {
            return 0;
        }
        let now = Timestamp::now();
        let lease_until = now.plus(self.config.delivery_timeout + self.config.lease_margin);
        let busy = self.in_flight.busy_endpoints();
        let claimed = match self.store.claim_due(now, free as u32, &busy, lease_until).await {
            Ok(claimed) => claimed,
            Err(e) => {
                tracing::error!(error = %e, "failed to claim due deliveries");
                return 0;
            }
        };
        let count = claimed.len();
        let mut give_back = Vec::new();
        for delivery in claimed {
            let Some(slot) = self.in_flight.try_enter(&delivery.endpoint_id, &delivery.id) else {
                give_back.push(delivery.id);
                continue;
            };
            let Ok(permit) = self.permits.clone().try_acquire_owned() else {
                give_back.push(delivery.id);
                continue;
            };
            tasks.spawn(self.attempt(delivery, slot, permit));
        }
        if let Err(e) = self.store.release(&give_back).await {
            tracing::warn!(error = %e, "failed to hand back leases; they expire by themselves");
        }
        count
    }

    /// One attempt, start to recorded outcome.
    fn attempt(
        &self,
        delivery: ClaimedDelivery,
        slot: Slot,
        permit: OwnedSemaphorePermit,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let (sender, store, freed) = (self.sender.clone(), self.store.clone(), self.freed.clone());
        let config = self.config.clone();
        async move {
            let attempt = sender.send(&delivery).await;
            let succeeded = attempt.error.is_none();
            let finished = attempt.started_at.plus(Duration::from_millis(attempt.duration_ms));
            let verdict = decide(succeeded, delivery.manual, delivery.schedule_step, &config.retry_schedule, finished);
            let outcome = attempt.error.map_or("succeeded", |e| e.as_str());
            metrics::counter!("herald_attempts_total", "outcome" => outcome).increment(1);
            metrics::histogram!("herald_attempt_duration_seconds").record(attempt.duration_ms as f64 / 1000.0);
            tracing::debug!(delivery = %delivery.id, n = attempt.n, outcome, ?verdict, "attempt finished");
            record_with_retries(&store, &delivery, &attempt, verdict).await;
            drop((slot, permit));
            freed.notify_one();
        }
    }

    /// Sleeps until new work, a freed place, the next due time or the poll interval.
    async fn wait_for_work(&self) {
        let poll = self.config.poll_interval;
        let now = Timestamp::now();
        let until_due = match self.store.next_due().await {
            Ok(Some(due)) if due > now => Duration::from_millis((due.millis() - now.millis()) as u64).min(poll),
            Ok(Some(_)) => poll, // due already, but every place or endpoint is busy
            Ok(None) => poll,
            Err(e) => {
                tracing::error!(error = %e, "failed to read the next due time");
                poll
            }
        };
        tokio::select! {
            () = self.wake.notified() => {}
            () = self.freed.notified() => {}
            () = tokio::time::sleep(until_due) => {}
            () = self.shutdown.cancelled() => {}
        }
    }

    /// Lets attempts in flight finish within the grace period; hands back the rest.
    async fn drain(&self, mut tasks: JoinSet<()>) {
        let grace = self.config.shutdown_grace;
        let finished = tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
        if finished.is_err() {
            let unfinished: Vec<DeliveryId> = self.in_flight.deliveries();
            tracing::warn!(
                count = unfinished.len(),
                "attempts still in flight after the grace period; handing them back"
            );
            tasks.abort_all();
            while tasks.join_next().await.is_some() {}
            if let Err(e) = self.store.release(&unfinished).await {
                tracing::warn!(error = %e, "failed to hand back leases; they expire by themselves");
            }
        }
    }
}

/// Records an outcome, retrying briefly: if the store stays down, the lease
/// expires and the delivery is attempted again (at least once).
async fn record_with_retries(
    store: &SharedStore,
    delivery: &ClaimedDelivery,
    attempt: &crate::store::Attempt,
    verdict: crate::store::Verdict,
) {
    for wait_ms in [0u64, 50, 250, 1000] {
        tokio::time::sleep(Duration::from_millis(wait_ms)).await;
        match store.record_attempt(delivery, attempt, verdict).await {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(delivery = %delivery.id, error = %e, "failed to record an attempt; trying again")
            }
        }
    }
    tracing::error!(delivery = %delivery.id, "gave up recording an attempt; its lease will expire and it will be sent again");
}
