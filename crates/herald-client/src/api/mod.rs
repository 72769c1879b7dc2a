//! The calls, one file per resource, each an `impl Client` block with one
//! method per operation of the OpenAPI document (named after its
//! `operationId` where that reads well).

mod accounts;
mod deliveries;
mod endpoint_actions;
mod endpoints;
mod events;
mod portal;
mod publish;

pub use deliveries::DeliveryFilter;
pub use events::EventFilter;
