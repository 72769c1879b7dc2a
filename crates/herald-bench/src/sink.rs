//! The receivers: in-process HTTP servers on loopback that record the event
//! id (`X-Webhook-ID`) and arrival time of every request, and answer at once,
//! or never (the `isolation` scenario's dead endpoint).

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Instant,
};

use axum::{extract::State, http::HeaderMap, http::StatusCode, routing::post, Router};

/// How a receiver answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// `200` at once.
    Fast,
    /// Never: the request stays open until Herald's timeout.
    Hang,
}

/// What one receiver got: event ids with their arrival times.
#[derive(Clone, Default)]
pub struct Arrivals(Arc<Mutex<Vec<(String, Instant)>>>);

impl Arrivals {
    /// How many requests arrived.
    pub fn len(&self) -> usize {
        self.0.lock().map_or(0, |v| v.len())
    }

    /// Everything that arrived so far.
    pub fn snapshot(&self) -> Vec<(String, Instant)> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

/// A running receiver.
pub struct Sink {
    /// Where Herald should POST.
    pub url: String,
    /// What arrived.
    pub arrivals: Arrivals,
}

async fn receive(State((arrivals, behaviour)): State<(Arrivals, Behaviour)>, headers: HeaderMap) -> StatusCode {
    if behaviour == Behaviour::Hang {
        std::future::pending::<()>().await;
    }
    let id = headers.get("x-webhook-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    if let Ok(mut list) = arrivals.0.lock() {
        list.push((id, Instant::now()));
    }
    StatusCode::OK
}

/// Starts a receiver on a free loopback port.
pub async fn start(behaviour: Behaviour) -> anyhow::Result<Sink> {
    let arrivals = Arrivals::default();
    let app = Router::new().route("/hook", post(receive)).with_state((arrivals.clone(), behaviour));
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(Sink { url, arrivals })
}
