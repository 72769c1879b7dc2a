//! Who receives: the endpoints of every account, each with its delay drawn
//! once from the log-normal, and which of them are dead. Pure: the same
//! arguments give the same layout.

use std::time::Duration;

use super::{lognormal::LogNormal, rng::Rng};

/// Streams of the seed, one per kind of draw.
const DELAYS: u64 = 1;
const DEAD: u64 = 2;

/// One endpoint of the mix.
#[derive(Debug, Clone, Copy)]
pub struct EndpointPlan {
    /// How long its receiver takes before answering.
    pub delay: Duration,
    /// It never answers: accepts the request and holds it open.
    pub dead: bool,
}

/// Every endpoint, numbered account by account: endpoint `n` belongs to
/// account `n / per_account`, and is bit `n % per_account` of that account's
/// events' receipts.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Endpoints of each account.
    pub per_account: u32,
    /// All endpoints, in account order.
    pub endpoints: Vec<EndpointPlan>,
    /// Live (not dead) endpoints of each account: what one event to it owes.
    live: Vec<u32>,
}

impl Layout {
    /// Draws the delays (one per endpoint, in order) and picks `dead`
    /// endpoints at random, both from `seed`.
    pub fn new(accounts: u32, per_account: u32, delays: LogNormal, cap: Duration, dead: u32, seed: u64) -> Self {
        let total = accounts * per_account;
        let mut rng = Rng::new(seed, DELAYS);
        let mut endpoints: Vec<EndpointPlan> =
            (0..total).map(|_| EndpointPlan { delay: delays.draw(&mut rng, cap), dead: false }).collect();
        // A partial Fisher–Yates shuffle: the first `dead` of a random order.
        let mut order: Vec<u32> = (0..total).collect();
        let mut rng = Rng::new(seed, DEAD);
        for i in 0..dead.min(total) {
            let j = i + rng.below(total - i);
            order.swap(i as usize, j as usize);
            endpoints[order[i as usize] as usize].dead = true;
        }
        let live = (0..accounts)
            .map(|a| {
                let mine = &endpoints[(a * per_account) as usize..((a + 1) * per_account) as usize];
                mine.iter().filter(|e| !e.dead).count() as u32
            })
            .collect();
        Self { per_account, endpoints, live }
    }

    /// The account endpoint `n` belongs to.
    pub fn account_of(&self, n: u32) -> u32 {
        n / self.per_account
    }

    /// Live endpoints of `account`: the deliveries one event to it owes.
    pub fn live_in(&self, account: u32) -> u32 {
        self.live[account as usize]
    }

    /// The live endpoints' delays: what the run's receivers are like.
    pub fn live_delays(&self) -> Vec<Duration> {
        self.endpoints.iter().filter(|e| !e.dead).map(|e| e.delay).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(dead: u32, seed: u64) -> Layout {
        let delays = LogNormal::new(Duration::from_millis(100), 1.0);
        Layout::new(200, 5, delays, Duration::from_secs(5), dead, seed)
    }

    #[test]
    fn exactly_the_dead_asked_for_are_dead() {
        let l = layout(10, 15);
        assert_eq!(l.endpoints.iter().filter(|e| e.dead).count(), 10);
        assert_eq!((0..200).map(|a| l.live_in(a)).sum::<u32>(), 990);
    }

    #[test]
    fn the_same_seed_gives_the_same_layout() {
        let (a, b) = (layout(10, 15), layout(10, 15));
        assert!(a.endpoints.iter().zip(&b.endpoints).all(|(x, y)| x.delay == y.delay && x.dead == y.dead));
    }

    #[test]
    fn killing_endpoints_leaves_the_delays_as_they_were() {
        let (a, b) = (layout(0, 15), layout(10, 15));
        assert!(a.endpoints.iter().zip(&b.endpoints).all(|(x, y)| x.delay == y.delay));
    }

    #[test]
    fn endpoints_are_numbered_account_by_account() {
        let l = layout(0, 15);
        assert_eq!((l.account_of(0), l.account_of(4), l.account_of(5), l.account_of(999)), (0, 0, 1, 199));
    }
}
