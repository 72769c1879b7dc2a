//! The delivery log: `DeliveryView`, `DeliveryDetailView` with its
//! `AttemptView`s, and the `DeliveryStatus` and `AttemptError` values.

use std::ops::Deref;

use serde::{Deserialize, Serialize};

/// Where a delivery stands (`DeliveryStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// A `2xx` came.
    Succeeded,
    /// Its schedule ran out, or a manual retry of a settled one failed.
    Failed,
    /// Published while its endpoint was disabled.
    Skipped,
}

impl DeliveryStatus {
    /// The value as the API writes it (`pending`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }
}

/// Why an attempt failed (`AttemptError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptError {
    /// The exchange did not finish within the delivery timeout.
    Timeout,
    /// No connection, or it was cut before the answer was complete.
    Connect,
    /// The host name does not resolve.
    Dns,
    /// The TLS handshake failed.
    Tls,
    /// The address guard refused the target; nothing was sent.
    BlockedAddress,
    /// The receiver answered, but not `2xx`.
    Status,
    /// Not an attempt: the endpoint was disabled while the delivery was pending.
    EndpointDisabled,
    /// Anything else, and any kind this client does not know yet.
    #[serde(other)]
    Other,
}

/// One event for one endpoint (`DeliveryView`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// `dlv_…`.
    pub id: String,
    /// The event.
    pub event_id: String,
    /// The endpoint.
    pub endpoint_id: String,
    /// The event's type.
    pub event_type: String,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts logged so far.
    pub attempt_count: u32,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// The last attempt's error, if it failed.
    #[serde(default)]
    pub last_error: Option<AttemptError>,
    /// What exactly went wrong in the last attempt when no answer came.
    #[serde(default)]
    pub last_error_detail: Option<String>,
    /// The status code of the last answer.
    #[serde(default)]
    pub last_response_status: Option<u16>,
    /// When the next attempt is due, if pending.
    #[serde(default)]
    pub next_attempt_at: Option<String>,
}

/// A delivery with its attempts (`DeliveryDetailView`); derefs to the [`Delivery`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryDetail {
    /// The delivery.
    #[serde(flatten)]
    pub delivery: Delivery,
    /// Its attempts, first first.
    pub attempts: Vec<Attempt>,
}

impl Deref for DeliveryDetail {
    type Target = Delivery;

    fn deref(&self) -> &Delivery {
        &self.delivery
    }
}

/// One HTTP request of a delivery (`AttemptView`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// Its number, from 1.
    pub n: u32,
    /// When it started (RFC 3339).
    pub started_at: String,
    /// How long it took.
    pub duration_ms: u64,
    /// The first 64 KiB of the answer's body.
    pub response_body: String,
    /// The answer's status, if one came.
    #[serde(default)]
    pub response_status: Option<u16>,
    /// Why it failed, if it did.
    #[serde(default)]
    pub error: Option<AttemptError>,
    /// What happened when no answer came.
    #[serde(default)]
    pub error_detail: Option<String>,
}
