//! One run of the mix, step by step, for `mix` and `soak` alike: lay out the
//! endpoints, start the receivers and a Herald, create the accounts, publish
//! by the clock, and wait until every live endpoint received every event.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering::Relaxed},
        Arc,
    },
    time::{Duration, Instant},
};

use anyhow::Context;
use serde_json::{json, Value};
use tokio::task::{JoinHandle, JoinSet};

use super::{
    args::Shape,
    flaky::Flaky,
    layout::Layout,
    ledger::Ledger,
    lognormal::LogNormal,
    pace,
    receivers::{self, Tally},
};
use crate::{server_watch::SqliteFiles, store_watch::StoreWatch, target::Target};

/// Accounts created at once during set-up.
const SETUP_CLIENTS: usize = 8;

/// How a run's wait for its deliveries ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Every live endpoint received every accepted event.
    AllReceived,
    /// Nothing arrived for `--stall`.
    Stalled,
    /// `--max-drain` passed after the last publish.
    DrainLimit,
    /// The disk was filling up (`--min-free-disk-gib`).
    Halted,
}

impl Ending {
    /// Its name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Self::AllReceived => "all received",
            Self::Stalled => "stalled",
            Self::DrainLimit => "drain limit",
            Self::Halted => "halted: disk filling",
        }
    }
}

/// A mix set up and ready to publish.
pub struct Session {
    /// What the mix is made of.
    pub shape: Shape,
    /// Events per second published.
    pub rate: f64,
    /// The Herald under test.
    pub target: Arc<Target>,
    /// The endpoints: delays, the dead.
    pub layout: Arc<Layout>,
    /// Every event: its account, when it went out, who received it.
    pub ledger: Arc<Ledger>,
    /// What the receivers refused and held.
    pub tally: Arc<Tally>,
    /// Herald's id of each account, by number.
    ids: Arc<Vec<String>>,
    /// The store's files, when Herald runs on a SQLite file this started.
    pub files: Option<SqliteFiles>,
    /// The `-wal`'s peak and the disk guard, on SQLite.
    pub watch: Option<StoreWatch>,
    /// Set when the run must stop at once (the disk is filling): publishing and waiting end.
    halt: Arc<AtomicBool>,
}

impl Session {
    /// Sets up `rate × duration` events' worth of mix: nothing is published yet.
    pub async fn start(shape: &Shape, rate: f64, duration: Duration) -> anyhow::Result<Self> {
        shape.check(rate)?;
        let events = (rate * duration.as_secs_f64()).round() as usize;
        anyhow::ensure!(events > 0 && events < u32::MAX as usize, "--rate × --duration must make 1 to 2^32 events");
        let delays = LogNormal::new(shape.delay_median, shape.delay_sigma);
        let layout = Arc::new(Layout::new(
            shape.accounts,
            shape.endpoints_per_account,
            delays,
            shape.delay_cap,
            shape.dead,
            shape.seed,
        ));
        let ledger = Arc::new(Ledger::new(pace::accounts_for(events, shape.accounts, shape.seed)));
        let flaky = Flaky::new(shape.seed, shape.flaky_percent);
        let receivers = receivers::start(layout.clone(), ledger.clone(), flaky, shape.origins()).await?;
        let target =
            Arc::new(Target::start(&shape.target, &[("HERALD_RETRY_SCHEDULE", shape.retry_schedule.as_str())]).await?);
        let ids = Arc::new(create_accounts(&target, &receivers.urls, shape.endpoints_per_account as usize).await?);
        let files = target.sqlite_file().map(|db| SqliteFiles::new(&db));
        let halt = Arc::new(AtomicBool::new(false));
        let min_free = (shape.min_free_disk_gib * 1024.0 * 1024.0 * 1024.0) as u64;
        let watch = files.clone().map(|f| StoreWatch::start(f, min_free, halt.clone()));
        Ok(Self { shape: shape.clone(), rate, target, layout, ledger, tally: receivers.tally, ids, files, watch, halt })
    }

    /// Starts publishing by the clock; the task ends when every publish was answered.
    pub fn publish(&self) -> JoinHandle<()> {
        let (target, ids, layout, ledger) =
            (self.target.clone(), self.ids.clone(), self.layout.clone(), self.ledger.clone());
        tokio::spawn(pace::publish(target, ids, layout, ledger, self.rate, self.halt.clone()))
    }

    /// Waits for the publishing to end, then until the live endpoints
    /// received every accepted event, or nothing arrived for `--stall`, or
    /// `--max-drain` passed, or the disk guard halted the run.
    pub async fn settle(&self, publishing: JoinHandle<()>) -> anyhow::Result<Ending> {
        publishing.await.context("the publisher failed")?;
        let published = Instant::now();
        let (mut seen, mut last_change) = (0, Instant::now());
        let ending = loop {
            let counts = self.ledger.counts();
            if self.halt.load(Relaxed) {
                break Ending::Halted;
            }
            if counts.unique >= counts.owed {
                break Ending::AllReceived;
            }
            if self.shape.max_drain.is_some_and(|limit| published.elapsed() > limit) {
                break Ending::DrainLimit;
            }
            if counts.unique != seen {
                (seen, last_change) = (counts.unique, Instant::now());
            } else if last_change.elapsed() > self.shape.stall {
                break Ending::Stalled;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        if ending != Ending::AllReceived {
            let counts = self.ledger.counts();
            eprintln!(
                "stopped waiting ({}) {:.1} s after the last publish: {} of {} deliveries arrived; the rest count as lost",
                ending.name(),
                published.elapsed().as_secs_f64(),
                counts.unique,
                counts.owed
            );
        }
        Ok(ending)
    }

    /// The run's settings, for the JSON line: enough to run it again. `HERALD_*`
    /// settings the Herald inherited from this environment are named too.
    pub fn context(&self, duration: Duration) -> Value {
        let s = &self.shape;
        let inherited: serde_json::Map<String, Value> = std::env::vars()
            .filter(|(k, _)| k.starts_with("HERALD_") && !k.contains("TOKEN") && !k.contains("KEY"))
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        json!({
            "rate_per_s": self.rate,
            "duration_s": duration.as_secs_f64(),
            "accounts": s.accounts,
            "endpoints_per_account": s.endpoints_per_account,
            "origins": s.origins(),
            "delay_median_ms": s.delay_median.as_secs_f64() * 1000.0,
            "delay_sigma": s.delay_sigma,
            "delay_cap_ms": s.delay_cap.as_secs_f64() * 1000.0,
            "seed": s.seed,
            "flaky_percent": s.flaky_percent,
            "dead": s.dead,
            "retry_schedule": s.retry_schedule,
            "herald_env": inherited,
        })
    }

    /// Stops the Herald this started (its temporary store goes with it).
    pub async fn stop(self) {
        drop(self.watch);
        if let Ok(target) = Arc::try_unwrap(self.target) {
            target.stop().await;
        }
    }
}

/// Creates one account per `per_account` URLs, a few at a time; returns their ids in order.
async fn create_accounts(target: &Arc<Target>, urls: &[String], per_account: usize) -> anyhow::Result<Vec<String>> {
    let groups: Vec<Vec<String>> = urls.chunks(per_account).map(<[String]>::to_vec).collect();
    let mut ids = vec![String::new(); groups.len()];
    let mut pending = groups.into_iter().enumerate();
    let mut running = JoinSet::new();
    loop {
        while running.len() < SETUP_CLIENTS {
            let Some((i, group)) = pending.next() else { break };
            let target = target.clone();
            running.spawn(async move { target.account_with(&group).await.map(|(id, _)| (i, id)) });
        }
        let Some(done) = running.join_next().await else { break };
        let (i, id) = done??;
        ids[i] = id;
    }
    Ok(ids)
}
