//! The store: the single truth for accounts, endpoints, events, deliveries
//! and attempts. The API and the dispatcher both speak to it through the
//! traits in `traits.rs`; two engines implement them with the same behaviour:
//! [`sqlite`] (embedded, one process) and [`postgres`] (shared by several
//! `herald serve` processes). [`open`] picks one from the database URL.
//! Endpoint secrets pass through the [`Sealer`] on their way in and out of
//! both engines, and [`open`] re-seals them ([`reseal`]) before handing the store out.

mod columns;
pub mod error;
mod health;
mod lease_ahead;
#[cfg(test)]
mod migration_rule;
pub mod model;
mod open;
pub mod postgres;
pub mod reseal;
pub mod sealer;
pub mod sql;
pub mod sqlite;
mod stale;
mod target;
mod traits;

pub use error::StoreError;
pub use health::{probe, Health, PROBE_INTERVAL};
pub use model::*;
pub use open::{open, StoreSettings};
pub use sealer::{SealError, Sealer};
pub use traits::*;
