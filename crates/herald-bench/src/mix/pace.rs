//! Publishing by the clock: event `seq` goes out at `seq ÷ rate` seconds
//! whatever Herald answered before, one event per request, to the account
//! the ledger names. A Herald that answers slowly gets more requests at
//! once, not fewer, as it would from real producers.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering::Relaxed},
        Arc,
    },
    time::Duration,
};

use serde_json::json;
use tokio::{task::JoinSet, time::MissedTickBehavior};

use super::{layout::Layout, ledger::Ledger};
use crate::target::Target;

/// Which account each of `events` events goes to: uniform at random from `seed`,
/// so accounts get bursts and lulls as real ones do.
pub fn accounts_for(events: usize, accounts: u32, seed: u64) -> Vec<u32> {
    let mut rng = super::rng::Rng::new(seed, 3);
    (0..events).map(|_| rng.below(accounts)).collect()
}

/// Publishes every event of the ledger at `rate` per second, or until
/// `halt` is set; returns once every publish sent was answered. `ids` are
/// Herald's account ids, by number.
pub async fn publish(
    target: Arc<Target>,
    ids: Arc<Vec<String>>,
    layout: Arc<Layout>,
    ledger: Arc<Ledger>,
    rate: f64,
    halt: Arc<AtomicBool>,
) {
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(1e-3)));
    // Behind the clock (a busy machine), catch up at once: the rate is the clock's.
    ticks.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut requests = JoinSet::new();
    let mut first_error = true;
    for seq in 0..ledger.events() as u32 {
        ticks.tick().await;
        if halt.load(Relaxed) {
            break;
        }
        let (target, ids, layout, ledger) = (target.clone(), ids.clone(), layout.clone(), ledger.clone());
        requests.spawn(async move {
            let account = ledger.account_of(seq);
            let body = json!({"type": "credits.low", "data": {"seq": seq, "balance": 10, "threshold": 100}});
            ledger.sent(seq);
            let outcome = match target.publish_request(&ids[account as usize], "events").json(&body).send().await {
                // Read to the end, so the connection goes back to the pool.
                Ok(r) if r.status().as_u16() == 202 => r.bytes().await.map(drop).map_err(|e| e.to_string()),
                Ok(r) => Err(format!("answered {}: {}", r.status(), r.text().await.unwrap_or_default())),
                Err(e) => Err(e.to_string()),
            };
            ledger.answered(seq, outcome.is_ok(), layout.live_in(account));
            outcome
        });
        while let Some(done) = requests.try_join_next() {
            report(done, &mut first_error);
        }
    }
    while let Some(done) = requests.join_next().await {
        report(done, &mut first_error);
    }
}

/// Says why the first failed publish failed (the count is in the figures).
fn report(done: Result<Result<(), String>, tokio::task::JoinError>, first_error: &mut bool) {
    let why = match done {
        Ok(Ok(())) => return,
        Ok(Err(why)) => why,
        Err(e) => e.to_string(),
    };
    if std::mem::take(first_error) {
        eprintln!("a publish failed: {why} (further failures are only counted)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_account_gets_events_and_the_order_repeats() {
        let a = accounts_for(10_000, 200, 15);
        assert_eq!(a, accounts_for(10_000, 200, 15));
        let mut seen = vec![0; 200];
        a.iter().for_each(|&x| seen[x as usize] += 1);
        assert!(seen.iter().all(|&n| n > 20));
    }
}
