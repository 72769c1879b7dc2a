//! `herald-bench`: Herald's load generator and its report.
//!
//! Each scenario starts what it measures (receivers on loopback, a Herald on
//! a fresh store, or `--url` for a running one), prints a table for people
//! and one JSON line for tools.

mod delivery;
mod http_floor;
mod load;
mod log_queries;
mod measure;
mod mix;
mod report;
mod server_watch;
mod sink;
mod soak;
mod store_watch;
mod target;

use clap::{Parser, Subcommand};

/// The same allocator as the `herald` binary, so that the Herald this
/// starts as its child process (`herald-bench server`) is measured as shipped.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Measure Herald.
#[derive(Parser)]
#[command(name = "herald-bench", version)]
struct Cli {
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand)]
enum Scenario {
    /// 20,000 events to one endpoint, 64 clients publishing one event per request.
    Throughput(delivery::Args),
    /// 20,000 events to one endpoint, published in batches of 500.
    Batch(delivery::Args),
    /// 5,000 events to ten endpoints.
    Fanout(delivery::Args),
    /// A steady 500 events per second for 10 s to one endpoint: publish→receipt latency.
    Latency(delivery::Args),
    /// One endpoint down while 1,000,000 events are published, then up: the drain.
    Backlog(delivery::Args),
    /// Ten endpoints, one never answering: the other nine's latency against an all-healthy run.
    Isolation(delivery::Args),
    /// 2,000 events to one ordered endpoint, published one after another: what order costs.
    Ordered(delivery::Args),
    /// The loopback HTTP exchange alone (no Herald): the ceiling of any sender on this machine.
    HttpFloor(http_floor::Args),
    /// A steady rate over 200 accounts × 5 endpoints answering after log-normal delays (some flaky or dead).
    Mix(mix::Args),
    /// The mix at 1,000 events/s for 10 minutes: the server's memory, files and store sampled, and their slopes.
    Soak(soak::Args),
    /// Fill a store with a million deliveries and time the log queries of the API on it.
    LogQueries(log_queries::Args),
    /// Run the Herald under test (started by the scenarios as a child process).
    #[command(hide = true)]
    Server,
}

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        match Cli::parse().scenario {
            Scenario::Throughput(args) => delivery::throughput(args).await,
            Scenario::Batch(args) => delivery::batch(args).await,
            Scenario::Fanout(args) => delivery::fanout(args).await,
            Scenario::Latency(args) => delivery::latency(args).await,
            Scenario::Backlog(args) => delivery::backlog(args).await,
            Scenario::Ordered(args) => delivery::ordered(args).await,
            Scenario::Isolation(args) => delivery::isolation(args).await,
            Scenario::HttpFloor(args) => http_floor::run(args).await,
            Scenario::Mix(args) => mix::run(args).await,
            Scenario::Soak(args) => soak::run(args).await,
            Scenario::LogQueries(args) => log_queries::run(args).await,
            Scenario::Server => target::serve().await,
        }
    })
}
