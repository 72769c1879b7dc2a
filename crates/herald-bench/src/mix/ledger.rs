//! What was published and what arrived, event by event: the one record the
//! publisher, the receivers and the figures share. Events are numbered by
//! the bench (`seq`, carried in the event's data), so a receiver knows the
//! event before Herald has even answered its publish.

use std::{
    sync::{
        atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering::Relaxed},
        Mutex,
    },
    time::{Duration, Instant},
};

/// A publish not answered yet.
const PENDING: u8 = 0;
/// A publish answered `202`.
const ACCEPTED: u8 = 1;
/// A publish refused or failed.
const FAILED: u8 = 2;

/// One first arrival of a delivery at its receiver.
#[derive(Debug, Clone, Copy)]
pub struct Receipt {
    /// From the publish request going out to the request reaching the receiver.
    pub latency: Duration,
    /// It arrived on a retry, after a refused first attempt.
    pub retried: bool,
}

/// How a request that reached a receiver counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// The delivery's first receipt.
    First,
    /// The delivery was received before.
    Duplicate,
    /// No such event, or not one of this endpoint's account.
    Unexpected,
}

/// Per event, and the running counts.
pub struct Ledger {
    /// The moment every `*_ns` counts from.
    origin: Instant,
    /// The account each event goes to.
    account: Vec<u32>,
    /// When each publish request went out, ns after `origin` plus one (0: not yet).
    sent_ns: Vec<AtomicU64>,
    /// `PENDING`, `ACCEPTED` or `FAILED`.
    state: Vec<AtomicU8>,
    /// Per event, a bit per endpoint of its account that received it.
    received: Vec<AtomicU64>,
    /// Per event, a bit per endpoint that refused its first attempt: the flaky receiver's memory.
    refused: Vec<AtomicU64>,
    /// Every first receipt, for the percentiles.
    receipts: Mutex<Vec<Receipt>>,
    /// Deliveries owed by accepted publishes: their accounts' live endpoints.
    owed: AtomicUsize,
    /// First receipts.
    unique: AtomicUsize,
    /// Receipts of a delivery received before.
    duplicated: AtomicUsize,
    /// Requests for no event of the run, or at the wrong account's endpoint.
    unexpected: AtomicUsize,
    /// Publishes answered `202` and refused.
    accepted: AtomicUsize,
    failed: AtomicUsize,
    /// The last publish answer and the last first receipt, ns after `origin`.
    last_answer_ns: AtomicU64,
    last_receipt_ns: AtomicU64,
}

impl Ledger {
    /// A ledger for events going, in order, to `account[seq]`.
    pub fn new(account: Vec<u32>) -> Self {
        let n = account.len();
        let zeros64 = || -> Vec<AtomicU64> { (0..n).map(|_| AtomicU64::new(0)).collect() };
        Self {
            origin: Instant::now(),
            account,
            sent_ns: zeros64(),
            state: (0..n).map(|_| AtomicU8::new(PENDING)).collect(),
            received: zeros64(),
            refused: zeros64(),
            receipts: Mutex::new(Vec::with_capacity(n * 5)),
            owed: AtomicUsize::new(0),
            unique: AtomicUsize::new(0),
            duplicated: AtomicUsize::new(0),
            unexpected: AtomicUsize::new(0),
            accepted: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            last_answer_ns: AtomicU64::new(0),
            last_receipt_ns: AtomicU64::new(0),
        }
    }

    fn ns(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.origin).as_nanos()).unwrap_or(u64::MAX - 1)
    }

    /// Events in the run.
    pub fn events(&self) -> usize {
        self.account.len()
    }

    /// The account event `seq` goes to.
    pub fn account_of(&self, seq: u32) -> u32 {
        self.account[seq as usize]
    }

    /// Event `seq`'s publish request goes out now.
    pub fn sent(&self, seq: u32) {
        self.sent_ns[seq as usize].store(self.ns(Instant::now()) + 1, Relaxed);
    }

    /// Event `seq`'s publish was answered: accepted, owing `live` deliveries, or not.
    pub fn answered(&self, seq: u32, accepted: bool, live: u32) {
        let state = if accepted { ACCEPTED } else { FAILED };
        self.state[seq as usize].store(state, Relaxed);
        if accepted {
            self.owed.fetch_add(live as usize, Relaxed);
            self.accepted.fetch_add(1, Relaxed);
        } else {
            self.failed.fetch_add(1, Relaxed);
        }
        self.last_answer_ns.fetch_max(self.ns(Instant::now()), Relaxed);
    }

    /// Notes that the receiver refuses the first attempt of `seq` at endpoint
    /// `bit` of its account; false when it refused it before (this is a retry).
    pub fn refuse_once(&self, seq: u32, bit: u32) -> bool {
        let Some(refused) = self.refused.get(seq as usize) else { return false };
        (refused.fetch_or(1 << bit, Relaxed) & (1 << bit)) == 0
    }

    /// Whether endpoint `bit` of its account refused event `seq` once.
    pub fn was_refused(&self, seq: u32, bit: u32) -> bool {
        self.refused.get(seq as usize).is_some_and(|r| (r.load(Relaxed) & (1 << bit)) != 0)
    }

    /// Event `seq` reached endpoint `bit` of account `account` at `at`.
    pub fn arrive(&self, seq: u32, account: u32, bit: u32, at: Instant) -> Arrival {
        let i = seq as usize;
        let sent = self.sent_ns.get(i).map_or(0, |s| s.load(Relaxed));
        if sent == 0 || self.account[i] != account {
            self.unexpected.fetch_add(1, Relaxed);
            return Arrival::Unexpected;
        }
        if (self.received[i].fetch_or(1 << bit, Relaxed) & (1 << bit)) != 0 {
            self.duplicated.fetch_add(1, Relaxed);
            return Arrival::Duplicate;
        }
        let at_ns = self.ns(at);
        let latency = Duration::from_nanos(at_ns.saturating_sub(sent - 1));
        let receipt = Receipt { latency, retried: self.was_refused(seq, bit) };
        if let Ok(mut list) = self.receipts.lock() {
            list.push(receipt);
        }
        self.last_receipt_ns.fetch_max(at_ns, Relaxed);
        self.unique.fetch_add(1, Relaxed);
        Arrival::First
    }

    /// The counts so far.
    pub fn counts(&self) -> Counts {
        Counts {
            accepted: self.accepted.load(Relaxed),
            failed: self.failed.load(Relaxed),
            owed: self.owed.load(Relaxed),
            unique: self.unique.load(Relaxed),
            duplicated: self.duplicated.load(Relaxed),
            unexpected: self.unexpected.load(Relaxed),
        }
    }

    /// Every first receipt so far.
    pub fn receipts(&self) -> Vec<Receipt> {
        self.receipts.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// When the last publish was answered, and the last first receipt arrived.
    pub fn last_answer_and_receipt(&self) -> (Instant, Instant) {
        let at = |ns: &AtomicU64| self.origin + Duration::from_nanos(ns.load(Relaxed));
        (at(&self.last_answer_ns), at(&self.last_receipt_ns))
    }
}

/// The running counts of a ledger.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    /// Publishes answered `202`.
    pub accepted: usize,
    /// Publishes refused or failed.
    pub failed: usize,
    /// Deliveries the accepted publishes owe (live endpoints only).
    pub owed: usize,
    /// Deliveries received (first receipts).
    pub unique: usize,
    /// Receipts of a delivery received before.
    pub duplicated: usize,
    /// Requests for no event of the run or at the wrong endpoint.
    pub unexpected: usize,
}

impl Counts {
    /// Deliveries owed and not received (yet).
    pub fn behind(&self) -> usize {
        self.owed.saturating_sub(self.unique)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_arrival_of_one_delivery_is_a_duplicate() {
        let l = Ledger::new(vec![0, 1]);
        l.sent(1);
        let now = Instant::now();
        assert_eq!(l.arrive(1, 1, 2, now), Arrival::First);
        assert_eq!(l.arrive(1, 1, 2, now), Arrival::Duplicate);
        assert_eq!(l.arrive(1, 1, 3, now), Arrival::First);
        assert_eq!((l.counts().unique, l.counts().duplicated), (2, 1));
    }

    #[test]
    fn an_event_not_sent_or_at_another_account_is_unexpected() {
        let l = Ledger::new(vec![0, 1]);
        l.sent(0);
        assert_eq!(l.arrive(1, 1, 0, Instant::now()), Arrival::Unexpected);
        assert_eq!(l.arrive(0, 1, 0, Instant::now()), Arrival::Unexpected);
        assert_eq!(l.arrive(9, 0, 0, Instant::now()), Arrival::Unexpected);
    }

    #[test]
    fn the_receiver_refuses_a_delivery_once_and_its_receipt_is_a_retry() {
        let l = Ledger::new(vec![0]);
        l.sent(0);
        assert!(l.refuse_once(0, 3));
        assert!(!l.refuse_once(0, 3));
        assert!(l.refuse_once(0, 4));
        l.arrive(0, 0, 3, Instant::now());
        assert!(l.receipts()[0].retried);
    }

    #[test]
    fn accepted_publishes_owe_their_live_endpoints() {
        let l = Ledger::new(vec![0, 0, 0]);
        l.answered(0, true, 5);
        l.answered(1, true, 4);
        l.answered(2, false, 5);
        let c = l.counts();
        assert_eq!((c.accepted, c.failed, c.owed, c.behind()), (2, 1, 9, 9));
    }
}
