//! Pacing a rate-limited endpoint: before each attempt, its worker takes the
//! endpoint's next slot from the store, where every node takes them, and
//! waits for it. Deliveries over the limit wait their turn; none is dropped.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::{
    domain::{EndpointId, Timestamp},
    store::SharedStore,
};

/// How long to wait before asking again when the store could not give a slot.
const STORE_RETRY: Duration = Duration::from_secs(1);

/// Waits for the endpoint's next slot at `per_second`; `false` if the
/// process began to stop first (the delivery is then not sent, and its
/// lease lapses for the next claim).
pub(super) async fn wait_for_slot(
    store: &SharedStore,
    endpoint: &EndpointId,
    per_second: u32,
    shutdown: &CancellationToken,
) -> bool {
    loop {
        let wait = match store.take_slot(endpoint, per_second, Timestamp::now()).await {
            Ok(slot) => {
                let ahead = slot.millis() - Timestamp::now().millis();
                if ahead <= 0 {
                    return true;
                }
                metrics::counter!("herald_rate_limited_attempts_total").increment(1);
                Duration::from_millis(ahead.unsigned_abs())
            }
            Err(e) => {
                // Sending without a slot could pass the limit; waiting cannot.
                tracing::warn!(error = %e, %endpoint, "failed to take a rate-limit slot; asking again shortly");
                STORE_RETRY
            }
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = shutdown.cancelled() => return false,
        }
        if wait != STORE_RETRY {
            return true;
        }
    }
}
