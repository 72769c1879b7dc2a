//! `http-floor`: the loopback HTTP exchange alone, with no Herald and no
//! store: one pooled reqwest client (as Herald's sender is built) POSTs a
//! webhook-sized body with webhook-like headers to the scenarios' own
//! receivers, from as many concurrent loops as Herald runs per endpoint.
//! What it prints is the ceiling any sender reaches on this machine with
//! these receivers, and the CPU one exchange costs (client and receiver
//! both, since both run in this process).

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use clap::Args as ClapArgs;
use serde_json::json;

use crate::sink::{self, Behaviour};

/// Options of the `http-floor` scenario.
#[derive(Debug, Clone, ClapArgs)]
pub struct Args {
    /// Requests to send.
    #[arg(long, default_value_t = 20_000)]
    requests: usize,
    /// Receivers, each with its own connections.
    #[arg(long, default_value_t = 1)]
    receivers: usize,
    /// Concurrent requests per receiver (Herald's default per-endpoint limit is 8).
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
}

/// CPU seconds this process has used so far (user and system, in ticks of 1/100 s).
fn own_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    Some((ticks(11)? + ticks(12)?) / 100.0)
}

/// Runs the scenario and prints its table and JSON line.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(Duration::from_secs(60))
        .build()?;
    let mut sinks = Vec::new();
    for _ in 0..args.receivers.max(1) {
        sinks.push(sink::start(Behaviour::Fast).await?);
    }
    let body = serde_json::to_vec(&json!({"id": "evt_01JQ8Z6X3M0000000000000000", "type": "credits.low",
        "created_at": "2026-12-01T10:15:00Z", "data": {"balance": 10, "threshold": 100}}))?;
    let next = Arc::new(AtomicUsize::new(0));
    let cpu_before = own_cpu_seconds();
    let started = Instant::now();
    let mut loops = Vec::new();
    for sink in &sinks {
        for _ in 0..args.concurrency.max(1) {
            let (client, url, body, next) = (client.clone(), sink.url.clone(), body.clone(), next.clone());
            let total = args.requests;
            loops.push(tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < total {
                    let response = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .header("x-webhook-id", "evt_01JQ8Z6X3M0000000000000000")
                        .header("x-webhook-event", "credits.low")
                        .header("x-webhook-signature", format!("t=1764584100,v1={}", "0".repeat(64)))
                        .header("x-webhook-attempt", "1")
                        .header("x-webhook-delivery", "dlv_01JQ8Z6X3M0000000000000000")
                        .body(body.clone())
                        .send()
                        .await?;
                    response.bytes().await?;
                }
                anyhow::Ok(())
            }));
        }
    }
    for task in loops {
        task.await??;
    }
    let seconds = started.elapsed().as_secs_f64();
    let received: usize = sinks.iter().map(|s| s.arrivals.len()).sum();
    let cpu = own_cpu_seconds().zip(cpu_before).map(|(after, before)| after - before);
    let per_second = received as f64 / seconds.max(1e-9);
    let cpu_us = cpu.map(|c| c * 1e6 / received.max(1) as f64);
    println!("http-floor: {} receivers × {} concurrent requests", sinks.len(), args.concurrency);
    println!("  requests              {received:>12}");
    println!("  seconds               {seconds:>12.3}");
    println!("  requests/s            {per_second:>12.0}");
    if let Some(us) = cpu_us {
        println!("  CPU µs/request        {us:>12.1}   (client and receiver together)");
    }
    let line = json!({"scenario": "http-floor", "receivers": sinks.len(), "concurrency": args.concurrency,
        "requests": received, "seconds": (seconds * 1000.0).round() / 1000.0, "requests_per_s": per_second.round(),
        "cpu_us_per_request": cpu_us.map(|u| (u * 10.0).round() / 10.0)});
    println!("{line}");
    Ok(())
}
