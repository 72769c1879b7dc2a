//! Every write that gives the dispatcher work, in one place: publishing
//! events (their deliveries due now handed straight to the dispatcher's
//! queues), test events, resends and redeliveries. Each wakes the dispatcher
//! after its commit, and a publish rings the live streams; handlers call the
//! [`Publisher`] once and know nothing of either. The relay of operational
//! events (`operational.rs`) publishes through it too, and recoveries queue
//! their pages through it (`rounds.rs` runs both in the background).

pub mod operational;
mod publisher;
pub mod rounds;
mod signal;

pub use publisher::{Publication, Publisher};
pub use signal::NewEvents;
