//! `herald-bench`: Herald's load generator and its report.
//!
//! Each scenario sets up what it measures through Herald's own store and API,
//! prints a table for people and one JSON line for tools.

mod log_queries;
mod report;

use clap::{Parser, Subcommand};

/// Measure Herald.
#[derive(Parser)]
#[command(name = "herald-bench", version)]
struct Cli {
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand)]
enum Scenario {
    /// Fill a store with a million deliveries and time the log queries of the API on it.
    LogQueries(log_queries::Args),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().scenario {
        Scenario::LogQueries(args) => log_queries::run(args).await,
    }
}
