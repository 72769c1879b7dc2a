//! The publish side's background work, each run in rounds: a round again at
//! once while the last one found a full batch, else one every poll
//! interval, until shutdown. The rounds: relaying operational events
//! (`operational.rs`) and queuing recoveries page by page.

use std::{future::Future, time::Duration};

use tokio_util::sync::CancellationToken;

use super::{operational, Publisher};
use crate::store::StoreResult;

/// Deliveries a recovery looks at per page (one transaction).
pub const RECOVERY_PAGE: u32 = 500;

/// Runs every background round until shutdown.
pub async fn run(publisher: Publisher, poll: Duration, shutdown: CancellationToken) {
    let relay = every(poll, &shutdown, "relay operational events", || operational::relay_once(&publisher));
    let recover = every(poll, &shutdown, "queue a recovery's page", || publisher.recover_page(RECOVERY_PAGE));
    tokio::join!(relay, recover);
}

/// Runs `round` until shutdown: again at once while it answers that more
/// is waiting, else after `poll`; a failed round is logged and tried again.
async fn every<F, Fut>(poll: Duration, shutdown: &CancellationToken, what: &'static str, mut round: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = StoreResult<bool>>,
{
    loop {
        match round().await {
            Ok(true) => {
                if shutdown.is_cancelled() {
                    return;
                }
                continue;
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "failed to {what}; trying again"),
        }
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            () = shutdown.cancelled() => return,
        }
    }
}
