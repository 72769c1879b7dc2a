//! Parsed domain types, no I/O: ids, event types and the catalog, endpoint
//! URLs, secrets and custom headers, the keys that seal secrets at rest, the target policy
//! (public addresses, trusted blocks), delivery states and the delivery's
//! state machine (`transition.rs`) and what a receiver's answer asks of it
//! (`answer.rs`), the retry schedule,
//! the envelope, and the filters live-stream readers choose events with.

pub mod allow_targets;
pub mod answer;
pub mod catalog;
pub mod content_filter;
pub mod custom_headers;
pub mod delivery;
pub mod encryption_key;
pub mod endpoint_url;
pub mod envelope;
pub mod event_filter;
pub mod event_type;
pub mod ids;
pub mod ip_policy;
pub mod schedule;
pub mod secret;
pub mod subscription;
pub mod target_policy;
pub mod time;
pub mod transition;

pub use allow_targets::AllowTargets;
pub use answer::Answer;
pub use catalog::Catalog;
pub use content_filter::ContentFilter;
pub use custom_headers::CustomHeaders;
pub use delivery::{AttemptError, DeliveryStatus, DisabledCause};
pub use encryption_key::EncryptionKey;
pub use endpoint_url::{EndpointUrl, UrlError};
pub use event_filter::{DataField, EventFilter};
pub use event_type::{EventType, TypeFilter, TypePattern};
pub use ids::{AccountId, DeliveryId, EndpointId, EventId, KeyId, RecoveryId};
pub use schedule::RetrySchedule;
pub use secret::EndpointSecret;
pub use subscription::{EventData, Subscription};
pub use target_policy::TargetPolicy;
pub use time::Timestamp;
pub use transition::Verdict;
