//! The delivery's state machine, pure: what an attempt's answer earns on the
//! retry schedule ([`decide`]: a [`Verdict`]), and what that verdict does to
//! the delivery and its endpoint given where they stand when it is recorded
//! ([`after_attempt`]: a [`Change`]). Both store engines read the standing
//! in the recording transaction and write the change; neither decides in SQL.

use super::{DeliveryId, DeliveryStatus, RetrySchedule, Timestamp};

/// What happens to a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// 2xx: done.
    Succeeded,
    /// Failed; try again at this time.
    RetryAt(Timestamp),
    /// Failed its last scheduled attempt: the delivery fails and its endpoint is disabled.
    Exhausted,
    /// A manual retry failed: the delivery returns to where it stood.
    ManualFailed,
}

/// Decides the verdict of an attempt that finished at `finished_at`.
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

/// Where a delivery stands to return to: kept when a manual retry is asked
/// for, and where a failed manual attempt takes it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resume {
    /// The status to return to.
    pub status: DeliveryStatus,
    /// For a pending one, when its schedule continues.
    pub next_attempt_at: Option<Timestamp>,
}

impl Resume {
    /// Where a scheduled attempt's verdict would have taken the delivery.
    pub fn of(verdict: Verdict) -> Self {
        match verdict {
            Verdict::Succeeded => Self { status: DeliveryStatus::Succeeded, next_attempt_at: None },
            Verdict::RetryAt(at) => Self { status: DeliveryStatus::Pending, next_attempt_at: Some(at) },
            Verdict::Exhausted | Verdict::ManualFailed => {
                Self { status: DeliveryStatus::Failed, next_attempt_at: None }
            }
        }
    }
}

/// What the store holds when an outcome is recorded, read in the same transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// Whether the delivery's endpoint is enabled.
    pub endpoint_enabled: bool,
    /// A manual retry was asked for while this scheduled attempt was in flight.
    pub retry_waiting: bool,
    /// For a manual attempt: where the delivery stood when it was asked for.
    pub resume: Option<Resume>,
}

/// What becomes of the delivery's `missed` flag (what a re-enable redelivers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missed {
    /// Delivered: nothing missed.
    Clear,
    /// Failed for good while its endpoint was or went dark: missed.
    Set,
    /// As it was.
    Keep,
}

/// The delivery's next state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// A manual retry asked for meanwhile still waits: the delivery stays due
    /// now (status and time unchanged), and this outcome is where it returns
    /// to if the manual attempt fails.
    RetryWaits {
        /// Where this outcome would have taken it.
        resume: Resume,
    },
    /// The delivery moves on: the lease, the manual flag and the kept resume
    /// point are dropped in every case.
    Moves {
        /// Its new status.
        status: DeliveryStatus,
        /// When it is due next (pending only).
        next_attempt_at: Option<Timestamp>,
        /// Its `missed` flag.
        missed: Missed,
        /// The attempt does not count against the schedule (a manual one):
        /// the schedule's base moves up by one.
        outside_schedule: bool,
    },
}

/// What recording an outcome writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    /// The delivery's next state.
    pub delivery: Transition,
    /// The delivery exhausted its schedule on an enabled endpoint: disable it.
    pub disable_endpoint: bool,
}

/// What `verdict` does to a delivery that stands as `standing` says.
pub fn after_attempt(verdict: Verdict, standing: &Standing) -> Change {
    let disable_endpoint = verdict == Verdict::Exhausted && standing.endpoint_enabled;
    if standing.retry_waiting {
        return Change { delivery: Transition::RetryWaits { resume: Resume::of(verdict) }, disable_endpoint };
    }
    let moves = |status, next_attempt_at, missed, outside_schedule| Transition::Moves {
        status,
        next_attempt_at,
        missed,
        outside_schedule,
    };
    let delivery = match verdict {
        Verdict::Succeeded => moves(DeliveryStatus::Succeeded, None, Missed::Clear, false),
        Verdict::RetryAt(at) if standing.endpoint_enabled => {
            moves(DeliveryStatus::Pending, Some(at), Missed::Keep, false)
        }
        // Back to where it stood: a pending one keeps its schedule (the
        // manual attempt does not count against it); others are failed.
        Verdict::ManualFailed if standing.endpoint_enabled => match standing.resume {
            Some(Resume { status: DeliveryStatus::Pending, next_attempt_at }) => {
                moves(DeliveryStatus::Pending, next_attempt_at, Missed::Keep, true)
            }
            _ => moves(DeliveryStatus::Failed, None, Missed::Keep, true),
        },
        // The last scheduled attempt failed, or the endpoint went dark
        // while it was in flight: failed, and missed.
        Verdict::RetryAt(_) | Verdict::ManualFailed | Verdict::Exhausted => {
            moves(DeliveryStatus::Failed, None, Missed::Set, false)
        }
    };
    Change { delivery, disable_endpoint }
}

/// The `disabled_reason` of an endpoint whose delivery failed its last scheduled attempt.
pub fn exhausted_reason(delivery: &DeliveryId, attempt_n: u32) -> String {
    format!("delivery {delivery} failed its last scheduled attempt (attempt {attempt_n})")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::domain::DeliveryStatus::{Failed, Pending, Succeeded};

    const T: Timestamp = Timestamp::from_millis_const(1_000_000);
    const LATER: Timestamp = Timestamp::from_millis_const(2_000_000);

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

    fn standing(endpoint_enabled: bool, retry_waiting: bool, resume: Option<Resume>) -> Standing {
        Standing { endpoint_enabled, retry_waiting, resume }
    }

    fn moves(status: DeliveryStatus, next: Option<Timestamp>, missed: Missed, outside: bool) -> Transition {
        Transition::Moves { status, next_attempt_at: next, missed, outside_schedule: outside }
    }

    fn resume(status: DeliveryStatus, next: Option<Timestamp>) -> Resume {
        Resume { status, next_attempt_at: next }
    }

    #[test]
    fn every_verdict_in_every_standing() {
        let pending_later = Some(resume(Pending, Some(LATER)));
        let failed = Some(resume(Failed, None));
        #[rustfmt::skip]
        let cases: Vec<(&str, Verdict, Standing, Transition, bool)> = vec![
            ("success", Verdict::Succeeded, standing(true, false, None),
                moves(Succeeded, None, Missed::Clear, false), false),
            ("success on an endpoint disabled meanwhile", Verdict::Succeeded, standing(false, false, None),
                moves(Succeeded, None, Missed::Clear, false), false),
            ("failure, retried later", Verdict::RetryAt(LATER), standing(true, false, None),
                moves(Pending, Some(LATER), Missed::Keep, false), false),
            ("failure on an endpoint disabled meanwhile", Verdict::RetryAt(LATER), standing(false, false, None),
                moves(Failed, None, Missed::Set, false), false),
            ("last scheduled attempt failed", Verdict::Exhausted, standing(true, false, None),
                moves(Failed, None, Missed::Set, false), true),
            ("last attempt failed on an endpoint already disabled", Verdict::Exhausted, standing(false, false, None),
                moves(Failed, None, Missed::Set, false), false),
            ("manual retry of a pending delivery failed", Verdict::ManualFailed, standing(true, false, pending_later),
                moves(Pending, Some(LATER), Missed::Keep, true), false),
            ("manual retry of a failed delivery failed", Verdict::ManualFailed, standing(true, false, failed),
                moves(Failed, None, Missed::Keep, true), false),
            ("manual retry with no resume point failed", Verdict::ManualFailed, standing(true, false, None),
                moves(Failed, None, Missed::Keep, true), false),
            ("manual retry failed on an endpoint disabled meanwhile", Verdict::ManualFailed,
                standing(false, false, pending_later), moves(Failed, None, Missed::Set, false), false),
            ("success while a manual retry waits", Verdict::Succeeded, standing(true, true, None),
                Transition::RetryWaits { resume: resume(Succeeded, None) }, false),
            ("failure while a manual retry waits", Verdict::RetryAt(LATER), standing(true, true, None),
                Transition::RetryWaits { resume: resume(Pending, Some(LATER)) }, false),
            ("exhausted while a manual retry waits", Verdict::Exhausted, standing(true, true, None),
                Transition::RetryWaits { resume: resume(Failed, None) }, true),
        ];
        for (name, verdict, standing, delivery, disable_endpoint) in cases {
            assert_eq!(after_attempt(verdict, &standing), Change { delivery, disable_endpoint }, "{name}");
        }
    }
}
