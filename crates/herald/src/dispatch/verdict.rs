//! What an attempt's outcome means for its delivery: pure, no I/O.

use crate::{
    domain::{RetrySchedule, Timestamp},
    store::Verdict,
};

/// Decides a delivery's next state after an attempt that finished at `finished_at`.
///
/// `schedule_step` is how many attempts the delivery had already made on its
/// current schedule before this one; manual retries stand outside the schedule.
pub fn decide(
    succeeded: bool,
    manual: bool,
    schedule_step: u32,
    schedule: &RetrySchedule,
    finished_at: Timestamp,
) -> Verdict {
    if succeeded {
        return Verdict::Succeeded;
    }
    if manual {
        return Verdict::ManualFailed;
    }
    let made = schedule_step as usize + 1;
    match schedule.delay_before(made) {
        Some(delay) => Verdict::RetryAt(finished_at.plus(delay)),
        None => Verdict::Exhausted,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const T: Timestamp = Timestamp::from_millis_const(1_000_000);

    #[test]
    fn a_success_ends_the_delivery() {
        assert_eq!(decide(true, false, 3, &RetrySchedule::default(), T), Verdict::Succeeded);
    }

    #[test]
    fn failures_follow_the_published_schedule() {
        let s = RetrySchedule::default();
        let gaps: Vec<Verdict> = (0..5).map(|step| decide(false, false, step, &s, T)).collect();
        let minutes = [1, 5, 15, 60, 120];
        for (verdict, m) in gaps.iter().zip(minutes) {
            assert_eq!(*verdict, Verdict::RetryAt(T.plus(Duration::from_secs(m * 60))));
        }
    }

    #[test]
    fn the_sixth_failure_exhausts_the_delivery() {
        assert_eq!(decide(false, false, 5, &RetrySchedule::default(), T), Verdict::Exhausted);
    }

    #[test]
    fn a_failed_manual_retry_stands_outside_the_schedule() {
        assert_eq!(decide(false, true, 5, &RetrySchedule::default(), T), Verdict::ManualFailed);
    }
}
