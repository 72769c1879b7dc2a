//! The delivery's state machine, pure: what an attempt's answer earns on the
//! retry schedule ([`decide`]: a [`Verdict`]; `Retry-After` and `410 Gone`
//! included), and what that verdict does to
//! the delivery and its endpoint given where they stand when it is recorded
//! ([`after_attempt`]: a [`Change`]). Both store engines read the standing
//! in the recording transaction and write the change; neither decides in SQL.

use std::time::Duration;

use super::{Answer, DeliveryId, DeliveryStatus, DisabledCause, RetrySchedule, Timestamp};

/// What happens to a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// 2xx: done.
    Succeeded,
    /// Failed; try again at this time.
    RetryAt(Timestamp),
    /// Failed its last scheduled attempt: the delivery fails and its endpoint is disabled.
    Exhausted,
    /// The receiver answered `410 Gone` (to any attempt, manual ones too):
    /// the delivery fails and its endpoint is disabled at once.
    Gone,
    /// A manual retry failed: the delivery returns to where it stood.
    ManualFailed,
}

impl Verdict {
    /// Why this verdict disables its endpoint, if it does.
    pub fn disables(self) -> Option<DisabledCause> {
        match self {
            Self::Exhausted => Some(DisabledCause::Exhausted),
            Self::Gone => Some(DisabledCause::Gone),
            Self::Succeeded | Self::RetryAt(_) | Self::ManualFailed => None,
        }
    }
}

/// Decides the verdict of an attempt that finished at `finished_at`.
///
/// `schedule_step` is how many attempts the delivery had already made on its
/// current schedule before this one; manual retries stand outside the
/// schedule. A `Retry-After` moves the next attempt later, never sooner,
/// and at most to the schedule's longest delay; the attempt still counts.
pub fn decide(
    answer: Answer,
    manual: bool,
    schedule_step: u32,
    schedule: &RetrySchedule,
    finished_at: Timestamp,
) -> Verdict {
    let asked = match answer {
        Answer::Accepted => return Verdict::Succeeded,
        Answer::Gone => return Verdict::Gone,
        Answer::Failed => Duration::ZERO,
        Answer::RetryAfter(asked) => asked.min(schedule.longest()),
    };
    if manual {
        return Verdict::ManualFailed;
    }
    let made = schedule_step as usize + 1;
    match schedule.delay_before(made) {
        Some(delay) => Verdict::RetryAt(finished_at.plus(delay.max(asked))),
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
            Verdict::Exhausted | Verdict::Gone | Verdict::ManualFailed => {
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
    /// The delivery exhausted its schedule, or its receiver answered `410
    /// Gone`, on an enabled endpoint: disable it, for this cause.
    pub disable_endpoint: Option<DisabledCause>,
}

/// What `verdict` does to a delivery that stands as `standing` says.
pub fn after_attempt(verdict: Verdict, standing: &Standing) -> Change {
    let disable_endpoint = verdict.disables().filter(|_| standing.endpoint_enabled);
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
        // The last scheduled attempt failed, the receiver is gone, or the
        // endpoint went dark while it was in flight: failed, and missed.
        Verdict::RetryAt(_) | Verdict::ManualFailed | Verdict::Exhausted | Verdict::Gone => {
            moves(DeliveryStatus::Failed, None, Missed::Set, false)
        }
    };
    Change { delivery, disable_endpoint }
}

/// Whether the outcome of attempt `n` may still be recorded on a delivery
/// that has recorded `recorded` attempts: only while none numbered `n` or
/// later is there. A node whose lease ran out while it was cut off from
/// the database can come back with an outcome that another node's attempt
/// (or the stop of a disabled endpoint's deliveries) has superseded; it is
/// dropped, never written over the newer one.
pub fn outcome_is_current(recorded: u32, n: u32) -> bool {
    recorded < n
}

/// The `disabled_reason` of an endpoint that `cause` disabled at attempt
/// `attempt_n` of `delivery`.
pub fn disabled_reason(cause: DisabledCause, delivery: &DeliveryId, attempt_n: u32) -> String {
    match cause {
        DisabledCause::Gone => {
            format!("the receiver answered 410 Gone to delivery {delivery} (attempt {attempt_n})")
        }
        DisabledCause::Exhausted | DisabledCause::Manual => {
            format!("delivery {delivery} failed its last scheduled attempt (attempt {attempt_n})")
        }
    }
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
        assert_eq!(decide(Answer::Accepted, false, 3, &RetrySchedule::default(), T), Verdict::Succeeded);
    }

    #[test]
    fn failures_follow_the_published_schedule() {
        let s = RetrySchedule::default();
        let gaps: Vec<Verdict> = (0..5).map(|step| decide(Answer::Failed, false, step, &s, T)).collect();
        let minutes = [1, 5, 15, 60, 120];
        for (verdict, m) in gaps.iter().zip(minutes) {
            assert_eq!(*verdict, Verdict::RetryAt(T.plus(Duration::from_secs(m * 60))));
        }
    }

    #[test]
    fn the_sixth_failure_exhausts_the_delivery() {
        assert_eq!(decide(Answer::Failed, false, 5, &RetrySchedule::default(), T), Verdict::Exhausted);
    }

    #[test]
    fn retry_after_moves_the_next_attempt_later_never_sooner_and_at_most_the_longest_delay() {
        let s = RetrySchedule::default();
        let after = |secs| Answer::RetryAfter(Duration::from_secs(secs));
        // Later than the schedule's minute: as asked.
        assert_eq!(decide(after(600), false, 0, &s, T), Verdict::RetryAt(T.plus(Duration::from_secs(600))));
        // Sooner than the schedule's minute: the schedule.
        assert_eq!(decide(after(5), false, 0, &s, T), Verdict::RetryAt(T.plus(Duration::from_secs(60))));
        // A day: capped at two hours.
        assert_eq!(decide(after(86_400), false, 0, &s, T), Verdict::RetryAt(T.plus(Duration::from_secs(7200))));
        // It still counts: the sixth attempt's answer exhausts the delivery.
        assert_eq!(decide(after(30), false, 5, &s, T), Verdict::Exhausted);
        assert_eq!(decide(after(30), true, 0, &s, T), Verdict::ManualFailed);
    }

    #[test]
    fn gone_ends_the_delivery_on_any_attempt() {
        let s = RetrySchedule::default();
        assert_eq!(decide(Answer::Gone, false, 0, &s, T), Verdict::Gone);
        assert_eq!(decide(Answer::Gone, true, 2, &s, T), Verdict::Gone);
    }

    #[test]
    fn a_failed_manual_retry_stands_outside_the_schedule() {
        assert_eq!(decide(Answer::Failed, true, 5, &RetrySchedule::default(), T), Verdict::ManualFailed);
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
        let cases: Vec<(&str, Verdict, Standing, Transition, Option<DisabledCause>)> = vec![
            ("success", Verdict::Succeeded, standing(true, false, None),
                moves(Succeeded, None, Missed::Clear, false), None),
            ("success on an endpoint disabled meanwhile", Verdict::Succeeded, standing(false, false, None),
                moves(Succeeded, None, Missed::Clear, false), None),
            ("failure, retried later", Verdict::RetryAt(LATER), standing(true, false, None),
                moves(Pending, Some(LATER), Missed::Keep, false), None),
            ("failure on an endpoint disabled meanwhile", Verdict::RetryAt(LATER), standing(false, false, None),
                moves(Failed, None, Missed::Set, false), None),
            ("last scheduled attempt failed", Verdict::Exhausted, standing(true, false, None),
                moves(Failed, None, Missed::Set, false), Some(DisabledCause::Exhausted)),
            ("last attempt failed on an endpoint already disabled", Verdict::Exhausted, standing(false, false, None),
                moves(Failed, None, Missed::Set, false), None),
            ("manual retry of a pending delivery failed", Verdict::ManualFailed, standing(true, false, pending_later),
                moves(Pending, Some(LATER), Missed::Keep, true), None),
            ("manual retry of a failed delivery failed", Verdict::ManualFailed, standing(true, false, failed),
                moves(Failed, None, Missed::Keep, true), None),
            ("manual retry with no resume point failed", Verdict::ManualFailed, standing(true, false, None),
                moves(Failed, None, Missed::Keep, true), None),
            ("manual retry failed on an endpoint disabled meanwhile", Verdict::ManualFailed,
                standing(false, false, pending_later), moves(Failed, None, Missed::Set, false), None),
            ("success while a manual retry waits", Verdict::Succeeded, standing(true, true, None),
                Transition::RetryWaits { resume: resume(Succeeded, None) }, None),
            ("failure while a manual retry waits", Verdict::RetryAt(LATER), standing(true, true, None),
                Transition::RetryWaits { resume: resume(Pending, Some(LATER)) }, None),
            ("exhausted while a manual retry waits", Verdict::Exhausted, standing(true, true, None),
                Transition::RetryWaits { resume: resume(Failed, None) }, Some(DisabledCause::Exhausted)),
            ("gone", Verdict::Gone, standing(true, false, None),
                moves(Failed, None, Missed::Set, false), Some(DisabledCause::Gone)),
            ("gone on an endpoint already disabled", Verdict::Gone, standing(false, false, None),
                moves(Failed, None, Missed::Set, false), None),
            ("gone while a manual retry waits", Verdict::Gone, standing(true, true, None),
                Transition::RetryWaits { resume: resume(Failed, None) }, Some(DisabledCause::Gone)),
        ];
        for (name, verdict, standing, delivery, disable_endpoint) in cases {
            assert_eq!(after_attempt(verdict, &standing), Change { delivery, disable_endpoint }, "{name}");
        }
    }

    #[test]
    fn an_outcome_counts_only_until_its_attempt_or_a_later_one_is_recorded() {
        assert!(outcome_is_current(0, 1));
        assert!(outcome_is_current(2, 3));
        assert!(!outcome_is_current(3, 3), "the same attempt, recorded by another node");
        assert!(!outcome_is_current(4, 3), "a later attempt recorded");
    }
}
