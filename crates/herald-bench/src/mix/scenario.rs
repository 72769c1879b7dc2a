//! `herald-bench mix`: a steady rate of events over many accounts whose
//! endpoints answer as real receivers do (a log-normal spread of delays,
//! some refusing a first attempt, some dead), until every live endpoint
//! received every event; then the figures.

use std::time::{Duration, Instant};

use clap::Args as ClapArgs;

use super::{args::Shape, figures::Figures, session::Session};

/// Options of `mix`.
#[derive(Debug, Clone, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    shape: Shape,
    /// Events published per second, by the clock, one per request.
    #[arg(long, default_value_t = 300.0)]
    rate: f64,
    /// How long to publish.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    duration: Duration,
}

/// Runs the mix and prints its table and JSON line.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let session = Session::start(&args.shape, args.rate, args.duration).await?;
    let cpu_before = session.target.cpu_seconds();
    let started = Instant::now();
    let publishing = session.publish();
    let ending = session.settle(publishing).await?;
    anyhow::ensure!(session.ledger.counts().accepted > 0, "Herald accepted no publish; see the first failure above");
    let figures = Figures::gather(&session, ending, started, cpu_before).await;
    figures.print("mix");
    let mut line = serde_json::json!({"scenario": "mix", "context": session.context(args.duration)});
    if let (Some(line), serde_json::Value::Object(figures)) = (line.as_object_mut(), figures.json()) {
        line.extend(figures);
    }
    println!("{line}");
    session.stop().await;
    Ok(())
}
