//! The hand-off from publishing to the dispatcher: a publish leases its new
//! deliveries to this process in its own commit, and they go straight into
//! the per-endpoint queues, with no claim to read them back from the store.
//! They are leased exactly as claimed ones are, so a crash loses nothing:
//! the lease expires and a claim picks them up. What does not fit (the
//! queues' room is reserved before the publish) is left unleased, and the
//! dispatcher claims it as before.

use std::{sync::Arc, time::Duration};

use tokio::sync::Notify;

use super::in_flight::{InFlight, Leased};
use crate::{
    domain::Timestamp,
    store::{ClaimedDelivery, LeaseAhead},
};

/// The most deliveries one publish may lease.
const PER_PUBLISH: usize = 4096;

/// What publishing shares with the dispatcher.
#[derive(Debug, Clone)]
pub struct Handoff {
    /// The dispatcher's queues.
    work: InFlight,
    /// The most deliveries waiting in the queues over all endpoints.
    total: usize,
    /// Tells the dispatcher to start workers for what was handed over.
    handed: Arc<Notify>,
    /// Tells the dispatcher to claim: deliveries left for a full endpoint that has room now.
    wake: Arc<Notify>,
    /// How long a lease lasts: the delivery timeout plus the lease margin.
    lease: Duration,
    /// The most deliveries one event can make: the endpoints an account may have.
    per_event: usize,
}

/// Room reserved in the queues for one publish; given back when dropped.
#[derive(Debug)]
pub struct Offer {
    handoff: Handoff,
    lease: LeaseAhead,
    /// Made before the publish read its endpoints.
    made_at: Timestamp,
}

impl Handoff {
    /// Shares the dispatcher's queues (`work`, at most `total` waiting) and
    /// its wake-ups; an event makes at most `per_event` deliveries.
    pub(super) fn new(
        work: InFlight,
        total: usize,
        (handed, wake): (Arc<Notify>, Arc<Notify>),
        lease: Duration,
        per_event: usize,
    ) -> Self {
        Self { work, total, handed, wake, lease, per_event: per_event.max(1) }
    }

    /// Reserves room for the deliveries of a publish of `events` events, or
    /// `None` when the queues are full. It reserves no more than those events
    /// can make, so that publishes at once share the room instead of the
    /// first few taking all of it.
    pub fn offer(&self, events: usize) -> Option<Offer> {
        let want = events.saturating_mul(self.per_event).min(PER_PUBLISH);
        let limit = self.work.reserve(want, self.total);
        if limit == 0 {
            return None;
        }
        // An endpoint's queue holds as many as claims fill it with, so that a
        // slow endpoint cannot take the room of the others.
        let full = self.work.full_endpoints().into_iter().collect();
        let per_endpoint = self.work.waiting_cap();
        let made_at = Timestamp::now();
        let lease = LeaseAhead { until: made_at.plus(self.lease), limit, per_endpoint, full };
        Some(Offer { handoff: self.clone(), lease, made_at })
    }
}

impl Offer {
    /// What the store may lease.
    pub fn lease(&self) -> LeaseAhead {
        self.lease.clone()
    }

    /// Queues what the publish leased and tells the dispatcher. The publish
    /// leased only deliveries of endpoints it found enabled, after the offer
    /// was made: the workers take that as the store's word of then.
    pub fn accept(self, leased: Vec<ClaimedDelivery>) {
        // What the publish made for endpoints that were full is in the store,
        // for a claim once they have room.
        if !self.lease.full.is_empty() && self.handoff.work.left_out_for(&self.lease.full) {
            self.handoff.wake.notify_one();
        }
        if leased.is_empty() {
            return;
        }
        let until = self.lease.until;
        let leased = leased.into_iter().map(|delivery| Leased { delivery, lease_until: until }).collect();
        self.handoff.work.add_published(leased, self.made_at);
        self.handoff.handed.notify_one();
    }
}

impl Drop for Offer {
    fn drop(&mut self) {
        self.handoff.work.unreserve(self.lease.limit);
    }
}
