//! The receivers' delays: a log-normal draw (Box–Muller on the seeded
//! source), as response times of real services are: most quick, a long tail.

use std::time::Duration;

use super::rng::Rng;

/// A log-normal distribution given the way people state it: its median and
/// σ of ln(value). p90 is `median × e^(1.2816 σ)`: 3.6× the median at σ = 1.
#[derive(Debug, Clone, Copy)]
pub struct LogNormal {
    /// The median, in seconds (`e^μ`).
    median: f64,
    /// σ of ln(value).
    sigma: f64,
}

impl LogNormal {
    /// The distribution with this median and σ (negative σ is taken as its size).
    pub fn new(median: Duration, sigma: f64) -> Self {
        Self { median: median.as_secs_f64(), sigma: sigma.abs() }
    }

    /// One standard normal draw (Box–Muller; the second value of the pair is
    /// thrown away, so one draw always takes two uniforms and runs stay
    /// repeatable whatever else is drawn).
    fn standard_normal(rng: &mut Rng) -> f64 {
        let (u1, u2) = (rng.unit(), rng.unit());
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// One draw, cut at `cap` (a receiver that takes minutes is a dead one,
    /// which the mix models on its own).
    pub fn draw(&self, rng: &mut Rng, cap: Duration) -> Duration {
        let seconds = self.median * (self.sigma * Self::standard_normal(rng)).exp();
        Duration::from_secs_f64(seconds.min(cap.as_secs_f64()))
    }

    /// The theoretical quantile at the standard normal's quantile `z`
    /// (1.2816 for p90): what the draws should show.
    #[cfg(test)]
    pub fn quantile_at(&self, z: f64) -> Duration {
        Duration::from_secs_f64(self.median * (self.sigma * z).exp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The standard normal's 90th percentile.
    const Z90: f64 = 1.281_551_6;

    fn draws(n: usize, sigma: f64) -> (LogNormal, Vec<f64>) {
        let d = LogNormal::new(Duration::from_millis(100), sigma);
        let mut rng = Rng::new(15, 0);
        let mut v: Vec<f64> = (0..n).map(|_| d.draw(&mut rng, Duration::from_secs(3600)).as_secs_f64()).collect();
        v.sort_by(f64::total_cmp);
        (d, v)
    }

    fn close(measured: f64, theory: Duration, tolerance: f64) -> bool {
        (measured / theory.as_secs_f64() - 1.0).abs() < tolerance
    }

    #[test]
    fn the_draws_median_is_the_median_asked_for() {
        let (d, v) = draws(200_000, 1.0);
        assert!(close(v[v.len() / 2], d.quantile_at(0.0), 0.02), "median {}", v[v.len() / 2]);
    }

    #[test]
    fn the_draws_p90_is_the_theorys() {
        let (d, v) = draws(200_000, 1.0);
        let p90 = v[v.len() * 9 / 10];
        assert!(close(p90, d.quantile_at(Z90), 0.03), "p90 {p90} against {:?}", d.quantile_at(Z90));
        assert!((0.35..0.37).contains(&d.quantile_at(Z90).as_secs_f64()));
    }

    #[test]
    fn the_log_of_the_draws_has_the_sigma_asked_for() {
        let (_, v) = draws(200_000, 0.5);
        let logs: Vec<f64> = v.iter().map(|x| x.ln()).collect();
        let mean = logs.iter().sum::<f64>() / logs.len() as f64;
        let sd = (logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / logs.len() as f64).sqrt();
        assert!((sd - 0.5).abs() < 0.01, "σ {sd}");
    }

    #[test]
    fn no_draw_passes_the_cap() {
        let d = LogNormal::new(Duration::from_millis(100), 3.0);
        let mut rng = Rng::new(1, 0);
        assert!((0..10_000).all(|_| d.draw(&mut rng, Duration::from_secs(5)) <= Duration::from_secs(5)));
    }

    #[test]
    fn sigma_zero_gives_the_median_every_time() {
        let d = LogNormal::new(Duration::from_millis(100), 0.0);
        let mut rng = Rng::new(1, 0);
        assert!((0..100).all(|_| d.draw(&mut rng, Duration::from_secs(5)) == Duration::from_millis(100)));
    }
}
