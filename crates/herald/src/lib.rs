//! Herald: a webhook delivery service.
//!
//! Events flow one way: the API ([`api`]) validates them and the
//! [`publish`]er has the [`store`] commit each with its deliveries, handing
//! those due now to the [`dispatch`]er, which claims the other due
//! deliveries, sends them, signed, and writes every attempt back to the
//! store. Everything else (accounts, endpoints, keys) sits beside that path.
//! `docs/ARCHITECTURE.md` has the layers and where a change goes.
//!
//! # Layout
//! - [`config`]: flags and `HERALD_*` variables.
//! - [`app`]: wiring and shutdown.
//! - [`domain`]: parsed types, no I/O.
//! - [`store`]: the single truth, SQLite or PostgreSQL; endpoint secrets sealed at rest.
//! - [`dispatch`]: claiming, sending, recording.
//! - [`publish`]: every write that gives the dispatcher work, and its wake-ups.
//! - [`web`]: what the API and the portal share (handler state, the session cookie).
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
pub mod publish;
pub mod retention;
pub mod server;
pub mod store;
pub mod telemetry;
pub mod web;

pub use app::{Application, ShutdownHandle};
pub use config::Config;
