//! Delivery states and attempt outcomes.

use std::fmt;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// A receiver answered 2xx.
    Succeeded,
    /// Every attempt failed, or its endpoint was disabled.
    Failed,
    /// Published while its endpoint was disabled: recorded, not sent.
    Skipped,
}

impl DeliveryStatus {
    /// Every status, in the order a delivery may go through them.
    pub const ALL: [Self; 4] = [Self::Pending, Self::Succeeded, Self::Failed, Self::Skipped];

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }

    /// Parses the stored or queried name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            "skipped" => Self::Skipped,
            _ => return None,
        })
    }
}

impl fmt::Display for DeliveryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What disabled an endpoint (`disabled_cause`); `disabled_reason` says it in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DisabledCause {
    /// A delivery failed its last scheduled attempt.
    Exhausted,
    /// The receiver answered `410 Gone`.
    Gone,
    /// The platform or the account disabled it by hand.
    Manual,
}

impl DisabledCause {
    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exhausted => "exhausted",
            Self::Gone => "gone",
            Self::Manual => "manual",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "exhausted" => Self::Exhausted,
            "gone" => Self::Gone,
            "manual" => Self::Manual,
            _ => return None,
        })
    }
}

/// Why an attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttemptError {
    /// No complete answer within the delivery timeout.
    Timeout,
    /// The connection was refused, reset or dropped.
    Connect,
    /// The host name did not resolve.
    Dns,
    /// The TLS handshake failed.
    Tls,
    /// The target address is forbidden by policy.
    BlockedAddress,
    /// The receiver answered, but not with 2xx.
    Status,
    /// The endpoint was disabled before this delivery could be sent.
    EndpointDisabled,
    /// Anything else.
    Other,
}

impl AttemptError {
    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Connect => "connect",
            Self::Dns => "dns",
            Self::Tls => "tls",
            Self::BlockedAddress => "blocked_address",
            Self::Status => "status",
            Self::EndpointDisabled => "endpoint_disabled",
            Self::Other => "other",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "timeout" => Self::Timeout,
            "connect" => Self::Connect,
            "dns" => Self::Dns,
            "tls" => Self::Tls,
            "blocked_address" => Self::BlockedAddress,
            "status" => Self::Status,
            "endpoint_disabled" => Self::EndpointDisabled,
            _ => Self::Other,
        })
    }
}
