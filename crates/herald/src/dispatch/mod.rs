//! Delivery: claiming due work from the store with a lease, sending it, and
//! writing every attempt back. Nothing lives only here: a restart rebuilds
//! all of it from the store.

pub mod address_guard;
mod capacity;
mod dispatcher;
mod handoff;
pub mod headers;
mod in_flight;
mod pace;
mod recorder;
pub mod sender;
mod transport_error;
mod window;

pub use dispatcher::Dispatcher;
pub use handoff::{Handoff, Offer};
pub use sender::Sender;
