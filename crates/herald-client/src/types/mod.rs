//! The API's bodies as Rust types, written by hand from the OpenAPI document
//! (`clients/openapi.json`) and held to it by the drift check
//! (`src/drift.rs`): each struct's fields are exactly its component schema's
//! properties, each enum's variants its schema's values.

mod accounts;
mod deliveries;
mod endpoint_actions;
mod endpoints;
mod events;
mod page;

pub use accounts::{Account, Key, NewAccount};
pub use deliveries::{Attempt, AttemptError, Delivery, DeliveryDetail, DeliveryStatus};
pub use endpoint_actions::{
    Enable, EndpointHeaders, EndpointStats, HourStats, RecoverRange, Recovery, RecoveryStatus, RotateSecret, Secret,
    TestEvent,
};
pub use endpoints::{CreatedEndpoint, DisabledCause, Endpoint, EndpointPatch, NewEndpoint};
pub use events::{BatchPublished, Envelope, EventTypeInfo, EventTypeList, PortalLink, PortalLinkOptions, Published};
pub use page::Page;
