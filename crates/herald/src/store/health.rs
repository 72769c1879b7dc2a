//! Whether the database answers: a probe pings it every [`PROBE_INTERVAL`],
//! allowing each ping the database timeout, so that while it does not
//! answer the API refuses at once (503 with `Retry-After`) instead of
//! hanging, requests already waiting on it are answered the same way, and
//! readiness says so. The probe's own pings tell when it answers again.

use std::time::Duration;

use tokio::{sync::watch, task::JoinHandle};
use tokio_util::sync::CancellationToken;

use super::SharedStore;

/// How often the database is pinged.
pub const PROBE_INTERVAL: Duration = Duration::from_millis(250);

/// The probe's last word on the database, shared by every handler.
#[derive(Clone, Debug)]
pub struct Health {
    up: watch::Receiver<bool>,
}

impl Health {
    /// Whether the database answered the last ping in time.
    pub fn is_up(&self) -> bool {
        *self.up.borrow()
    }

    /// Resolves when the database stops answering (at once if it is not
    /// answering now); never, if the probe has ended.
    pub async fn went_down(&self) {
        let mut up = self.up.clone();
        if up.wait_for(|up| !*up).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Starts the probe of `store`, each ping allowed `timeout`, until `shutdown`.
pub fn probe(store: SharedStore, timeout: Duration, shutdown: CancellationToken) -> (Health, JoinHandle<()>) {
    let (sender, up) = watch::channel(true);
    let task = tokio::spawn(async move {
        loop {
            let answered = matches!(tokio::time::timeout(timeout, store.ping()).await, Ok(Ok(())));
            let was = sender.send_replace(answered);
            if was && !answered {
                tracing::error!(?timeout, "the database does not answer; the API answers 503 until it does");
            } else if !was && answered {
                tracing::info!("the database answers again");
            }
            tokio::select! {
                () = tokio::time::sleep(PROBE_INTERVAL) => {}
                () = shutdown.cancelled() => return,
            }
        }
    });
    (Health { up }, task)
}
