//! Waiting for every delivery to arrive, then the figures: rates, the
//! publish→receipt latency percentiles, lost and duplicated deliveries.

use std::{
    collections::{HashMap, HashSet},
    time::{Duration, Instant},
};

use serde_json::{json, Value};

use crate::{load::Sent, sink::Arrivals};

/// What arrived at a set of receivers, against what was published to them.
pub struct Outcome {
    /// Deliveries that should have arrived: events × receivers.
    pub expected: usize,
    /// Requests that arrived.
    pub received: usize,
    /// Expected deliveries that never arrived.
    pub lost: usize,
    /// Requests beyond the first for the same event at the same receiver.
    pub duplicated: usize,
    /// Publish→receipt of each first arrival, sorted.
    pub latencies: Vec<Duration>,
    /// From the first publish sent to the last arrival.
    pub elapsed: Duration,
}

/// Waits until every receiver got every event (or nothing new arrived for
/// `stall`), then measures.
pub async fn collect(sinks: &[&Arrivals], sent: &Sent, started: Instant, stall: Duration) -> Outcome {
    let expected = sent.len() * sinks.len();
    let mut seen = 0;
    let mut last_change = Instant::now();
    loop {
        let now: usize = sinks.iter().map(|s| s.len()).sum();
        if now >= expected {
            break;
        }
        if now != seen {
            seen = now;
            last_change = Instant::now();
        } else if last_change.elapsed() > stall {
            eprintln!("no delivery for {stall:?}: {now} of {expected} arrived; counting the rest as lost");
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    measure(sinks, sent, started, expected)
}

fn measure(sinks: &[&Arrivals], sent: &Sent, started: Instant, expected: usize) -> Outcome {
    let sent_at: HashMap<&str, Instant> = sent.iter().map(|(id, at)| (id.as_str(), *at)).collect();
    let (mut received, mut duplicated, mut first_arrivals) = (0, 0, 0);
    let mut latencies = Vec::with_capacity(expected);
    let mut last = started;
    for sink in sinks {
        let mut unique = HashSet::new();
        for (id, at) in sink.snapshot() {
            received += 1;
            last = last.max(at);
            if !unique.insert(id.clone()) {
                duplicated += 1;
                continue;
            }
            if let Some(sent) = sent_at.get(id.as_str()) {
                first_arrivals += 1;
                latencies.push(at.saturating_duration_since(*sent));
            }
        }
    }
    latencies.sort();
    Outcome { expected, received, lost: expected - first_arrivals, duplicated, latencies, elapsed: last - started }
}

impl Outcome {
    /// The `p`-th percentile latency (0–100), nearest rank, in milliseconds.
    pub fn latency_ms(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        let d = self.latencies[rank.clamp(1, self.latencies.len()) - 1];
        (d.as_secs_f64() * 1e5).round() / 100.0
    }

    /// Deliveries per second over the whole run.
    pub fn deliveries_per_second(&self) -> f64 {
        (self.received - self.duplicated) as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The figures as JSON.
    pub fn json(&self, events: usize) -> Value {
        json!({
            "events": events,
            "expected_deliveries": self.expected,
            "deliveries": self.received - self.duplicated,
            "seconds": (self.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
            "events_per_s": (events as f64 / self.elapsed.as_secs_f64().max(1e-9)).round(),
            "deliveries_per_s": self.deliveries_per_second().round(),
            "latency_ms": {
                "p50": self.latency_ms(50.0), "p90": self.latency_ms(90.0),
                "p99": self.latency_ms(99.0), "max": self.latency_ms(100.0),
            },
            "lost": self.lost,
            "duplicated": self.duplicated,
        })
    }
}
