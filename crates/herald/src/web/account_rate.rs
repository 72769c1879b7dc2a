//! Each account's share of the API (`HERALD_ACCOUNT_RATE_LIMIT`): at most N
//! requests a second after a burst of N, counted per account across all of
//! its keys and portal sessions, on each node by itself. A request over the
//! share is refused with how long until the next one is let through; other
//! accounts are not slowed by it. The same rule as an endpoint's
//! `rate_limit` (GCRA on a theoretical arrival time), kept in memory: a
//! refusal must cost nothing, least of all a write.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::domain::AccountId;

/// Accounts idle for this long are forgotten when the table is swept.
const SWEEP_EVERY: usize = 4096;

/// The accounts' shares.
#[derive(Debug)]
pub struct AccountRate {
    /// One request's worth of time; `None` when the limit is off.
    interval: Option<Duration>,
    /// How far ahead of now an account's arrival time may run: the burst.
    tolerance: Duration,
    /// Each account's theoretical arrival time, and calls since the last sweep.
    accounts: Mutex<(HashMap<AccountId, Instant>, usize)>,
}

impl AccountRate {
    /// `per_second` requests a second with a burst as large; 0 turns the limit off.
    pub fn new(per_second: u32) -> Self {
        let interval = (per_second > 0).then(|| Duration::from_secs(1) / per_second);
        Self {
            interval,
            tolerance: interval.map(|i| i * per_second).unwrap_or_default(),
            accounts: Mutex::new((HashMap::new(), 0)),
        }
    }

    /// Lets one request of `account` through at `now`, or says how long
    /// until the next would be let through.
    pub fn admit(&self, account: &AccountId, now: Instant) -> Result<(), Duration> {
        let Some(interval) = self.interval else { return Ok(()) };
        let mut guard = self.accounts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (arrivals, calls) = &mut *guard;
        *calls += 1;
        if *calls >= SWEEP_EVERY {
            *calls = 0;
            arrivals.retain(|_, at| *at > now);
        }
        let at = arrivals.get(account).copied().unwrap_or(now).max(now) + interval;
        let ahead = at - now;
        if ahead > self.tolerance {
            return Err(ahead - self.tolerance);
        }
        arrivals.insert(account.clone(), at);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(n: u8) -> AccountId {
        AccountId::parse(&format!("account-{n}")).unwrap()
    }

    #[test]
    fn a_burst_of_the_limit_passes_then_one_request_per_interval() {
        let (rate, now, a) = (AccountRate::new(10), Instant::now(), account(1));
        for _ in 0..10 {
            assert_eq!(rate.admit(&a, now), Ok(()));
        }
        let wait = rate.admit(&a, now).unwrap_err();
        assert_eq!(wait, Duration::from_millis(100));
        assert!(rate.admit(&a, now + Duration::from_millis(99)).is_err());
        assert_eq!(rate.admit(&a, now + Duration::from_millis(100)), Ok(()));
    }

    #[test]
    fn one_account_over_its_share_does_not_take_another_s() {
        let (rate, now) = (AccountRate::new(5), Instant::now());
        while rate.admit(&account(1), now).is_ok() {}
        assert_eq!(rate.admit(&account(2), now), Ok(()));
    }

    #[test]
    fn refused_requests_do_not_push_the_next_one_further_away() {
        let (rate, now, a) = (AccountRate::new(2), Instant::now(), account(1));
        let _ = (rate.admit(&a, now), rate.admit(&a, now));
        for _ in 0..100 {
            assert!(rate.admit(&a, now).is_err());
        }
        assert_eq!(rate.admit(&a, now + Duration::from_millis(500)), Ok(()));
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let (rate, now) = (AccountRate::new(0), Instant::now());
        for _ in 0..10_000 {
            assert_eq!(rate.admit(&account(1), now), Ok(()));
        }
    }
}
