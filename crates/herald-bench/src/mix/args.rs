//! The mix's knobs, shared by `mix` and `soak`: the receivers (accounts,
//! endpoints, their delays, the flaky and the dead), Herald's retry
//! schedule, and where Herald runs. The rate and the duration are each
//! scenario's own, with its own defaults.

use std::time::Duration;

use anyhow::ensure;
use clap::Args as ClapArgs;

use crate::target::TargetArgs;

/// What the mix is made of.
#[derive(Debug, Clone, ClapArgs)]
pub struct Shape {
    /// Where Herald runs: started here on a fresh SQLite file by default.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Accounts; each event goes to one of them, chosen at random from --seed.
    #[arg(long, default_value_t = 200)]
    pub accounts: u32,
    /// Endpoints of each account; an event is delivered to all of them (at most 64).
    #[arg(long, default_value_t = 5)]
    pub endpoints_per_account: u32,
    /// The receivers' median delay before answering; each endpoint's own is drawn once from a log-normal.
    #[arg(long, default_value = "100ms", value_parser = humantime::parse_duration)]
    pub delay_median: Duration,
    /// σ of ln(delay): 1.0 puts the endpoints' p90 at 3.6× the median.
    #[arg(long, default_value_t = 1.0)]
    pub delay_sigma: f64,
    /// The longest delay drawn; longer draws are cut to it.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    pub delay_cap: Duration,
    /// Seed of every random choice (delays, dead endpoints, accounts, flaky attempts): same seed, same run.
    #[arg(long, default_value_t = 15)]
    pub seed: u64,
    /// Percentage of first attempts at each endpoint answered 503 (after its delay); the retry is the receipt.
    #[arg(long, default_value_t = 0.0)]
    pub flaky_percent: f64,
    /// Endpoints, picked at random, that take requests and never answer; nobody waits for their deliveries.
    #[arg(long, default_value_t = 0)]
    pub dead: u32,
    /// Herald's retry schedule (HERALD_RETRY_SCHEDULE), short so refused attempts come back within the run.
    #[arg(long, default_value = "0s,500ms,1s,5s,15s,1m")]
    pub retry_schedule: String,
    /// Loopback servers the accounts' endpoints are spread over (origins); default one per account.
    #[arg(long)]
    pub origins: Option<u32>,
    /// How long to wait for a new receipt before counting the rest as lost.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    pub stall: Duration,
    /// Stop waiting this long after the last publish even while deliveries still arrive (a backlog
    /// draining slowly); what is still owed then counts as lost. Default: wait for all.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub max_drain: Option<Duration>,
    /// Halt the run when the SQLite store's disk has less than this many GiB free (a WAL that is
    /// never reset grows by gigabytes a minute under the mix, on a disk shared with others).
    #[arg(long, default_value_t = 4.0)]
    pub min_free_disk_gib: f64,
}

impl Shape {
    /// Refuses shapes the receivers cannot model.
    pub fn check(&self, rate: f64) -> anyhow::Result<()> {
        ensure!(self.accounts > 0, "--accounts must be at least 1");
        ensure!((1..=64).contains(&self.endpoints_per_account), "--endpoints-per-account must be 1 to 64");
        ensure!((0.0..=100.0).contains(&self.flaky_percent), "--flaky-percent must be 0 to 100");
        ensure!(self.dead <= self.accounts * self.endpoints_per_account, "--dead exceeds the endpoints");
        ensure!(rate > 0.0, "--rate must be positive");
        Ok(())
    }

    /// Loopback servers to start.
    pub fn origins(&self) -> u32 {
        self.origins.unwrap_or(self.accounts).clamp(1, self.accounts)
    }
}
