//! The retry schedule: how long to wait before each attempt of a delivery.

use std::{fmt, str::FromStr, time::Duration};

/// Delays before attempts 1..=N of a delivery; N is the number of attempts
/// a delivery gets before its endpoint is disabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(Vec<Duration>);

/// Why a retry schedule was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScheduleError {
    /// The schedule named no attempt at all.
    #[error("the retry schedule needs at least one delay")]
    Empty,
    /// More attempts than Herald will keep a delivery for.
    #[error("the retry schedule has {0} delays; at most {max} are allowed", max = RetrySchedule::MAX_ATTEMPTS)]
    TooLong(usize),
    /// One entry is not a duration such as `0s`, `250ms`, `5m` or `2h`.
    #[error("`{0}` is not a duration such as 0s, 250ms, 5m or 2h")]
    BadDelay(String),
}

impl RetrySchedule {
    /// The most attempts one schedule may hold.
    pub const MAX_ATTEMPTS: usize = 30;

    /// Parses a comma-separated list of delays, as in `0s,1m,5m,15m,1h,2h`.
    pub fn parse(s: &str) -> Result<Self, ScheduleError> {
        let delays = s
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| humantime::parse_duration(d).map_err(|_| ScheduleError::BadDelay(d.to_owned())))
            .collect::<Result<Vec<_>, _>>()?;
        match delays.len() {
            0 => Err(ScheduleError::Empty),
            n if n > Self::MAX_ATTEMPTS => Err(ScheduleError::TooLong(n)),
            _ => Ok(Self(delays)),
        }
    }

    /// Attempts a delivery gets on one schedule.
    pub fn attempts(&self) -> usize {
        self.0.len()
    }

    /// The longest delay of the schedule: the most a `Retry-After` can put
    /// the next attempt off.
    pub fn longest(&self) -> Duration {
        self.0.iter().max().copied().unwrap_or_default()
    }

    /// The delay before attempt `step` (0-based) of a schedule, or `None`
    /// when the schedule is exhausted.
    pub fn delay_before(&self, step: usize) -> Option<Duration> {
        self.0.get(step).copied()
    }
}

impl Default for RetrySchedule {
    fn default() -> Self {
        Self::parse("0s,1m,5m,15m,1h,2h").expect("the default schedule parses")
    }
}

impl FromStr for RetrySchedule {
    type Err = ScheduleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for RetrySchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|d| humantime::format_duration(*d).to_string()).collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_schedule_is_the_default() {
        let s = RetrySchedule::default();
        assert_eq!(s.attempts(), 6);
        assert_eq!(s.delay_before(0), Some(Duration::ZERO));
        assert_eq!(s.delay_before(1), Some(Duration::from_secs(60)));
        assert_eq!(s.delay_before(5), Some(Duration::from_secs(7200)));
        assert_eq!(s.delay_before(6), None);
    }

    #[test]
    fn milliseconds_are_accepted_for_tests() {
        let s = RetrySchedule::parse("0s, 10ms,20ms").unwrap();
        assert_eq!(s.delay_before(2), Some(Duration::from_millis(20)));
    }

    #[test]
    fn nonsense_is_refused_with_the_bad_entry_named() {
        assert_eq!(RetrySchedule::parse(""), Err(ScheduleError::Empty));
        assert_eq!(RetrySchedule::parse("1m,soon"), Err(ScheduleError::BadDelay("soon".into())));
        assert!(matches!(RetrySchedule::parse(&vec!["1s"; 31].join(",")), Err(ScheduleError::TooLong(31))));
    }
}
