//! Durations gathered into percentiles, printed as a table and a JSON line.

use std::time::Duration;

use serde_json::{json, Value};

/// The timings of one measured thing.
pub struct Timings {
    /// What was measured.
    pub name: String,
    /// Every run, sorted.
    runs: Vec<Duration>,
}

impl Timings {
    /// Gathers the runs of `name`.
    pub fn new(name: impl Into<String>, mut runs: Vec<Duration>) -> Self {
        runs.sort();
        Self { name: name.into(), runs }
    }

    /// How many runs were timed.
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    /// The `p`-th percentile (0–100), nearest rank.
    pub fn percentile(&self, p: f64) -> Duration {
        if self.runs.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * self.runs.len() as f64).ceil() as usize;
        self.runs[rank.clamp(1, self.runs.len()) - 1]
    }

    fn ms(d: Duration) -> f64 {
        (d.as_secs_f64() * 1e5).round() / 100.0
    }

    /// This row as JSON.
    pub fn json(&self) -> Value {
        json!({
            "name": self.name,
            "runs": self.runs.len(),
            "p50_ms": Self::ms(self.percentile(50.0)),
            "p99_ms": Self::ms(self.percentile(99.0)),
            "max_ms": Self::ms(self.percentile(100.0)),
        })
    }
}

/// Prints the table and the JSON line.
pub fn print(scenario: &str, context: Value, rows: &[Timings]) {
    println!("{:<44} {:>6} {:>9} {:>9} {:>9}", "query", "runs", "p50 ms", "p99 ms", "max ms");
    for row in rows {
        println!(
            "{:<44} {:>6} {:>9.2} {:>9.2} {:>9.2}",
            row.name,
            row.runs.len(),
            Timings::ms(row.percentile(50.0)),
            Timings::ms(row.percentile(99.0)),
            Timings::ms(row.percentile(100.0)),
        );
    }
    let line =
        json!({"scenario": scenario, "context": context, "rows": rows.iter().map(Timings::json).collect::<Vec<_>>()});
    println!("{line}");
}
