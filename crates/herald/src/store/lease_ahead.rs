//! The hand-off's rules, for both engines' publishes: which new deliveries a
//! publish leases to this process in its own commit (only deliveries of
//! enabled endpoints not in [`LeaseAhead::full`], never those of ordered
//! endpoints, which wait for their turn, at most `per_endpoint` for
//! one endpoint and `limit` over the whole publish), and those deliveries as
//! a claim would have returned them, so the dispatcher sends them without
//! reading them back.
//!
//! A delivery leased here is inserted with `lease_until` already set, so
//! from its commit on every claim (which skips unexpired leases) leaves it
//! to this process; if this process dies, the lease expires and a claim
//! takes it.

use std::collections::HashMap;

use crate::{
    domain::{DeliveryId, EndpointId, Timestamp},
    store::{
        target::{Opened, Target},
        ClaimedDelivery, LeaseAhead, NewEvent, Sealer, StoreResult,
    },
};

/// The leases of one publish of the group, as its deliveries are made.
pub(crate) struct Leases<'a> {
    /// What the dispatcher offered, if anything.
    lease: Option<&'a LeaseAhead>,
    /// How many more deliveries the publish may lease over all endpoints.
    left: usize,
    /// How many more it may lease per endpoint, filled as endpoints are met
    /// (so [`LeaseAhead::full`] is looked up once per endpoint); `None` for
    /// an endpoint full from the start.
    room: HashMap<&'a str, Option<usize>>,
    /// The deliveries leased so far, ready to send.
    pub leased: Vec<ClaimedDelivery>,
    /// Whether some pending delivery was left for a claim.
    pub unleased: bool,
}

impl<'a> Leases<'a> {
    /// No delivery leased yet, under `lease`.
    pub fn new(lease: Option<&'a LeaseAhead>) -> Self {
        Self { lease, left: lease.map_or(0, |l| l.limit), room: HashMap::new(), leased: Vec::new(), unleased: false }
    }

    /// Whether a new delivery to `endpoint` is leased, and until when: counts
    /// it against the room if so, and notes a pending delivery left unleased
    /// otherwise, unless its endpoint was full from the start (the offer
    /// answers for those). A skipped delivery (`enabled` false) is never
    /// leased, nor one to an `ordered` endpoint: the dispatcher claims its
    /// endpoint's head when its turn comes.
    pub fn take(&mut self, endpoint: &'a str, enabled: bool, ordered: bool) -> Option<Timestamp> {
        let lease = match self.lease {
            Some(lease) if enabled && !ordered && self.left > 0 => lease,
            _ => {
                self.unleased |= enabled;
                return None;
            }
        };
        let room = self.room.entry(endpoint).or_insert_with(|| {
            let full = lease.full.contains(&EndpointId::from_trusted(endpoint.to_owned()));
            (!full).then_some(lease.per_endpoint)
        });
        let Some(room) = room else {
            return None;
        };
        if *room == 0 {
            self.unleased = true;
            return None;
        }
        *room -= 1;
        self.left -= 1;
        Some(lease.until)
    }
}

/// Endpoint secrets and headers opened for leased deliveries: each
/// endpoint's once per group.
pub(crate) struct Secrets<'a> {
    /// Opens the sealed columns.
    sealer: &'a Sealer,
    /// What was opened, by endpoint id.
    opened: HashMap<&'a str, Opened>,
}

impl<'a> Secrets<'a> {
    /// Nothing opened yet.
    pub fn new(sealer: &'a Sealer) -> Self {
        Self { sealer, opened: HashMap::new() }
    }

    /// A delivery `id` of `event` to `endpoint`, just inserted leased, as a
    /// claim would have returned it: its first attempt, on the schedule.
    pub fn claimed(
        &mut self,
        id: &DeliveryId,
        endpoint: &'a str,
        target: &Target,
        event: &NewEvent,
    ) -> StoreResult<ClaimedDelivery> {
        let opened = match self.opened.get(endpoint) {
            Some(opened) => opened.clone(),
            None => {
                let opened = target.open(self.sealer)?;
                self.opened.insert(endpoint, opened.clone());
                opened
            }
        };
        let endpoint = EndpointId::from_trusted(endpoint.to_owned());
        Ok(ClaimedDelivery::first_attempt(id.clone(), endpoint, event, target, opened))
    }
}
