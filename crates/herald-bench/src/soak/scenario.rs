//! `herald-bench soak`: the mix held at a steady rate for minutes while the
//! server is looked at every few seconds; at the end the samples, each
//! figure's slope over the second half, and the mix's own figures.

use std::{
    io::Write,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::Context;
use clap::Args as ClapArgs;
use serde_json::{json, Value};
use tokio::sync::oneshot;

use super::{
    sample::{sample_until, Probe, Sample},
    trend,
};
use crate::mix::{Figures, Session, Shape};

/// Options of `soak`.
#[derive(Debug, Clone, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    shape: Shape,
    /// Events published per second, by the clock, one per request.
    #[arg(long, default_value_t = 1000.0)]
    rate: f64,
    /// How long to publish.
    #[arg(long, default_value = "10m", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// How often to look at the server.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    sample_every: Duration,
    /// Also write the samples here, for a chart: CSV if the name ends in .csv, JSON lines otherwise.
    #[arg(long)]
    samples_file: Option<PathBuf>,
}

/// Runs the soak and prints its samples, slopes and figures.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let session = Session::start(&args.shape, args.rate, args.duration).await?;
    let probe = Probe { target: session.target.clone(), ledger: session.ledger.clone(), files: session.files.clone() };
    let cpu_before = session.target.cpu_seconds();
    let started = Instant::now();
    let (stop, stopped) = oneshot::channel();
    let sampler =
        tokio::spawn(sample_until(probe, started, args.sample_every.max(Duration::from_millis(100)), stopped));
    let publishing = session.publish();
    let ending = session.settle(publishing).await?;
    let _ = stop.send(());
    let samples = sampler.await.context("the sampler failed")?;
    anyhow::ensure!(session.ledger.counts().accepted > 0, "Herald accepted no publish; see the first failure above");

    for sample in &samples {
        let mut line = json!({"scenario": "soak-sample"});
        extend(&mut line, sample.json());
        println!("{line}");
    }
    let publish_seconds = args.duration.as_secs_f64();
    let window = trend::window(&samples, publish_seconds);
    let trends = trend::trends(&window);
    trend::print(&trends, &window);
    let figures = Figures::gather(&session, ending, started, cpu_before).await;
    figures.print("soak");
    let mut line = json!({"scenario": "soak", "context": session.context(args.duration)});
    extend(&mut line, figures.json());
    extend(
        &mut line,
        json!({
            "sample_every_s": args.sample_every.as_secs_f64(),
            "samples": samples.len(),
            "slope_window_s": [window.first().map(|s| s.t.round()), window.last().map(|s| s.t.round())],
            "slopes": trend::json(&trends),
        }),
    );
    println!("{line}");
    if let Some(path) = &args.samples_file {
        write_samples(path, &samples).with_context(|| format!("Failed to write {}", path.display()))?;
    }
    session.stop().await;
    Ok(())
}

fn extend(line: &mut Value, more: Value) {
    if let (Some(line), Value::Object(more)) = (line.as_object_mut(), more) {
        line.extend(more);
    }
}

/// Writes the samples as CSV (a `.csv` name) or JSON lines.
fn write_samples(path: &Path, samples: &[Sample]) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
        writeln!(out, "{}", Sample::csv_header())?;
        for s in samples {
            writeln!(out, "{}", s.csv())?;
        }
    } else {
        for s in samples {
            writeln!(out, "{}", s.json())?;
        }
    }
    out.flush()?;
    Ok(())
}
