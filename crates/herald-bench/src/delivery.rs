//! The delivery scenarios: `throughput`, `batch`, `fanout`, `latency`,
//! `backlog`, `isolation` and `ordered`. Each starts its receivers and a Herald, sets up
//! an account, publishes, waits for every delivery and prints the figures.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use clap::Args as ClapArgs;
use herald_client::EndpointPatch;
use serde_json::{json, Value};

use crate::{
    load::{self, Publish},
    measure::{self, Outcome},
    sink::{self, Behaviour},
    target::{Target, TargetArgs},
};

/// Options shared by the delivery scenarios; each scenario has its own defaults.
#[derive(Debug, Clone, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    target: TargetArgs,
    /// Events to publish (default: the scenario's).
    #[arg(long)]
    events: Option<usize>,
    /// How long to wait after the last arrival before counting the rest as lost.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    stall: Duration,
}

/// One run's shape.
struct Plan {
    events: usize,
    healthy: usize,
    dead: usize,
    publish: Publish,
    env: Vec<(&'static str, &'static str)>,
    /// Whether the endpoints take their deliveries in publish order.
    ordered: bool,
}

/// What one run measured.
struct Run {
    outcome: Outcome,
    events: usize,
    publish_seconds: f64,
    peak_rss_mib: Option<f64>,
    /// CPU seconds the server spent from the first publish to the last arrival.
    server_cpu_seconds: Option<f64>,
    engine: String,
    /// For ordered endpoints: the places where the first receiver's
    /// arrivals (each event's repeats right after it counted once) differ
    /// from publish order.
    order_breaks: Option<usize>,
}

impl Run {
    /// Server CPU time per delivery received, in microseconds.
    fn cpu_per_delivery_us(&self) -> Option<f64> {
        let received = self.outcome.received.saturating_sub(self.outcome.duplicated);
        self.server_cpu_seconds.filter(|_| received > 0).map(|s| s * 1e6 / received as f64)
    }

    fn json(&self) -> Value {
        let mut figures = self.outcome.json(self.events);
        figures["publish_seconds"] = json!((self.publish_seconds * 1000.0).round() / 1000.0);
        figures["peak_rss_mib"] = json!(self.peak_rss_mib.map(|m| m.round()));
        figures["server_cpu_seconds"] = json!(self.server_cpu_seconds.map(|s| (s * 100.0).round() / 100.0));
        figures["server_cpu_us_per_delivery"] = json!(self.cpu_per_delivery_us().map(f64::round));
        figures["engine"] = json!(self.engine);
        figures["out_of_order"] = json!(self.order_breaks);
        figures
    }
}

async fn run(args: &Args, plan: Plan) -> anyhow::Result<Run> {
    let mut sinks = Vec::new();
    for _ in 0..plan.healthy {
        sinks.push(sink::start(Behaviour::Fast).await?);
    }
    let mut urls: Vec<String> = sinks.iter().map(|s| s.url.clone()).collect();
    for _ in 0..plan.dead {
        urls.push(sink::start(Behaviour::Hang).await?.url);
    }
    let target = Arc::new(Target::start(&args.target, &plan.env).await?);
    let (account, endpoints) = target.account_with(&urls).await?;
    if plan.ordered {
        let patch = EndpointPatch { ordered: Some(true), ..EndpointPatch::default() };
        for endpoint in &endpoints {
            target.herald.update_endpoint(&account, endpoint, &patch).await?;
        }
    }
    let cpu_before = target.cpu_seconds();
    let started = Instant::now();
    let sent = load::publish(&target, &account, plan.events, plan.publish).await?;
    let publish_seconds = started.elapsed().as_secs_f64();
    let arrivals: Vec<_> = sinks.iter().map(|s| &s.arrivals).collect();
    let outcome = measure::collect(&arrivals, &sent, started, args.stall).await;
    let peak_rss_mib = target.peak_rss_mib();
    let server_cpu_seconds = target.cpu_seconds().zip(cpu_before).map(|(after, before)| after - before);
    let engine = target.engine.clone();
    if let Ok(target) = Arc::try_unwrap(target) {
        target.stop().await;
    }
    let order_breaks = plan.ordered.then(|| order_breaks(&sinks[0].arrivals.snapshot(), &sent));
    Ok(Run { outcome, events: plan.events, publish_seconds, peak_rss_mib, server_cpu_seconds, engine, order_breaks })
}

/// How many of the arrivals (an event repeated right after itself counted
/// once) stand where publish order (`sent`, published one at a time) has another.
fn order_breaks(arrived: &[(String, Instant)], sent: &load::Sent) -> usize {
    let mut ids: Vec<&str> = arrived.iter().map(|(id, _)| id.as_str()).collect();
    ids.dedup();
    let misplaced = ids.iter().zip(sent).filter(|(a, (s, _))| **a != s.as_str()).count();
    misplaced + ids.len().abs_diff(sent.len())
}

fn print(scenario: &str, run: &Run, extra: Value) {
    let o = &run.outcome;
    println!("{scenario} on {}", run.engine);
    println!("  events                {:>12}", run.events);
    println!("  deliveries            {:>12}", o.received - o.duplicated);
    println!("  seconds               {:>12.3}", o.elapsed.as_secs_f64());
    println!("  events/s              {:>12.0}", run.events as f64 / o.elapsed.as_secs_f64().max(1e-9));
    println!("  deliveries/s          {:>12.0}", o.deliveries_per_second());
    println!("  publish seconds       {:>12.3}", run.publish_seconds);
    for (name, p) in [("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("max", 100.0)] {
        println!("  latency {name} ms        {:>12.2}", o.latency_ms(p));
    }
    println!("  lost                  {:>12}", o.lost);
    println!("  duplicated            {:>12}", o.duplicated);
    match run.peak_rss_mib {
        Some(mib) => println!("  server peak RSS MiB   {mib:>12.0}"),
        None => println!("  server peak RSS MiB            n/a"),
    }
    if let (Some(seconds), Some(per)) = (run.server_cpu_seconds, run.cpu_per_delivery_us()) {
        println!("  server CPU seconds    {seconds:>12.2}");
        println!("  server CPU µs/deliv.  {per:>12.1}");
    }
    if let Some(breaks) = run.order_breaks {
        println!("  out of publish order  {breaks:>12}");
    }
    let mut line = json!({"scenario": scenario});
    if let (Some(line), Value::Object(figures)) = (line.as_object_mut(), run.json()) {
        line.extend(figures);
        if let Value::Object(extra) = extra {
            line.extend(extra);
        }
    }
    println!("{line}");
}

/// `throughput`: 20,000 events, one endpoint, 64 clients publishing one event per request.
pub async fn throughput(args: Args) -> anyhow::Result<()> {
    let plan = Plan {
        events: args.events.unwrap_or(20_000),
        healthy: 1,
        dead: 0,
        publish: Publish::Single { clients: 64 },
        env: vec![],
        ordered: false,
    };
    print("throughput", &run(&args, plan).await?, json!({"clients": 64}));
    Ok(())
}

/// `batch`: 20,000 events in batches of 500, one endpoint.
pub async fn batch(args: Args) -> anyhow::Result<()> {
    let plan = Plan {
        events: args.events.unwrap_or(20_000),
        healthy: 1,
        dead: 0,
        publish: Publish::Batch { size: 500, clients: 4 },
        env: vec![],
        ordered: false,
    };
    print("batch", &run(&args, plan).await?, json!({"batch_size": 500, "clients": 4}));
    Ok(())
}

/// `fanout`: 5,000 events to ten endpoints, 64 clients publishing one event per request.
pub async fn fanout(args: Args) -> anyhow::Result<()> {
    let plan = Plan {
        events: args.events.unwrap_or(5_000),
        healthy: 10,
        dead: 0,
        publish: Publish::Single { clients: 64 },
        env: vec![],
        ordered: false,
    };
    print("fanout", &run(&args, plan).await?, json!({"endpoints": 10, "clients": 64}));
    Ok(())
}

/// `latency`: a steady 500 events per second for 10 seconds, one endpoint.
pub async fn latency(args: Args) -> anyhow::Result<()> {
    let plan = Plan {
        events: args.events.unwrap_or(5_000),
        healthy: 1,
        dead: 0,
        publish: Publish::Rate { per_second: 500 },
        env: vec![],
        ordered: false,
    };
    print("latency", &run(&args, plan).await?, json!({"rate_per_s": 500}));
    Ok(())
}

/// `ordered`: 2,000 events published one after another to one ordered
/// endpoint that answers at once: what ordering costs (one attempt per
/// round trip), and whether anything arrived out of publish order.
pub async fn ordered(args: Args) -> anyhow::Result<()> {
    let plan = Plan {
        events: args.events.unwrap_or(2_000),
        healthy: 1,
        dead: 0,
        publish: Publish::Single { clients: 1 },
        env: vec![],
        ordered: true,
    };
    print("ordered", &run(&args, plan).await?, json!({"clients": 1}));
    Ok(())
}

/// `isolation`: ten endpoints at a steady rate, all healthy, then with one
/// that never answers (30 s timeout); the nine healthy ones' latency in both.
pub async fn isolation(args: Args) -> anyhow::Result<()> {
    let events = args.events.unwrap_or(2_000);
    let publish = Publish::Rate { per_second: 200 };
    let healthy = run(&args, Plan { events, healthy: 10, dead: 0, publish, env: vec![], ordered: false }).await?;
    print("isolation-all-healthy", &healthy, json!({"endpoints": 10, "rate_per_s": 200}));
    let env = vec![("HERALD_DELIVERY_TIMEOUT", "30s")];
    let stalled = run(&args, Plan { events, healthy: 9, dead: 1, publish, env, ordered: false }).await?;
    let ratio = stalled.outcome.latency_ms(99.0) / healthy.outcome.latency_ms(99.0).max(1e-9);
    print(
        "isolation-one-dead",
        &stalled,
        json!({"endpoints": 10, "dead": 1, "rate_per_s": 200, "p99_ratio_to_all_healthy": (ratio * 100.0).round() / 100.0}),
    );
    println!("  healthy endpoints' p99 with one dead / all healthy: {ratio:.2}");
    Ok(())
}

/// `backlog`: the endpoint is down (disabled) while 1,000,000 events are
/// published in batches; then it is re-enabled with redelivery and the
/// backlog drains. Reports the drain rate and the server's peak memory.
pub async fn backlog(args: Args) -> anyhow::Result<()> {
    let events = args.events.unwrap_or(1_000_000);
    let receiver = sink::start(Behaviour::Fast).await?;
    let target = Arc::new(Target::start(&args.target, &[]).await?);
    let (account, endpoints) = target.account_with(std::slice::from_ref(&receiver.url)).await?;
    let endpoint = &endpoints[0];
    target.herald.disable_endpoint(&account, endpoint).await?;
    let published = Instant::now();
    let sent = load::publish(&target, &account, events, Publish::Batch { size: 500, clients: 4 }).await?;
    let publish_seconds = published.elapsed().as_secs_f64();
    eprintln!("published {events} events in {publish_seconds:.1}s while the endpoint was down");

    let (drain, cpu_before) = (Instant::now(), target.cpu_seconds());
    target.herald.enable_endpoint(&account, endpoint, true).await?;
    // Latency here is from the re-enable, not from publishing.
    let resent: load::Sent = sent.iter().map(|(id, _)| (id.clone(), drain)).collect();
    let outcome = measure::collect(&[&receiver.arrivals], &resent, drain, args.stall).await;
    let server_cpu_seconds = target.cpu_seconds().zip(cpu_before).map(|(after, before)| after - before);
    let peak_rss_mib = target.peak_rss_mib();
    let engine = target.engine.clone();
    let run = Run { outcome, events, publish_seconds, peak_rss_mib, server_cpu_seconds, engine, order_breaks: None };
    print("backlog", &run, json!({"drain_note": "seconds and rates count from the re-enable"}));
    if let Ok(target) = Arc::try_unwrap(target) {
        target.stop().await;
    }
    Ok(())
}
