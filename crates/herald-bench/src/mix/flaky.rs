//! Which first attempts a receiver refuses with `503`: a pure function of
//! the seed, the endpoint and the event, so a run can be repeated and the
//! receiver needs to remember only that it refused, not what it drew.

use super::rng::mix64;

/// Refuses `percent` % of first attempts, spread evenly over endpoints and events.
#[derive(Debug, Clone, Copy)]
pub struct Flaky {
    /// The run's seed.
    seed: u64,
    /// Refused first attempts per 1,000,000 (the percentage may have decimals).
    per_million: u64,
}

impl Flaky {
    /// Refuses `percent` % (0 to 100) of first attempts, chosen from `seed`.
    pub fn new(seed: u64, percent: f64) -> Self {
        Self { seed, per_million: (percent.clamp(0.0, 100.0) * 10_000.0).round() as u64 }
    }

    /// Whether the first attempt of event `seq` at endpoint `endpoint` is refused.
    pub fn refuses_first(&self, endpoint: u32, seq: u32) -> bool {
        let h = mix64(self.seed ^ mix64((u64::from(endpoint) << 32) | u64::from(seq)));
        h % 1_000_000 < self.per_million
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_choice_is_the_same_every_time_for_a_seed() {
        let (a, b) = (Flaky::new(15, 2.0), Flaky::new(15, 2.0));
        for e in 0..100 {
            for s in 0..100 {
                assert_eq!(a.refuses_first(e, s), b.refuses_first(e, s));
            }
        }
    }

    #[test]
    fn another_seed_refuses_other_attempts() {
        let (a, b) = (Flaky::new(15, 50.0), Flaky::new(16, 50.0));
        assert!((0..1_000).any(|s| a.refuses_first(0, s) != b.refuses_first(0, s)));
    }

    #[test]
    fn about_the_percentage_asked_for_is_refused_at_each_endpoint() {
        let f = Flaky::new(15, 2.0);
        for endpoint in [0, 1, 999] {
            let refused = (0..100_000).filter(|&s| f.refuses_first(endpoint, s)).count();
            assert!((1_800..2_200).contains(&refused), "endpoint {endpoint}: {refused}");
        }
    }

    #[test]
    fn zero_refuses_nothing_and_a_hundred_everything() {
        assert!((0..10_000).all(|s| !Flaky::new(1, 0.0).refuses_first(3, s)));
        assert!((0..10_000).all(|s| Flaky::new(1, 100.0).refuses_first(3, s)));
    }
}
