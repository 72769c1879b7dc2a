//! The soak's samples: every few seconds, the server's memory, open file
//! descriptors, store files, CPU and the deliveries it made since the last
//! look, printed as a row as they come, and kept for the slopes.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use serde_json::{json, Value};
use tokio::sync::oneshot;

use crate::{
    mix::Ledger,
    server_watch::{self, SqliteFiles, MIB},
    target::Target,
};

/// One look at the server.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Seconds since publishing began.
    pub t: f64,
    /// Whether events were still being published (the slopes take only these).
    pub publishing: bool,
    /// Resident memory now, MiB.
    pub rss_mib: Option<f64>,
    /// Open file descriptors now.
    pub fds: Option<usize>,
    /// The SQLite database and its `-wal` now, MiB.
    pub db_mib: Option<f64>,
    pub wal_mib: Option<f64>,
    /// Deliveries received and events accepted per second since the last look.
    pub deliveries_per_s: f64,
    pub published_per_s: f64,
    /// Deliveries owed by accepted events and not received yet.
    pub behind: usize,
    /// The server's CPU since the last look, in % of one core.
    pub cpu_percent: Option<f64>,
}

/// A figure of the samples that should stay flat: its name, unit and value.
pub struct Series {
    /// Its name in the table and the JSON.
    pub name: &'static str,
    /// Its unit, per minute for the slope.
    pub unit: &'static str,
    /// Its value in a sample.
    pub value: fn(&Sample) -> Option<f64>,
}

/// The figures a soak takes the slope of.
pub const SERIES: [Series; 7] = [
    Series { name: "rss_mib", unit: "MiB", value: |s| s.rss_mib },
    Series { name: "open_fds", unit: "fds", value: |s| s.fds.map(|n| n as f64) },
    Series { name: "database_mib", unit: "MiB", value: |s| s.db_mib },
    Series { name: "wal_mib", unit: "MiB", value: |s| s.wal_mib },
    Series { name: "deliveries_per_s", unit: "deliveries/s", value: |s| Some(s.deliveries_per_s) },
    Series { name: "behind", unit: "deliveries", value: |s| Some(s.behind as f64) },
    Series { name: "cpu_percent", unit: "%", value: |s| s.cpu_percent },
];

fn cell<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or("n/a".into(), |v| v.to_string())
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

impl Sample {
    /// The table's header.
    pub fn header() -> String {
        format!(
            "{:>7} {:>7} {:>8} {:>6} {:>9} {:>8} {:>8} {:>8} {:>9} {:>6}",
            "t s", "phase", "RSS MiB", "fds", "db MiB", "wal MiB", "deliv/s", "publ/s", "behind", "CPU %"
        )
    }

    /// This sample as a row of the table.
    pub fn row(&self) -> String {
        format!(
            "{:>7.0} {:>7} {:>8} {:>6} {:>9} {:>8} {:>8.0} {:>8.0} {:>9} {:>6}",
            self.t,
            if self.publishing { "publish" } else { "drain" },
            cell(self.rss_mib.map(|m| format!("{m:.1}"))),
            cell(self.fds),
            cell(self.db_mib.map(|m| format!("{m:.1}"))),
            cell(self.wal_mib.map(|m| format!("{m:.1}"))),
            self.deliveries_per_s,
            self.published_per_s,
            self.behind,
            cell(self.cpu_percent.map(|c| format!("{c:.0}"))),
        )
    }

    /// This sample as JSON.
    pub fn json(&self) -> Value {
        json!({
            "t_s": round1(self.t), "publishing": self.publishing,
            "rss_mib": self.rss_mib.map(round1), "open_fds": self.fds,
            "database_mib": self.db_mib.map(round1), "wal_mib": self.wal_mib.map(round1),
            "deliveries_per_s": self.deliveries_per_s.round(), "published_per_s": self.published_per_s.round(),
            "behind": self.behind, "cpu_percent": self.cpu_percent.map(round1),
        })
    }

    /// The CSV header line.
    pub fn csv_header() -> &'static str {
        "t_s,publishing,rss_mib,open_fds,database_mib,wal_mib,deliveries_per_s,published_per_s,behind,cpu_percent"
    }

    /// This sample as a CSV line (empty cells for what could not be read).
    pub fn csv(&self) -> String {
        let opt = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.1}"));
        format!(
            "{:.1},{},{},{},{},{},{:.0},{:.0},{},{}",
            self.t,
            self.publishing,
            opt(self.rss_mib),
            self.fds.map_or(String::new(), |n| n.to_string()),
            opt(self.db_mib),
            opt(self.wal_mib),
            self.deliveries_per_s,
            self.published_per_s,
            self.behind,
            opt(self.cpu_percent),
        )
    }
}

/// What the sampler looks at.
pub struct Probe {
    /// The Herald under test (its pid and CPU).
    pub target: Arc<Target>,
    /// The run's counts.
    pub ledger: Arc<Ledger>,
    /// The store's files, on SQLite.
    pub files: Option<SqliteFiles>,
}

/// Looks every `every` from `started` until `stop` fires, printing each row
/// as it comes; returns the samples.
pub async fn sample_until(
    probe: Probe,
    started: Instant,
    every: Duration,
    mut stop: oneshot::Receiver<()>,
) -> Vec<Sample> {
    let mut ticks = tokio::time::interval_at((started + every).into(), every);
    let (mut last_at, mut last_counts, mut last_cpu) = (started, probe.ledger.counts(), probe.target.cpu_seconds());
    let pid = probe.target.pid();
    let mut samples = Vec::new();
    println!("{}", Sample::header());
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = &mut stop => return samples,
        }
        let (now, counts, cpu) = (Instant::now(), probe.ledger.counts(), probe.target.cpu_seconds());
        let span = now.duration_since(last_at).as_secs_f64().max(1e-9);
        let sizes = probe.files.as_ref().map(SqliteFiles::sizes);
        let sample = Sample {
            t: now.duration_since(started).as_secs_f64(),
            publishing: counts.accepted + counts.failed < probe.ledger.events(),
            rss_mib: pid.and_then(server_watch::rss_mib),
            fds: pid.and_then(server_watch::open_fds),
            db_mib: sizes.map(|(db, _)| db as f64 / MIB),
            wal_mib: sizes.map(|(_, wal)| wal as f64 / MIB),
            deliveries_per_s: (counts.unique - last_counts.unique) as f64 / span,
            published_per_s: (counts.accepted - last_counts.accepted) as f64 / span,
            behind: counts.behind(),
            cpu_percent: cpu.zip(last_cpu).map(|(now, before)| (now - before) / span * 100.0),
        };
        println!("{}", sample.row());
        samples.push(sample);
        (last_at, last_counts, last_cpu) = (now, counts, cpu);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_line_has_a_cell_for_every_header() {
        let s = Sample {
            t: 5.0,
            publishing: true,
            rss_mib: Some(40.0),
            fds: None,
            db_mib: Some(1.0),
            wal_mib: Some(2.0),
            deliveries_per_s: 5000.0,
            published_per_s: 1000.0,
            behind: 12,
            cpu_percent: Some(90.0),
        };
        assert_eq!(s.csv().split(',').count(), Sample::csv_header().split(',').count());
    }
}
