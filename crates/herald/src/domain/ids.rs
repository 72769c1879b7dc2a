//! Identifiers: `evt_`, `ep_`, `dlv_`, `rcv_`, `key_` and `acc_` followed by a ULID,
//! and account ids the platform chooses itself.

use std::{fmt, sync::Mutex};

use ulid::{Generator, Ulid};

/// Why an id was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{value}` is not a valid {what} id")]
pub struct IdError {
    /// The kind of id that was expected.
    pub what: &'static str,
    /// The text that was given (truncated).
    pub value: String,
}

/// A monotonic ULID: later calls in this process never sort before earlier ones.
pub fn next_ulid() -> Ulid {
    static GENERATOR: Mutex<Option<Generator>> = Mutex::new(None);
    let mut guard = GENERATOR.lock().unwrap_or_else(|p| p.into_inner());
    let generator = guard.get_or_insert_with(Generator::new);
    generator.generate().unwrap_or_else(|_| Ulid::new())
}

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The prefix every id of this kind starts with.
            pub const PREFIX: &'static str = $prefix;

            /// A new, time-ordered id.
            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, next_ulid()))
            }

            /// Accepts only this kind's prefix followed by a ULID.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                s.strip_prefix($prefix)
                    .filter(|rest| rest.len() == 26)
                    .and_then(|rest| Ulid::from_string(rest).ok())
                    .map(|u| Self(format!("{}{}", $prefix, u)))
                    .ok_or_else(|| IdError { what: $what, value: s.chars().take(80).collect() })
            }

            /// When this id was made, in milliseconds since the Unix epoch.
            pub fn unix_millis(&self) -> u64 {
                self.0.strip_prefix($prefix).and_then(|u| Ulid::from_string(u).ok()).map_or(0, |u| u.timestamp_ms())
            }

            /// The smallest id made at `unix_millis`: every id made before sorts below it.
            pub fn lower_bound(unix_millis: u64) -> Self {
                Self(format!("{}{}", $prefix, Ulid::from_parts(unix_millis, 0)))
            }

            /// Rebuilds an id the store wrote; the store only holds valid ids.
            pub fn from_trusted(s: String) -> Self {
                Self(s)
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

prefixed_id!(
    /// An event: immutable once accepted, the receivers' deduplication key.
    EventId, "evt_", "event"
);
prefixed_id!(
    /// An endpoint of an account.
    EndpointId, "ep_", "endpoint"
);
prefixed_id!(
    /// One event for one endpoint.
    DeliveryId, "dlv_", "delivery"
);
prefixed_id!(
    /// A recovery: failed and skipped deliveries of an endpoint sent again.
    RecoveryId, "rcv_", "recovery"
);
prefixed_id!(
    /// An account key (the key itself is shown once and stored as a hash).
    KeyId, "key_", "key"
);

/// An account: `acc_<ulid>` by default, or the platform's own id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountId(String);

impl AccountId {
    /// A new `acc_` id.
    pub fn generate() -> Self {
        Self(format!("acc_{}", next_ulid()))
    }

    /// The account Herald publishes its operational events to
    /// (`endpoint.disabled`, …), created at every start.
    pub fn operational() -> Self {
        Self(Self::OPERATIONAL.to_owned())
    }

    /// The operational account's id.
    pub const OPERATIONAL: &'static str = "herald";

    /// Whether this is the operational account.
    pub fn is_operational(&self) -> bool {
        self.0 == Self::OPERATIONAL
    }

    /// Accepts `[A-Za-z0-9_-]{1,64}`.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let ok = (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError { what: "account", value: s.chars().take(80).collect() })
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_sort_by_creation() {
        let a = EventId::generate();
        let b = EventId::generate();
        assert!(a < b);
        assert_eq!(EventId::parse(a.as_str()), Ok(a));
    }

    #[test]
    fn foreign_ids_are_refused() {
        assert!(EventId::parse("evt_123").is_err());
        assert!(EventId::parse(DeliveryId::generate().as_str()).is_err());
        assert!(EndpointId::parse("ep_01JQ8Z6X3M000000000000000!").is_err());
    }

    #[test]
    fn account_ids_may_be_the_platforms_own() {
        assert!(AccountId::parse("customer-42_x").is_ok());
        assert!(AccountId::parse("").is_err());
        assert!(AccountId::parse("a/b").is_err());
        assert!(AccountId::parse(&"a".repeat(65)).is_err());
    }
}
