//! `GET /v1/accounts/{account}/events/stream`: an account's events, live, as
//! Server-Sent Events, filtered by type and by the project or person they are
//! about, resumable with `Last-Event-ID` from the store.
//!
//! - `handler`: the route: what the client asked for, and its follower started.
//! - `frame`: the SSE encoding.
//! - `follower`: the task that reads the store for one stream.

mod follower;
mod frame;
mod handler;

pub use handler::router;
