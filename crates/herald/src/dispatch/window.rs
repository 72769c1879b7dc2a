//! How many attempts one endpoint gets at once: a window that follows how
//! the receiver answers, additive increase and multiplicative decrease, as
//! TCP's congestion control (and Netflix's concurrency-limits, Envoy's
//! adaptive concurrency) do it.
//!
//! - An attempt answered 2xx promptly (within a quarter of the delivery
//!   timeout) while the endpoint had more deliveries waiting than places
//!   grows the window by one place per window's worth of such answers.
//! - A timeout, a refused or cut connection, `429` or a `5xx` halves it
//!   (never below one), once per round: attempts that started before the
//!   last cut do not cut again, so a burst of failures in flight together
//!   counts once.
//! - Anything else (another `4xx`, DNS, TLS, the address guard) says
//!   nothing about the receiver's load and leaves it as it is.
//!
//! The window never passes the configured ceiling
//! (`HERALD_MAX_IN_FLIGHT_PER_ENDPOINT`). A slow receiver that answers keeps
//! the places it needs; a dead one is held to one.

use std::time::{Duration, Instant};

use crate::{domain::AttemptError, store::Attempt};

/// The window a new (or long idle) endpoint starts with.
pub const INITIAL: usize = 8;

/// What one answer says about the receiver's load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Answered 2xx in good time: it can take more.
    Prompt,
    /// Timed out, refused, or answered 429 or 5xx: it takes too much already.
    Overloaded,
    /// Nothing about its load.
    Neutral,
}

impl Signal {
    /// What `attempt` says, under a delivery timeout of `timeout`.
    pub fn of(attempt: &Attempt, timeout: Duration) -> Self {
        match attempt.error {
            None if Duration::from_millis(attempt.duration_ms) <= timeout / 4 => Self::Prompt,
            None => Self::Neutral,
            Some(AttemptError::Timeout | AttemptError::Connect) => Self::Overloaded,
            Some(AttemptError::Status) => match attempt.response_status {
                Some(429) | Some(500..=599) => Self::Overloaded,
                _ => Self::Neutral,
            },
            Some(_) => Self::Neutral,
        }
    }
}

/// One endpoint's window.
#[derive(Debug, Clone)]
pub struct Window {
    /// Attempts at once.
    places: usize,
    /// Prompt answers since it last grew: at `places` of them, it grows by one.
    credit: usize,
    /// The most places it may have.
    ceiling: usize,
    /// When it was last cut: attempts started before then do not cut it again.
    cut_at: Option<Instant>,
}

impl Window {
    /// A window of [`INITIAL`] places (or `ceiling`, if lower).
    pub fn new(ceiling: usize) -> Self {
        let ceiling = ceiling.max(1);
        Self { places: INITIAL.min(ceiling), credit: 0, ceiling, cut_at: None }
    }

    /// Attempts the endpoint may have at once now.
    pub fn places(&self) -> usize {
        self.places
    }

    /// Whether it is as a new endpoint's, so that forgetting it loses nothing.
    pub fn is_initial(&self) -> bool {
        self.places == INITIAL.min(self.ceiling) && self.credit == 0
    }

    /// Takes in the answer to an attempt that started at `started`; `busy`
    /// says whether the endpoint had more waiting than places (growing a
    /// window that is not full would buy nothing).
    pub fn observe(&mut self, signal: Signal, started: Instant, busy: bool) {
        match signal {
            Signal::Prompt if busy && self.places < self.ceiling => {
                self.credit += 1;
                if self.credit >= self.places {
                    self.places += 1;
                    self.credit = 0;
                }
            }
            Signal::Overloaded if self.cut_at.is_none_or(|cut| started >= cut) => {
                self.places = (self.places / 2).max(1);
                self.credit = 0;
                self.cut_at = Some(Instant::now());
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(status: Option<u16>, error: Option<AttemptError>, duration_ms: u64) -> Attempt {
        Attempt {
            n: 1,
            started_at: crate::domain::Timestamp::now(),
            duration_ms,
            response_status: status,
            error,
            error_detail: None,
            response_body: String::new(),
        }
    }

    #[test]
    fn each_answer_says_what_it_says_about_the_receivers_load() {
        let timeout = Duration::from_secs(30);
        let cases = [
            (attempt(Some(200), None, 120), Signal::Prompt),
            (attempt(Some(204), None, 7_500), Signal::Prompt),
            (attempt(Some(200), None, 7_501), Signal::Neutral),
            (attempt(Some(429), Some(AttemptError::Status), 5), Signal::Overloaded),
            (attempt(Some(503), Some(AttemptError::Status), 5), Signal::Overloaded),
            (attempt(Some(500), Some(AttemptError::Status), 5), Signal::Overloaded),
            (attempt(None, Some(AttemptError::Timeout), 30_000), Signal::Overloaded),
            (attempt(None, Some(AttemptError::Connect), 1), Signal::Overloaded),
            (attempt(Some(404), Some(AttemptError::Status), 5), Signal::Neutral),
            (attempt(Some(301), Some(AttemptError::Status), 5), Signal::Neutral),
            (attempt(None, Some(AttemptError::Dns), 5), Signal::Neutral),
            (attempt(None, Some(AttemptError::Tls), 5), Signal::Neutral),
            (attempt(None, Some(AttemptError::BlockedAddress), 0), Signal::Neutral),
        ];
        for (a, expected) in cases {
            assert_eq!(Signal::of(&a, timeout), expected, "{a:?}");
        }
    }

    #[test]
    fn prompt_answers_grow_a_busy_window_by_one_place_per_window_up_to_the_ceiling() {
        let mut w = Window::new(10);
        let now = Instant::now();
        for _ in 0..8 {
            w.observe(Signal::Prompt, now, true);
        }
        assert_eq!(w.places(), 9, "eight answers at eight places make one more");
        for _ in 0..100 {
            w.observe(Signal::Prompt, now, true);
        }
        assert_eq!(w.places(), 10, "never past the ceiling");
    }

    #[test]
    fn a_window_with_room_to_spare_does_not_grow() {
        let mut w = Window::new(64);
        for _ in 0..100 {
            w.observe(Signal::Prompt, Instant::now(), false);
        }
        assert_eq!(w.places(), INITIAL);
        assert!(w.is_initial());
    }

    #[test]
    fn overload_halves_the_window_once_per_round_and_never_below_one() {
        let mut w = Window::new(64);
        let before = Instant::now();
        w.observe(Signal::Overloaded, before, true);
        assert_eq!(w.places(), 4);
        w.observe(Signal::Overloaded, before, true);
        assert_eq!(w.places(), 4, "an attempt sent before the cut does not cut again");
        for _ in 0..10 {
            w.observe(Signal::Overloaded, Instant::now(), true);
        }
        assert_eq!(w.places(), 1, "never below one");
        w.observe(Signal::Neutral, Instant::now(), true);
        assert_eq!(w.places(), 1);
    }

    #[test]
    fn a_ceiling_below_the_initial_window_is_the_window() {
        assert_eq!(Window::new(2).places(), 2);
        assert_eq!(Window::new(0).places(), 1);
    }
}
