//! Retention: a background task that deletes events older than
//! `HERALD_RETENTION`, with their deliveries and attempts, in small batches so
//! no transaction holds the store for long.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::{domain::Timestamp, store::SharedStore};

/// Events deleted per transaction.
pub const BATCH: u32 = 500;

/// Deletes what is older than `retention` until shut down.
pub async fn run(store: SharedStore, retention: Duration, shutdown: CancellationToken) {
    let every = (retention / 4).clamp(Duration::from_millis(50), Duration::from_secs(60));
    loop {
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = shutdown.cancelled() => return,
        }
        let cutoff = Timestamp::from_millis(
            Timestamp::now().millis() - i64::try_from(retention.as_millis()).unwrap_or(i64::MAX),
        );
        let mut total = 0;
        loop {
            match store.purge_before(cutoff, BATCH).await {
                Ok(n) => {
                    total += n;
                    if n < u64::from(BATCH) || shutdown.is_cancelled() {
                        break;
                    }
                    tokio::task::yield_now().await; // let publishes and attempts in between batches
                }
                Err(e) => {
                    tracing::warn!(error = %e, "retention: failed to delete old events; trying again later");
                    break;
                }
            }
        }
        if total > 0 {
            tracing::info!(events = total, "retention: deleted events older than the retention period");
        }
    }
}
