//! Outcomes that come back after their lease: a node cut off from the
//! database (or paused) while an attempt was in flight may record it after
//! another node has sent the same attempt and recorded its own. Both
//! engines ask here before writing an outcome; a stale one is dropped,
//! logged and counted (`herald_stale_outcomes_total`), never written over
//! the newer one.

use crate::domain::{transition::outcome_is_current, DeliveryId};

/// Whether the outcome of attempt `n` of `delivery`, which has recorded
/// `recorded` attempts, may be written; says so in the log if not.
pub fn is_current(delivery: &DeliveryId, recorded: u32, n: u32) -> bool {
    if outcome_is_current(recorded, n) {
        return true;
    }
    metrics::counter!("herald_stale_outcomes_total").increment(1);
    tracing::warn!(
        %delivery, attempt = n, recorded,
        "dropped a stale outcome: this attempt was sent again, and recorded, after its lease ran out"
    );
    false
}
