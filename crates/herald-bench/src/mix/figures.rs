//! The mix's figures once it settled: rates, publish→receipt percentiles
//! (all receipts, and the healthy ones apart when some endpoints are flaky
//! or dead), lost and duplicated, the tail after the last publish, and what
//! the server spent: CPU per delivery, peak memory, the store on disk.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{
    ledger::Counts,
    session::{Ending, Session},
};
use crate::{
    report::Timings,
    server_watch::{self, MIB},
};

/// Everything a mix run reports.
pub struct Figures {
    /// How the wait for the deliveries ended.
    ending: Ending,
    /// `sqlite`, `postgres` or `external`.
    engine: String,
    /// Events the run meant to publish.
    events: usize,
    /// The ledger's counts at the end.
    counts: Counts,
    /// From the first publish going out to the last publish answered.
    publish_time: Duration,
    /// From the first publish to the last receipt.
    elapsed: Duration,
    /// From the last publish answered to the last receipt: how far behind delivery ended.
    tail: Duration,
    /// Every first receipt's latency.
    all: Timings,
    /// First-attempt receipts only: none of them refused, none at a dead endpoint.
    healthy: Timings,
    /// Receipts that came on a retry after a refusal.
    retried: Timings,
    /// Whether some endpoints were flaky or dead (so `healthy` says something of its own).
    impaired: bool,
    /// First attempts refused, and requests held by dead endpoints.
    refused: usize,
    held: usize,
    /// The server's CPU seconds from the first publish to the end.
    cpu_seconds: Option<f64>,
    /// `VmHWM` of the server, MiB.
    peak_rss_mib: Option<f64>,
    /// The `-wal`'s peak and final size, and the database's final size, in bytes.
    peak_wal: Option<u64>,
    wal_end: Option<u64>,
    db_end: Option<u64>,
    /// The live endpoints' delays.
    delays: Timings,
}

/// Milliseconds with two decimals, as the other scenarios print them.
fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 100.0
}

/// Bytes as MiB with one decimal, or `null`.
fn mib(bytes: Option<u64>) -> Value {
    json!(bytes.map(|b| (b as f64 / MIB * 10.0).round() / 10.0))
}

impl Figures {
    /// Reads the figures off a settled session; `started` is when publishing
    /// began and `cpu_before` the server's CPU seconds then.
    pub async fn gather(session: &Session, ending: Ending, started: Instant, cpu_before: Option<f64>) -> Self {
        let ledger = &session.ledger;
        let counts = ledger.counts();
        let (last_answer, last_receipt) = ledger.last_answer_and_receipt();
        let receipts = ledger.receipts();
        let pick = |keep: fn(&super::ledger::Receipt) -> bool| -> Vec<Duration> {
            receipts.iter().filter(|r| keep(r)).map(|r| r.latency).collect()
        };
        let target = &session.target;
        let cpu_seconds = target.cpu_seconds().zip(cpu_before).map(|(after, before)| after - before);
        let (db_end, wal_end) = match (&session.files, target.database_url()) {
            (Some(files), _) => {
                let (db, wal) = files.sizes();
                (Some(db), Some(wal))
            }
            (None, Some(url)) => (server_watch::postgres_size(url).await, None),
            (None, None) => (None, None),
        };
        let shape = &session.shape;
        Self {
            ending,
            engine: target.engine.clone(),
            events: ledger.events(),
            counts,
            publish_time: last_answer.saturating_duration_since(started),
            elapsed: last_receipt.max(last_answer).saturating_duration_since(started),
            tail: last_receipt.saturating_duration_since(last_answer),
            all: Timings::new("all", pick(|_| true)),
            healthy: Timings::new("healthy", pick(|r| !r.retried)),
            retried: Timings::new("retried", pick(|r| r.retried)),
            impaired: shape.flaky_percent > 0.0 || shape.dead > 0,
            refused: session.tally.refused.load(std::sync::atomic::Ordering::Relaxed),
            held: session.tally.held.load(std::sync::atomic::Ordering::Relaxed),
            cpu_seconds,
            peak_rss_mib: target.peak_rss_mib(),
            peak_wal: session.watch.as_ref().map(|w| w.peak().max(wal_end.unwrap_or(0))),
            wal_end,
            db_end,
            delays: Timings::new("delays", session.layout.live_delays()),
        }
    }

    /// Deliveries that never arrived.
    pub fn lost(&self) -> usize {
        self.counts.behind()
    }

    fn per_second(&self, n: usize, over: Duration) -> f64 {
        n as f64 / over.as_secs_f64().max(1e-9)
    }

    /// Server CPU per delivery received, in µs (retries and dead attempts included in the cost).
    fn cpu_us(&self) -> Option<f64> {
        self.cpu_seconds.filter(|_| self.counts.unique > 0).map(|s| s * 1e6 / self.counts.unique as f64)
    }

    fn percentiles(t: &Timings) -> Value {
        json!({"n": t.runs(), "p50": ms(t.percentile(50.0)), "p90": ms(t.percentile(90.0)),
            "p99": ms(t.percentile(99.0)), "max": ms(t.percentile(100.0))})
    }

    /// The figures as JSON, under the names the other scenarios use where they have one.
    pub fn json(&self) -> Value {
        let c = &self.counts;
        let mut v = json!({
            "engine": self.engine,
            "ended": self.ending.name(),
            "events": self.events,
            "events_accepted": c.accepted,
            "publish_failed": c.failed,
            "expected_deliveries": c.owed,
            "deliveries": c.unique,
            "seconds": (self.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
            "publish_seconds": (self.publish_time.as_secs_f64() * 1000.0).round() / 1000.0,
            "events_per_s": self.per_second(c.accepted, self.publish_time).round(),
            "deliveries_per_s": self.per_second(c.unique, self.elapsed).round(),
            "latency_ms": Self::percentiles(&self.all),
            "lost": self.lost(),
            "duplicated": c.duplicated,
            "unexpected": c.unexpected,
            "last_publish_to_last_receipt_s": (self.tail.as_secs_f64() * 1000.0).round() / 1000.0,
            "refused_first_attempts": self.refused,
            "held_by_dead": self.held,
            "peak_rss_mib": self.peak_rss_mib.map(f64::round),
            "server_cpu_seconds": self.cpu_seconds.map(|s| (s * 100.0).round() / 100.0),
            "server_cpu_us_per_delivery": self.cpu_us().map(f64::round),
            "peak_wal_mib": mib(self.peak_wal),
            "wal_end_mib": mib(self.wal_end),
            "database_mib": mib(self.db_end),
            "receiver_delay_ms": Self::percentiles(&self.delays),
        });
        if self.impaired {
            v["healthy_latency_ms"] = Self::percentiles(&self.healthy);
            v["retried_latency_ms"] = Self::percentiles(&self.retried);
        }
        v
    }

    /// Prints the table for people.
    pub fn print(&self, title: &str) {
        let c = &self.counts;
        let row = |name: &str, value: String| println!("  {name:<34} {value:>12}");
        let opt_mib = |b: Option<u64>| b.map_or("n/a".to_owned(), |b| format!("{:.1}", b as f64 / MIB));
        println!("{title} on {} ({})", self.engine, self.ending.name());
        let d = &self.delays;
        let delay = |p| ms(d.percentile(p));
        row("receiver delay p50/p90/max ms", format!("{:.0}/{:.0}/{:.0}", delay(50.0), delay(90.0), delay(100.0)));
        row("events published (accepted)", format!("{}", c.accepted));
        row("publishes failed", format!("{}", c.failed));
        row("publish seconds", format!("{:.3}", self.publish_time.as_secs_f64()));
        row("events/s published", format!("{:.0}", self.per_second(c.accepted, self.publish_time)));
        row("deliveries expected (live)", format!("{}", c.owed));
        row("deliveries received", format!("{}", c.unique));
        row("seconds to the last receipt", format!("{:.3}", self.elapsed.as_secs_f64()));
        row("deliveries/s", format!("{:.0}", self.per_second(c.unique, self.elapsed)));
        for (name, p) in [("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("max", 100.0)] {
            row(&format!("latency {name} ms"), format!("{:.2}", ms(self.all.percentile(p))));
        }
        if self.impaired {
            for (name, p) in [("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("max", 100.0)] {
                row(&format!("healthy latency {name} ms"), format!("{:.2}", ms(self.healthy.percentile(p))));
            }
            row("retried receipts", format!("{}", self.retried.runs()));
            row("retried latency p50 ms", format!("{:.2}", ms(self.retried.percentile(50.0))));
            row("first attempts refused (503)", format!("{}", self.refused));
            row("requests held by dead endpoints", format!("{}", self.held));
        }
        row("lost", format!("{}", self.lost()));
        row("duplicated", format!("{}", c.duplicated));
        if c.unexpected > 0 {
            row("unexpected requests", format!("{}", c.unexpected));
        }
        row("last publish → last receipt s", format!("{:.3}", self.tail.as_secs_f64()));
        row("server peak RSS MiB", self.peak_rss_mib.map_or("n/a".into(), |m| format!("{m:.0}")));
        row("server CPU seconds", self.cpu_seconds.map_or("n/a".into(), |s| format!("{s:.2}")));
        row("server CPU µs/delivery", self.cpu_us().map_or("n/a".into(), |u| format!("{u:.1}")));
        row("peak -wal MiB", opt_mib(self.peak_wal));
        row("-wal at the end MiB", opt_mib(self.wal_end));
        row("database at the end MiB", opt_mib(self.db_end));
    }
}
