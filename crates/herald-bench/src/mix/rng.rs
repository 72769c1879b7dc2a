//! A small seeded random source (SplitMix64): the same seed gives the same
//! receivers, the same dead endpoints and the same accounts on every run, on
//! every machine, with no dependency to keep in step.

/// SplitMix64: 64 bits of state, fast, and good enough for drawing delays
/// and picking endpoints (not for anything secret).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A source for `seed`; `stream` keeps unrelated draws (delays, dead
    /// endpoints, accounts) apart, so changing how many of one are drawn
    /// leaves the others as they were.
    pub fn new(seed: u64, stream: u64) -> Self {
        Self(mix64(seed ^ mix64(stream.wrapping_add(0x5EED))))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }

    /// A uniform draw in the open interval (0, 1): never 0, so its logarithm is finite.
    pub fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// A uniform draw in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u32) -> u32 {
        (((self.next_u64() >> 32) * u64::from(n)) >> 32) as u32
    }
}

/// SplitMix64's finaliser: every input bit moves about half the output bits,
/// so it also serves as a stable hash of a few integers.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_draws() {
        let (mut a, mut b) = (Rng::new(7, 1), Rng::new(7, 1));
        assert!((0..100).all(|_| a.next_u64() == b.next_u64()));
    }

    #[test]
    fn streams_of_one_seed_differ() {
        assert_ne!(Rng::new(7, 1).next_u64(), Rng::new(7, 2).next_u64());
    }

    #[test]
    fn unit_draws_stay_strictly_inside_zero_and_one() {
        let mut r = Rng::new(1, 0);
        assert!((0..10_000).map(|_| r.unit()).all(|u| u > 0.0 && u < 1.0));
    }

    #[test]
    fn below_covers_its_range_and_no_more() {
        let mut r = Rng::new(3, 0);
        let mut seen = [0u32; 5];
        for _ in 0..10_000 {
            seen[r.below(5) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| (1_800..2_200).contains(&n)), "{seen:?}");
    }
}
