//! What this process holds: deliveries it has leased, waiting per endpoint,
//! and how many workers send to each endpoint, within the endpoint's window
//! (`window.rs`), which its answers widen and narrow.
//! Leasing ahead lets one claim feed an endpoint for a while, and a worker
//! goes from one attempt to the next of its endpoint without a round trip
//! through the dispatcher.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use super::window::{Signal, Window};
use crate::{
    domain::{DeliveryId, EndpointId, Timestamp},
    store::ClaimedDelivery,
};

/// A delivery leased by this process until `lease_until`.
#[derive(Debug)]
pub struct Leased {
    /// What to send.
    pub delivery: ClaimedDelivery,
    /// No attempt may still run after this.
    pub lease_until: Timestamp,
}

/// An endpoint that has been idle this long forgets its window.
const FORGET_AFTER: Duration = Duration::from_secs(600);
/// How often idle endpoints are looked for.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug)]
struct Endpoint {
    waiting: VecDeque<Leased>,
    workers: usize,
    /// Workers in an attempt (popped, not yet finished): the others are
    /// about to take the next waiting delivery.
    busy: usize,
    /// Whether the store last said it is enabled, and when it was asked.
    enabled: Option<(bool, Timestamp)>,
    /// How many workers it may have now.
    window: Window,
    /// Since when it has had no work, if it has none: kept while its window
    /// says something a new one's would not, for [`FORGET_AFTER`].
    idle_since: Option<Instant>,
}

impl Endpoint {
    fn new(ceiling: usize) -> Self {
        Self {
            waiting: VecDeque::new(),
            workers: 0,
            busy: 0,
            enabled: None,
            window: Window::new(ceiling),
            idle_since: None,
        }
    }

    fn is_idle(&self) -> bool {
        self.workers == 0 && self.waiting.is_empty()
    }
}

#[derive(Debug)]
struct Inner {
    endpoints: HashMap<EndpointId, Endpoint>,
    waiting: usize,
    /// Places promised to publishes that may lease deliveries to this
    /// process (see `handoff.rs`), counted as waiting until they arrive.
    reserved: usize,
    /// Deliveries whose attempt is under way or not yet recorded, with that attempt's number.
    sending: HashMap<DeliveryId, u32>,
    /// Publishes have left due deliveries in the store for endpoints that
    /// were full: the next room made in a queue calls for a claim.
    left_out: bool,
    /// When idle endpoints were last looked for.
    pruned_at: Instant,
}

/// The deliveries this process holds.
#[derive(Debug, Clone)]
pub struct InFlight {
    inner: Arc<Mutex<Inner>>,
    /// The most workers (attempts at once) per endpoint, whatever its window.
    per_endpoint_limit: usize,
    /// The most deliveries waiting for one endpoint before claims leave it out.
    waiting_cap: usize,
}

impl InFlight {
    /// Tracks work with this per-endpoint ceiling and per-endpoint waiting cap.
    pub fn new(per_endpoint_limit: usize, waiting_cap: usize) -> Self {
        let inner = Inner {
            endpoints: HashMap::new(),
            waiting: 0,
            reserved: 0,
            sending: HashMap::new(),
            left_out: false,
            pruned_at: Instant::now(),
        };
        Self {
            inner: Arc::new(Mutex::new(inner)),
            per_endpoint_limit: per_endpoint_limit.max(1),
            waiting_cap: waiting_cap.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues freshly leased deliveries behind their endpoints' waiting ones.
    pub fn add(&self, leased: Vec<Leased>) {
        self.add_known(leased, None);
    }

    /// Queues deliveries that a publish leased: the publish found their
    /// endpoints enabled in its commit, so that counts as asked at
    /// `read_at` (unless something later is known), and a worker starting
    /// on them need not ask the store again.
    pub fn add_published(&self, leased: Vec<Leased>, read_at: Timestamp) {
        self.add_known(leased, Some(read_at));
    }

    fn add_known(&self, leased: Vec<Leased>, enabled_at: Option<Timestamp>) {
        let mut inner = self.lock();
        // A delivery whose attempt is over but not yet recorded may have
        // outlived its lease (the recorder fell behind a busy store) and
        // been claimed again for the same attempt: the record to come
        // settles it, and a second attempt now would send it twice. (A claim
        // for the next attempt, made once the record committed but before
        // the recorder said so, is a retry due and goes ahead.)
        let leased: Vec<Leased> =
            leased.into_iter().filter(|l| inner.sending.get(&l.delivery.id) != Some(&l.delivery.attempt_n)).collect();
        inner.waiting += leased.len();
        if inner.pruned_at.elapsed() >= PRUNE_EVERY {
            inner.pruned_at = Instant::now();
            inner.endpoints.retain(|_, e| e.idle_since.is_none_or(|since| since.elapsed() < FORGET_AFTER));
        }
        for l in leased {
            let ceiling = self.per_endpoint_limit;
            let endpoint =
                inner.endpoints.entry(l.delivery.endpoint_id.clone()).or_insert_with(|| Endpoint::new(ceiling));
            endpoint.idle_since = None;
            if let Some(at) = enabled_at {
                if endpoint.enabled.is_none_or(|(_, known)| known < at) {
                    endpoint.enabled = Some((true, at));
                }
            }
            endpoint.waiting.push_back(l);
        }
    }

    /// Endpoints with as many deliveries waiting as they may: the next claim
    /// (or publish) leaves them out.
    pub fn full_endpoints(&self) -> Vec<EndpointId> {
        let inner = self.lock();
        inner.endpoints.iter().filter(|(_, e)| e.waiting.len() >= self.waiting_cap).map(|(id, _)| id.clone()).collect()
    }

    /// The most deliveries waiting for one endpoint before claims leave it out.
    pub fn waiting_cap(&self) -> usize {
        self.waiting_cap
    }

    /// Deliveries waiting over all endpoints, places reserved for them included.
    pub fn waiting(&self) -> usize {
        let inner = self.lock();
        inner.waiting + inner.reserved
    }

    /// Reserves up to `want` places while fewer than `cap` are waiting or
    /// reserved; how many it got.
    pub fn reserve(&self, want: usize, cap: usize) -> usize {
        let mut inner = self.lock();
        let got = cap.saturating_sub(inner.waiting + inner.reserved).min(want);
        inner.reserved += got;
        got
    }

    /// Gives back `n` reserved places (used or not: what arrived is waiting now).
    pub fn unreserve(&self, n: usize) {
        let mut inner = self.lock();
        inner.reserved = inner.reserved.saturating_sub(n);
    }

    /// One endpoint that has more deliveries waiting than workers free to
    /// take them, and room in its window for another worker; counts that
    /// worker in. (A worker in an attempt is not free: a delivery that came
    /// meanwhile would wait for a slow receiver's answer to someone else.)
    pub fn start_worker(&self) -> Option<EndpointId> {
        let mut inner = self.lock();
        let (id, endpoint) = inner
            .endpoints
            .iter_mut()
            .find(|(_, e)| e.workers < e.window.places() && e.workers - e.busy < e.waiting.len())?;
        endpoint.workers += 1;
        Some(id.clone())
    }

    /// A worker of `endpoint` is done with the delivery it took last; what
    /// the answer, if an attempt was made at `started`, says about the
    /// receiver's load widens or narrows the endpoint's window.
    pub fn finished(&self, endpoint: &EndpointId, answer: Option<(Signal, Instant)>) {
        if let Some(e) = self.lock().endpoints.get_mut(endpoint) {
            e.busy = e.busy.saturating_sub(1);
            if let Some((signal, started)) = answer {
                let crowded = !e.waiting.is_empty() && e.workers >= e.window.places();
                e.window.observe(signal, started, crowded);
            }
        }
    }

    /// Counts a worker out of its endpoint (it did not start, or has finished).
    pub fn stop_worker(&self, endpoint: &EndpointId) {
        let mut inner = self.lock();
        if let Some(e) = inner.endpoints.get_mut(endpoint) {
            e.workers = e.workers.saturating_sub(1);
            if e.is_idle() && e.window.is_initial() {
                inner.endpoints.remove(endpoint);
            } else if e.is_idle() {
                e.idle_since = Some(Instant::now());
            }
        }
    }

    /// The next delivery for a worker of `endpoint`, marked as being sent,
    /// and how many still wait for it after this one (read under the same
    /// lock, so each count is seen by exactly one worker); `None` when none
    /// waits, or when the endpoint has more workers than its window now
    /// allows (the worker then stops; see [`Self::stop_worker`]).
    pub fn next(&self, endpoint: &EndpointId) -> Option<(Leased, usize)> {
        let mut inner = self.lock();
        let e = inner.endpoints.get_mut(endpoint)?;
        if e.workers > e.window.places() {
            return None;
        }
        let leased = e.waiting.pop_front()?;
        e.busy += 1;
        let left = e.waiting.len();
        inner.waiting -= 1;
        inner.sending.insert(leased.delivery.id.clone(), leased.delivery.attempt_n);
        Some((leased, left))
    }

    /// Notes that a publish left due deliveries in the store for `endpoints`,
    /// which were full when it was offered room; whether one of them has
    /// room now, so that a claim should go at once (otherwise the next
    /// [`Self::take_left_out`] after room is made says so).
    pub fn left_out_for(&self, endpoints: &HashSet<EndpointId>) -> bool {
        let mut inner = self.lock();
        inner.left_out = true;
        endpoints.iter().any(|e| inner.endpoints.get(e).is_none_or(|e| e.waiting.len() < self.waiting_cap))
    }

    /// Whether publishes left deliveries for full endpoints since last asked.
    pub fn take_left_out(&self) -> bool {
        std::mem::take(&mut self.lock().left_out)
    }

    /// Whether `endpoint` was enabled when last asked, if that was after `since`.
    pub fn known_enabled(&self, endpoint: &EndpointId, since: Timestamp) -> Option<bool> {
        let inner = self.lock();
        let (enabled, at) = inner.endpoints.get(endpoint)?.enabled?;
        (at >= since).then_some(enabled)
    }

    /// Notes what the store said about `endpoint` at `at`.
    pub fn note_enabled(&self, endpoint: &EndpointId, enabled: bool, at: Timestamp) {
        if let Some(e) = self.lock().endpoints.get_mut(endpoint) {
            e.enabled = Some((enabled, at));
        }
    }

    /// The attempt of `delivery` is over (recorded, or given up).
    pub fn sent(&self, delivery: &DeliveryId) {
        self.lock().sending.remove(delivery);
    }

    /// Attempts being sent right now (to hand back at shutdown).
    pub fn sending(&self) -> Vec<DeliveryId> {
        self.lock().sending.keys().cloned().collect()
    }

    /// Empties every waiting queue (at shutdown, to hand the leases back).
    pub fn take_waiting(&self) -> Vec<DeliveryId> {
        let mut inner = self.lock();
        inner.waiting = 0;
        inner.endpoints.values_mut().flat_map(|e| e.waiting.drain(..)).map(|l| l.delivery.id).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SigningSecrets;

    fn leased(endpoint: &EndpointId) -> Leased {
        Leased {
            delivery: ClaimedDelivery {
                id: DeliveryId::generate(),
                endpoint_id: endpoint.clone(),
                event_id: crate::domain::EventId::generate(),
                event_type: "credits.low".into(),
                url: "https://example.com/".into(),
                secrets: SigningSecrets { current: "whsec_x".into(), previous: None },
                payload: Vec::new(),
                attempt_n: 1,
                schedule_step: 0,
                manual: false,
                rate_limit: None,
                headers: Default::default(),
                ordered: false,
            },
            lease_until: Timestamp::from_millis(0),
        }
    }

    #[test]
    fn workers_start_up_to_the_per_endpoint_limit_and_never_beyond_the_waiting_work() {
        let work = InFlight::new(2, 3);
        assert_eq!(work.reserve(5, 6), 5);
        assert_eq!(work.reserve(5, 6), 1, "never past the cap");
        work.unreserve(6);
        let (a, b) = (EndpointId::generate(), EndpointId::generate());
        work.add(vec![leased(&a), leased(&a), leased(&a), leased(&b)]);
        assert_eq!(work.full_endpoints(), vec![a.clone()]);
        let mut started = Vec::new();
        while let Some(e) = work.start_worker() {
            started.push(e);
        }
        assert_eq!(started.iter().filter(|e| **e == a).count(), 2, "the per-endpoint limit");
        assert_eq!(started.iter().filter(|e| **e == b).count(), 1, "one worker for one waiting delivery");

        let (first, left) = work.next(&a).unwrap();
        assert_eq!(left, 2);
        assert_eq!(work.sending(), vec![first.delivery.id.clone()]);
        work.sent(&first.delivery.id);
        assert!(work.sending().is_empty());
        assert_eq!(work.take_waiting().len(), 3);
        assert_eq!(work.waiting(), 0);
        assert!(work.next(&a).is_none());
    }

    #[test]
    fn a_delivery_claimed_again_while_its_attempt_awaits_recording_is_not_sent_twice() {
        let work = InFlight::new(8, 100);
        let a = EndpointId::generate();
        work.add(vec![leased(&a)]);
        let (sent, _) = work.next(&a).expect("the delivery");
        let again = Leased { delivery: sent.delivery.clone(), lease_until: Timestamp::from_millis(1) };

        work.add(vec![again]);
        assert_eq!(work.waiting(), 0, "its attempt is not recorded yet: the record settles it");
        assert!(work.next(&a).is_none());

        let mut retry = sent.delivery.clone();
        retry.attempt_n += 1;
        work.add(vec![Leased { delivery: retry, lease_until: Timestamp::from_millis(2) }]);
        assert_eq!(work.waiting(), 1, "a claim for the next attempt: the record committed, and the retry is due");
        assert_eq!(work.take_waiting().len(), 1);

        work.sent(&sent.delivery.id);
        work.add(vec![Leased { delivery: sent.delivery, lease_until: Timestamp::from_millis(3) }]);
        assert_eq!(work.waiting(), 1, "once recorded, any claim of it is a new attempt");
    }

    #[test]
    fn a_publish_vouches_for_its_endpoints_unless_something_later_is_known() {
        let work = InFlight::new(1, 10);
        let (a, b) = (EndpointId::generate(), EndpointId::generate());
        work.add(vec![leased(&b)]);
        work.note_enabled(&b, false, Timestamp::from_millis(2_000));

        work.add_published(vec![leased(&a), leased(&b)], Timestamp::from_millis(1_000));

        assert_eq!(work.known_enabled(&a, Timestamp::from_millis(1_000)), Some(true));
        assert_eq!(work.known_enabled(&a, Timestamp::from_millis(1_001)), None, "too old to trust");
        assert_eq!(work.known_enabled(&b, Timestamp::from_millis(1_000)), Some(false), "the later answer stands");
    }

    #[test]
    fn a_delivery_that_comes_while_every_worker_is_in_an_attempt_gets_a_worker_of_its_own() {
        let work = InFlight::new(8, 100);
        let a = EndpointId::generate();
        work.add(vec![leased(&a)]);
        assert_eq!(work.start_worker(), Some(a.clone()));
        let _ = work.next(&a).expect("the first delivery");
        assert_eq!(work.start_worker(), None, "nothing waits");

        work.add(vec![leased(&a)]);
        assert_eq!(work.start_worker(), Some(a.clone()), "the first worker is busy with a slow receiver");
        assert_eq!(work.start_worker(), None, "one more waiting, one more worker");
        work.finished(&a, None);
        work.add(vec![leased(&a)]);
        assert_eq!(work.start_worker(), None, "the first worker is free again and takes it");
    }
}
