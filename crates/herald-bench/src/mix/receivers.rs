//! The mix's receivers: a few loopback HTTP servers (one per origin) with
//! one route per endpoint, `/e/{n}`. A request is recorded when it reaches
//! the receiver, which then answers after its endpoint's delay: `200`, or
//! `503` for a first attempt the flaky choice refuses, or never for a dead
//! endpoint. Waiting is a timer, not work, so a thousand slow receivers cost
//! the bench little CPU.

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicUsize, Ordering::Relaxed},
        Arc,
    },
    time::Instant,
};

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    routing::post,
    Router,
};

use super::{flaky::Flaky, layout::Layout, ledger::Ledger};

/// What every route shares.
struct Shared {
    /// Each endpoint's delay and whether it is dead.
    layout: Arc<Layout>,
    /// Where arrivals are recorded.
    ledger: Arc<Ledger>,
    /// Which first attempts are refused.
    flaky: Flaky,
    /// Counts for the report.
    tally: Arc<Tally>,
}

/// What the receivers did besides receiving.
#[derive(Debug, Default)]
pub struct Tally {
    /// First attempts answered `503`.
    pub refused: AtomicUsize,
    /// Requests a dead endpoint took and never answered.
    pub held: AtomicUsize,
}

/// The running receivers.
pub struct Receivers {
    /// Each endpoint's URL, in the layout's order.
    pub urls: Vec<String>,
    /// Refusals and held requests so far.
    pub tally: Arc<Tally>,
}

/// The bench's event number from an envelope: `"seq":N` in the event's data.
/// A scan, not a parse: the receivers run on the cores they measure.
pub fn seq_of(body: &[u8]) -> Option<u32> {
    const KEY: &[u8] = b"\"seq\":";
    let at = body.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let digits: &[u8] = &body[at..];
    let end = digits.iter().position(|b| !b.is_ascii_digit()).unwrap_or(digits.len());
    std::str::from_utf8(&digits[..end]).ok()?.parse().ok()
}

async fn receive(State(s): State<Arc<Shared>>, Path(n): Path<u32>, body: Bytes) -> StatusCode {
    let at = Instant::now();
    let Some(plan) = s.layout.endpoints.get(n as usize).copied() else {
        return StatusCode::NOT_FOUND;
    };
    if plan.dead {
        s.tally.held.fetch_add(1, Relaxed);
        std::future::pending::<()>().await;
    }
    let (account, bit) = (s.layout.account_of(n), n % s.layout.per_account);
    let seq = seq_of(&body).unwrap_or(u32::MAX);
    if s.flaky.refuses_first(n, seq) && s.ledger.refuse_once(seq, bit) {
        s.tally.refused.fetch_add(1, Relaxed);
        tokio::time::sleep(plan.delay).await;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    s.ledger.arrive(seq, account, bit, at);
    tokio::time::sleep(plan.delay).await;
    StatusCode::OK
}

/// Starts `origins` servers on free loopback ports; account `a`'s endpoints
/// live on server `a % origins`, as a customer's endpoints share its host.
pub async fn start(layout: Arc<Layout>, ledger: Arc<Ledger>, flaky: Flaky, origins: u32) -> anyhow::Result<Receivers> {
    let tally = Arc::new(Tally::default());
    let shared = Arc::new(Shared { layout: layout.clone(), ledger, flaky, tally: tally.clone() });
    let app = Router::new().route("/e/{n}", post(receive)).with_state(shared);
    let mut ports = Vec::new();
    for _ in 0..origins.max(1) {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        ports.push(listener.local_addr()?.port());
        let app = app.clone();
        tokio::spawn(async move { axum::serve(listener, app).await });
    }
    let urls = (0..layout.endpoints.len() as u32)
        .map(|n| format!("http://127.0.0.1:{}/e/{n}", ports[layout.account_of(n) as usize % ports.len()]))
        .collect();
    Ok(Receivers { urls, tally })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_number_is_read_from_the_envelope() {
        let body = br#"{"id":"evt_01","type":"credits.low","created_at":"2026-12-01T10:15:00Z","data":{"seq":4711}}"#;
        assert_eq!(seq_of(body), Some(4711));
    }

    #[test]
    fn an_envelope_without_a_number_has_none() {
        assert_eq!(seq_of(br#"{"data":{"balance":10}}"#), None);
        assert_eq!(seq_of(br#"{"data":{"seq":"x"}}"#), None);
    }
}
