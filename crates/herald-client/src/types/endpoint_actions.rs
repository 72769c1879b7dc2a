//! What is done to one endpoint beside reading and changing it: its secret
//! (`SecretView`, `RotateBody`), headers (`HeadersView`), enabling
//! (`EnableBody`), recovery (`RecoverBody`, `RecoveryView`), test events
//! (`TestEventBody`) and stats (`EndpointStatsView`, `HourView`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// An endpoint's signing secret (`SecretView`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secret {
    /// `whsec_…`.
    pub secret: String,
}

/// The values of an endpoint's custom headers (`HeadersView`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointHeaders {
    /// Name to value.
    pub headers: BTreeMap<String, String>,
}

/// `POST …/secret/rotate` (`RotateBody`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotateSecret {
    /// How long the old secret still signs, in seconds (a day when absent; 30 days at most).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_seconds: Option<u64>,
    /// The new secret, if the platform brings its own; Herald makes one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// `POST …/enable` (`EnableBody`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enable {
    /// Give what the endpoint missed (the delivery that disabled it, the
    /// stopped and the skipped ones) a fresh schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redeliver_missed: Option<bool>,
}

/// `POST …/recover` (`RecoverBody`): a range of creation times, RFC 3339 with an offset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoverRange {
    /// From this time, included.
    pub since: String,
    /// To this time, excluded; now when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

/// Where a recovery stands (`RecoveryStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecoveryStatus {
    /// Still queueing.
    Running,
    /// Every delivery of the range was queued.
    Done,
    /// The endpoint was disabled meanwhile.
    Stopped,
}

/// A recovery of failed and skipped deliveries (`RecoveryView`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recovery {
    /// `rcv_…`.
    pub id: String,
    /// The endpoint.
    pub endpoint_id: String,
    /// The range's start.
    pub since: String,
    /// The range's end.
    pub until: String,
    /// Where it stands.
    pub status: RecoveryStatus,
    /// How many deliveries it sent again so far.
    pub queued: u64,
    /// RFC 3339.
    pub created_at: String,
    /// When it ended, if it did.
    #[serde(default)]
    pub finished_at: Option<String>,
}

/// `POST …/test` (`TestEventBody`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestEvent {
    /// The type whose catalog example is sent.
    #[serde(rename = "type")]
    pub event_type: String,
}

/// An endpoint's attempts over the last 24 hours (`EndpointStatsView`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointStats {
    /// The start of the first hour.
    pub since: String,
    /// Hour by hour, oldest first.
    pub hours: Vec<HourStats>,
    /// Attempts that succeeded.
    pub succeeded: u64,
    /// Attempts that failed.
    pub failed: u64,
    /// `succeeded / (succeeded + failed)`; `None` without attempts.
    #[serde(default)]
    pub success_rate: Option<f64>,
}

/// One hour of [`EndpointStats`] (`HourView`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourStats {
    /// Its start.
    pub start: String,
    /// Attempts that succeeded.
    pub succeeded: u64,
    /// Attempts that failed.
    pub failed: u64,
}
