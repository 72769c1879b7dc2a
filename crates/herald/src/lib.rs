//! Herald: a webhook delivery service.
//!
//! Events flow one way: the API ([`api`]) validates and publishes them, the
//! [`store`] commits each event with its deliveries, the [`dispatch`]er claims
//! due deliveries and sends them, signed, and writes every attempt back to the
//! store. Everything else (accounts, endpoints, keys) sits beside that path.
//!
//! # Layout
//! - [`config`]: flags and `HERALD_*` variables.
//! - [`app`]: wiring and shutdown.
//! - [`domain`]: parsed types, no I/O.
//! - [`store`]: the single truth, SQLite or PostgreSQL; endpoint secrets sealed at rest.
//! - [`dispatch`]: claiming, sending, recording.
//! - [`api`]: the HTTP API of the contract.
//! - [`portal`]: the developer portal in the browser.
//! - [`retention`]: deleting what is older than the retention period.
//! - [`cli`]: the developer tools of the `herald` binary (`listen`, `trigger`, `verify`).

pub mod admin_token;
pub mod api;
pub mod app;
pub mod cli;
pub mod config;
pub mod dispatch;
pub mod domain;
pub mod portal;
pub mod retention;
pub mod store;
pub mod telemetry;

pub use app::{Application, ShutdownHandle};
pub use config::Config;
