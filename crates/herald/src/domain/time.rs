//! Timestamps: milliseconds since the Unix epoch, shown as RFC 3339 UTC.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, SecondsFormat, Utc};

/// A point in time, to the millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The wall clock now.
    pub fn now() -> Self {
        let ms = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_millis();
        Self(i64::try_from(ms).unwrap_or(i64::MAX))
    }

    /// From milliseconds since the epoch (as the store keeps them).
    pub fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    /// From milliseconds since the epoch, in constant context.
    pub const fn from_millis_const(ms: i64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the epoch.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// Whole seconds since the epoch (the `t` of a signature).
    pub fn unix_seconds(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// This time truncated to the whole second (event `created_at`).
    pub fn truncate_to_seconds(self) -> Self {
        Self(self.unix_seconds() * 1000)
    }

    /// This time plus a duration.
    pub fn plus(self, d: Duration) -> Self {
        Self(self.0.saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)))
    }

    fn datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.0).unwrap_or_default()
    }

    /// Parses an RFC 3339 time with its offset (`2024-03-20T10:15:00Z`,
    /// `2024-03-20T12:15:00.5+02:00`); `None` for anything else.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        DateTime::parse_from_rfc3339(s).ok().map(|t| Self(t.timestamp_millis()))
    }

    /// `2024-03-20T10:15:00Z`: whole seconds, as event envelopes carry.
    pub fn to_rfc3339_seconds(self) -> String {
        self.datetime().to_rfc3339_opts(SecondsFormat::Secs, true)
    }

    /// `2024-03-20T10:15:00.123Z`: as the API shows delivery and attempt times.
    pub fn to_rfc3339_millis(self) -> String {
        self.datetime().to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_utc_with_z() {
        let t = Timestamp::from_millis(1_710_929_700_123);
        assert_eq!(t.to_rfc3339_seconds(), "2024-03-20T10:15:00Z");
        assert_eq!(t.to_rfc3339_millis(), "2024-03-20T10:15:00.123Z");
        assert_eq!(t.unix_seconds(), 1_710_929_700);
    }
}
