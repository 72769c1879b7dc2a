//! Parsed domain types, no I/O: ids, event types and the catalog, endpoint
//! URLs, secrets and the keys that seal them at rest, delivery states, the retry schedule, the envelope.

pub mod catalog;
pub mod delivery;
pub mod encryption_key;
pub mod endpoint_url;
pub mod envelope;
pub mod event_type;
pub mod ids;
pub mod ip_policy;
pub mod schedule;
pub mod secret;
pub mod time;

pub use catalog::Catalog;
pub use delivery::{AttemptError, DeliveryStatus};
pub use encryption_key::EncryptionKey;
pub use endpoint_url::{EndpointUrl, UrlError};
pub use event_type::{EventType, TypeFilter, TypePattern};
pub use ids::{AccountId, DeliveryId, EndpointId, EventId, KeyId};
pub use schedule::RetrySchedule;
pub use secret::EndpointSecret;
pub use time::Timestamp;
