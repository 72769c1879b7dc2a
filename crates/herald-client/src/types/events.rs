//! Events as Herald answers them: the stored `Envelope`, what a publish
//! answers (`PublishedView`, `BatchView`), the catalog (`EventTypeList`,
//! `EventTypeView`), and portal links (`PortalLinkBody`, `PortalLinkView`).

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::Value;

/// A stored event (`EnvelopeView`): what receivers get, polling lists and the stream carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// `evt_…`: what receivers deduplicate on.
    pub id: String,
    /// Its type.
    #[serde(rename = "type")]
    pub event_type: String,
    /// When it was accepted (RFC 3339, whole seconds).
    pub created_at: String,
    /// Its data, as published.
    pub data: Value,
}

impl Envelope {
    /// The data as one of the catalog's types ([`crate::events::ProjectCompleted`]…), or any `T`.
    pub fn data_as<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.data)
    }

    /// The type and data as a typed [`crate::Event`] (fails for a type outside the catalog).
    pub fn to_event(&self) -> Result<crate::Event, serde_json::Error> {
        crate::Event::from_parts(&self.event_type, self.data.clone())
    }
}

/// What a publish answers (`PublishedView`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Published {
    /// The stored envelope.
    pub event: Envelope,
    /// Deliveries created (skipped ones for disabled endpoints included).
    pub deliveries: u64,
    /// Not in the body: `true` when Herald answered `200`, the first answer
    /// to an earlier publish with the same `Idempotency-Key` (`202` otherwise).
    #[serde(skip)]
    pub replayed: bool,
}

/// What a batch publish answers (`BatchView`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchPublished {
    /// The stored envelopes, in the order given.
    pub events: Vec<Envelope>,
    /// Deliveries created for all of them.
    pub deliveries: u64,
}

/// The catalog (`EventTypeList`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventTypeList {
    /// Every type, the catalog's first, then the operational ones.
    pub data: Vec<EventTypeInfo>,
}

/// One catalogued type (`EventTypeView`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventTypeInfo {
    /// The type name.
    #[serde(rename = "type")]
    pub event_type: String,
    /// What happened.
    pub description: String,
    /// An example `data`.
    pub example: Value,
    /// Whether Herald publishes it itself, to the `herald` account.
    pub operational: bool,
    /// The JSON Schema of `data`, or `None` when the type has none.
    #[serde(default)]
    pub schema: Option<Value>,
}

/// `POST …/portal-links` (`PortalLinkBody`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalLinkOptions {
    /// How long the link works, 1 s to a day (15 minutes when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_seconds: Option<u64>,
}

/// A one-time link into the developer portal (`PortalLinkView`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalLink {
    /// The link.
    pub url: String,
    /// When it stops working.
    pub expires_at: String,
}
