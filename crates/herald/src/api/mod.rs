//! The HTTP API of the contract: one module per resource, authentication as
//! an extractor, one error type mapped to problem+json, and the OpenAPI
//! document generated from the handlers (`routes.rs`).

mod accounts;
mod auth;
pub mod availability;
mod bodies;
pub mod body;
mod contract;
mod deliveries;
pub mod depth;
mod endpoint_fields;
mod endpoint_stats;
mod endpoints;
pub mod error;
mod event_types;
pub mod events;
mod links;
mod ops;
mod path;
mod portal_links;
pub mod query;
mod recoveries;
mod routes;
pub mod stream;
mod views;

#[cfg(test)]
mod documented;

pub use routes::{method_not_allowed, not_found, routes};

use crate::web::AppState;
