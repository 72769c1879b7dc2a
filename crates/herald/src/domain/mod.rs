//! Parsed domain types, no I/O: ids, event types and the catalog, endpoint
//! URLs and secrets, delivery states, the retry schedule, the envelope, and
//! the filters live-stream readers choose events with.

pub mod catalog;
pub mod delivery;
pub mod endpoint_url;
pub mod envelope;
pub mod event_filter;
pub mod event_type;
pub mod ids;
pub mod ip_policy;
pub mod schedule;
pub mod secret;
pub mod time;

pub use catalog::Catalog;
pub use delivery::{AttemptError, DeliveryStatus};
pub use endpoint_url::{EndpointUrl, UrlError};
pub use event_filter::{DataField, EventFilter};
pub use event_type::{EventType, TypeFilter, TypePattern};
pub use ids::{AccountId, DeliveryId, EndpointId, EventId, KeyId};
pub use schedule::RetrySchedule;
pub use secret::EndpointSecret;
pub use time::Timestamp;
