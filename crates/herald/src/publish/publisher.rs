//! The [`Publisher`]: commits through the store, then tells whoever waits on
//! the commit (the dispatcher's queues and wake-up, the live streams).

use std::{sync::Arc, time::Duration};

use tokio::sync::Notify;

use super::NewEvents;
use crate::{
    dispatch::{Handoff, Offer},
    domain::{AccountId, DeliveryId, EndpointId, Timestamp},
    store::{
        Delivery, Endpoint, IdempotencyKey, NewEvent, PublishOutcome, Published, SharedStore, StoreError, StoreResult,
    },
};

/// What a publish did.
#[derive(Debug)]
pub enum Publication {
    /// New events were committed, in the order given.
    Created(Vec<Published>),
    /// The idempotency key was seen before with the same request: its first answer.
    Replayed(Vec<Published>),
    /// The idempotency key was seen before with a different request.
    KeyReused,
}

/// Writes work for the dispatcher and tells it.
#[derive(Clone)]
pub struct Publisher {
    store: SharedStore,
    /// The dispatcher's queues, for deliveries due at once.
    handoff: Handoff,
    /// Wakes the dispatcher to claim what a commit left due in the store.
    wake: Arc<Notify>,
    /// Rung after each commit of new events, so live streams read at once.
    new_events: NewEvents,
    /// The retry schedule's first step: how long after a publish its first attempt is due.
    first_delay: Duration,
}

impl Publisher {
    /// Publishes through `store` to the dispatcher behind `wake` and `handoff`.
    pub fn new(store: SharedStore, (wake, handoff): (Arc<Notify>, Handoff), first_delay: Duration) -> Self {
        Self { store, handoff, wake, new_events: NewEvents::new(), first_delay }
    }

    /// The store it writes to.
    pub fn store(&self) -> &SharedStore {
        &self.store
    }

    /// The signal live streams wait on.
    pub fn new_events(&self) -> &NewEvents {
        &self.new_events
    }

    /// When the first attempt of a delivery scheduled at `now` is due.
    pub fn first_attempt_at(&self, now: Timestamp) -> Timestamp {
        now.plus(self.first_delay)
    }

    /// Commits events with their deliveries, honouring an idempotency key.
    /// Deliveries due at once go straight to the dispatcher's queues, leased
    /// in the publish's own commit; later ones wait in the store for a claim.
    pub async fn publish(
        &self,
        account: &AccountId,
        events: Vec<NewEvent>,
        idempotency: Option<IdempotencyKey>,
    ) -> StoreResult<Publication> {
        let now = Timestamp::now();
        let first_attempt_at = self.first_attempt_at(now);
        let offer = if first_attempt_at <= now { self.handoff.offer(events.len()) } else { None };
        let (store, account) = (self.store.clone(), account.clone());
        // On a task of its own, so that a caller who hangs up cannot stop the
        // hand-off between the commit and the queues (its leases would only
        // expire, but a minute late).
        let committed = tokio::spawn(async move {
            let lease = offer.as_ref().map(Offer::lease);
            match (store.publish(&account, events, idempotency, first_attempt_at, lease).await, offer) {
                (Ok(PublishOutcome::Created { published, leased, unleased }), Some(offer)) => {
                    offer.accept(leased);
                    Ok(PublishOutcome::Created { published, leased: Vec::new(), unleased })
                }
                (outcome, _) => outcome,
            }
        })
        .await
        .map_err(|e| StoreError::Writer(format!("the publish task failed: {e}")))??;
        Ok(match committed {
            PublishOutcome::Created { published, unleased, .. } => {
                metrics::counter!("herald_events_published_total").increment(published.len() as u64);
                if unleased {
                    self.wake.notify_one();
                }
                self.new_events.ring();
                Publication::Created(published)
            }
            PublishOutcome::Replayed(published) => Publication::Replayed(published),
            PublishOutcome::KeyReused => Publication::KeyReused,
        })
    }

    /// Commits a test event and its one delivery to `endpoint`.
    pub async fn publish_test(
        &self,
        account: &AccountId,
        endpoint: &EndpointId,
        event: NewEvent,
    ) -> StoreResult<Delivery> {
        let first_attempt_at = self.first_attempt_at(Timestamp::now());
        let delivery = self.store.publish_test(account, endpoint, event, first_attempt_at).await?;
        self.wake.notify_one();
        Ok(delivery)
    }

    /// Makes a delivery due now for one more attempt, whatever its status.
    pub async fn resend(&self, account: &AccountId, delivery: &DeliveryId) -> StoreResult<Delivery> {
        let delivery = self.store.request_retry(account, delivery, Timestamp::now()).await?;
        self.wake.notify_one();
        Ok(delivery)
    }

    /// Queues the next page of a running recovery (up to `page` deliveries
    /// looked at), waking the dispatcher; whether there was one.
    pub async fn recover_page(&self, page: u32) -> StoreResult<bool> {
        let now = Timestamp::now();
        let worked = self.store.recover_page(page, self.first_attempt_at(now), now).await?;
        if worked {
            self.wake.notify_one();
        }
        Ok(worked)
    }

    /// Enables an endpoint; with `redeliver_missed`, what it missed gets a
    /// fresh schedule from now.
    pub async fn enable_endpoint(
        &self,
        account: &AccountId,
        endpoint: &EndpointId,
        redeliver_missed: bool,
    ) -> StoreResult<Endpoint> {
        let now = Timestamp::now();
        let first_attempt_at = self.first_attempt_at(now);
        let enabled = self.store.enable_endpoint(account, endpoint, redeliver_missed, first_attempt_at, now).await?;
        self.wake.notify_one();
        Ok(enabled)
    }
}
