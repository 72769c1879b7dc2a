//! What a receiver's answer asks of Herald: nothing more (2xx), another
//! attempt on the schedule, another attempt no earlier than it asked
//! (`429` or `503` with `Retry-After`), or none ever again (`410 Gone`).

use std::time::Duration;

use super::{RetrySchedule, Timestamp};

/// An attempt's answer, as far as the schedule cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `2xx`, read in time.
    Accepted,
    /// Any other failure: the schedule decides when to try again.
    Failed,
    /// `429` or `503` with a `Retry-After`: try again no earlier than this
    /// long after the attempt ended.
    RetryAfter(Duration),
    /// `410 Gone`: the receiver says the endpoint no longer exists.
    Gone,
}

impl Answer {
    /// The answer to an attempt that came back with `status` (if any) and
    /// the `Retry-After` header's value (if any), `accepted` when it counts
    /// as delivered; `now` dates an HTTP-date `Retry-After`.
    pub fn of(accepted: bool, status: Option<u16>, retry_after: Option<&str>, now: Timestamp) -> Self {
        if accepted {
            return Self::Accepted;
        }
        match status {
            Some(410) => Self::Gone,
            Some(429 | 503) => {
                retry_after.and_then(|v| parse_retry_after(v, now)).map_or(Self::Failed, Self::RetryAfter)
            }
            _ => Self::Failed,
        }
    }

    /// What the attempt log says about this answer beyond its status, given
    /// the schedule that caps a `Retry-After`.
    pub fn explain(self, schedule: &RetrySchedule) -> Option<String> {
        match self {
            Self::Accepted | Self::Failed => None,
            Self::Gone => Some(
                "410 Gone: the receiver says this endpoint no longer exists, so Herald disabled it \
                 (disabled_cause `gone`); re-enable it to send again"
                    .to_owned(),
            ),
            Self::RetryAfter(asked) => {
                let longest = schedule.longest();
                let shown = humantime::format_duration(asked);
                Some(if asked > longest {
                    format!(
                        "the receiver asked for the next attempt after {shown} (Retry-After); \
                         capped at {}, the retry schedule's longest delay",
                        humantime::format_duration(longest)
                    )
                } else {
                    format!("the receiver asked for the next attempt no earlier than {shown} from now (Retry-After)")
                })
            }
        }
    }
}

/// A `Retry-After` value as a delay from `now`: delay-seconds (`120`) or an
/// HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`, a date in the past being no
/// delay). `None` for anything else, which then counts for nothing.
pub fn parse_retry_after(value: &str, now: Timestamp) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Seconds beyond u64 are "forever", which the schedule caps anyway.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let at_ms = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis();
    let ahead = i64::try_from(at_ms).unwrap_or(i64::MAX).saturating_sub(now.millis()).max(0);
    Some(Duration::from_millis(ahead.unsigned_abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp::from_millis_const(1_445_412_480_000); // Wed, 21 Oct 2015 07:28:00 GMT

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        assert_eq!(parse_retry_after("120", NOW), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after(" 0 ", NOW), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:29:30 GMT", NOW), Some(Duration::from_secs(90)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", NOW), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("99999999999999999999999", NOW), Some(Duration::from_secs(u64::MAX)));
    }

    #[test]
    fn retry_after_nonsense_counts_for_nothing() {
        for bad in ["", "-5", "1.5", "soon", "120s", "Wed, 21 Oct 2015"] {
            assert_eq!(parse_retry_after(bad, NOW), None, "{bad:?}");
        }
    }

    #[test]
    fn only_429_and_503_are_steered_by_retry_after() {
        assert_eq!(Answer::of(false, Some(429), Some("30"), NOW), Answer::RetryAfter(Duration::from_secs(30)));
        assert_eq!(Answer::of(false, Some(503), Some("30"), NOW), Answer::RetryAfter(Duration::from_secs(30)));
        assert_eq!(Answer::of(false, Some(500), Some("30"), NOW), Answer::Failed);
        assert_eq!(Answer::of(false, Some(429), None, NOW), Answer::Failed);
        assert_eq!(Answer::of(false, Some(429), Some("later"), NOW), Answer::Failed);
        assert_eq!(Answer::of(false, Some(410), None, NOW), Answer::Gone);
        assert_eq!(Answer::of(true, Some(200), Some("30"), NOW), Answer::Accepted);
        assert_eq!(Answer::of(false, None, None, NOW), Answer::Failed);
    }
}
