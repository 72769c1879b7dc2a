//! The store's cold paths, written once for both engines: accounts and
//! keys, endpoints, the portal's links and sessions, reading events and
//! deliveries, the outbox of endpoint changes, recoveries, what the dispatcher reads between claims, ordered endpoints' heads, and upkeep. Each
//! trait here is implemented for every [`Engine`](dialect::Engine); an
//! engine brings its pools, its database the few places where the dialects
//! differ (`dialect.rs`), and `bounds.rs` turns sqlx's bounds into ones the
//! shared code can rely on. The hot paths (publishing, claiming, recording) stay in
//! each engine's folder, in files of the same names.

mod accounts;
pub mod bounds;
mod changes;
mod deliveries;
pub mod dialect;
pub mod disable;
mod due;
mod endpoints;
mod events;
mod heads;
mod ops;
mod portal;
mod recoveries;
pub mod rows;
mod sealed;
mod select;
