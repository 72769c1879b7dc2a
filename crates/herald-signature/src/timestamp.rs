//! The replay window shared by both schemes, and the system clock for the
//! `verify_now` conveniences.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::VerifyError;

/// How far a signature's timestamp may be from the receiver's clock, either
/// way: five minutes, the platform's published sample. Herald takes the
/// timestamp when each attempt is sent, so retries stay inside it.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// The system clock in Unix seconds (negative before 1970), what the
/// `verify_now` functions compare timestamps with.
pub fn unix_now() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// Refuses a timestamp more than `tolerance` away from `now`, either way.
pub(crate) fn check(timestamp: i64, tolerance: Duration, now: i64) -> Result<(), VerifyError> {
    // Both are whole seconds, so `> tolerance` equals `> floor(tolerance)`;
    // `abs_diff` cannot overflow, whatever the header says.
    if now.abs_diff(timestamp) > tolerance.as_secs() {
        return Err(VerifyError::TimestampOutOfTolerance { timestamp, now, tolerance });
    }
    Ok(())
}
