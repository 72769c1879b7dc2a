//! Publishing: one event per request from many concurrent clients, batches,
//! or a steady rate. Each returns when every publish was answered, with the
//! id of every event and the moment its request was sent.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use anyhow::{bail, Context};
use serde_json::{json, Value};

use crate::target::Target;

/// Every published event's id and when its request went out.
pub type Sent = Vec<(String, Instant)>;

/// How a scenario publishes.
#[derive(Debug, Clone, Copy)]
pub enum Publish {
    /// One event per request, from `clients` concurrent clients.
    Single {
        /// Concurrent clients.
        clients: usize,
    },
    /// `size` events per request, from `clients` concurrent clients.
    Batch {
        /// Events per request.
        size: usize,
        /// Concurrent clients.
        clients: usize,
    },
    /// One event per request at a steady rate.
    Rate {
        /// Events per second.
        per_second: u32,
    },
}

fn event() -> Value {
    json!({"type": "credits.low", "data": {"balance": 10, "threshold": 100}})
}

async fn send(target: &Target, account: &str, path: &str, body: &Value) -> anyhow::Result<Value> {
    let response = target.publish_request(account, path).json(body).send().await?;
    let status = response.status();
    if status.as_u16() != 202 {
        bail!("publish answered {status}: {}", response.text().await.unwrap_or_default());
    }
    Ok(response.json().await?)
}

/// Publishes `events` events to `account` as `how` says.
pub async fn publish(target: &Arc<Target>, account: &str, events: usize, how: Publish) -> anyhow::Result<Sent> {
    match how {
        Publish::Single { clients } => chunks(target, account, events, 1, clients).await,
        Publish::Batch { size, clients } => chunks(target, account, events, size, clients).await,
        Publish::Rate { per_second } => steady(target, account, events, per_second).await,
    }
}

async fn chunks(
    target: &Arc<Target>,
    account: &str,
    events: usize,
    size: usize,
    clients: usize,
) -> anyhow::Result<Sent> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (target, account, next) = (target.clone(), account.to_owned(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut sent = Sent::new();
            loop {
                let start = next.fetch_add(size, Ordering::Relaxed);
                if start >= events {
                    return Ok::<_, anyhow::Error>(sent);
                }
                let n = size.min(events - start);
                let at = Instant::now();
                if size == 1 {
                    let answer = send(&target, &account, "events", &event()).await?;
                    sent.push((answer["event"]["id"].as_str().context("an event id")?.to_owned(), at));
                } else {
                    let body = Value::Array((0..n).map(|_| event()).collect());
                    let answer = send(&target, &account, "events/batch", &body).await?;
                    for e in answer["events"].as_array().context("events")? {
                        sent.push((e["id"].as_str().context("an event id")?.to_owned(), at));
                    }
                }
            }
        }));
    }
    let mut all = Sent::with_capacity(events);
    for task in tasks {
        all.extend(task.await??);
    }
    Ok(all)
}

async fn steady(target: &Arc<Target>, account: &str, events: usize, per_second: u32) -> anyhow::Result<Sent> {
    let mut ticks = tokio::time::interval(Duration::from_secs(1) / per_second.max(1));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = Vec::with_capacity(events);
    for _ in 0..events {
        ticks.tick().await;
        let (target, account) = (target.clone(), account.to_owned());
        tasks.push(tokio::spawn(async move {
            let at = Instant::now();
            let answer = send(&target, &account, "events", &event()).await?;
            Ok::<_, anyhow::Error>((answer["event"]["id"].as_str().context("an event id")?.to_owned(), at))
        }));
    }
    let mut all = Sent::with_capacity(events);
    for task in tasks {
        all.push(task.await??);
    }
    Ok(all)
}
