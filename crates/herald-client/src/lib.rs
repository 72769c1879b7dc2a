//! An async client of Herald's HTTP API, for the platform that publishes
//! events and for the customers who read their webhooks' log.
//!
//! ```no_run
//! use herald_client::{events::CreditsLow, Client, NewAccount, NewEndpoint};
//!
//! # async fn run() -> Result<(), herald_client::Error> {
//! let herald = Client::new("http://127.0.0.1:8090", "the admin token")?;
//! let account = herald.create_account(&NewAccount::named("Acme Studios")).await?;
//! let endpoint = herald
//!     .create_endpoint(&account.id, &NewEndpoint::new("https://acme.example.com/webhooks").event_types(["credits.*"]))
//!     .await?;
//! let published = herald.publish(&account.id, &CreditsLow { balance: 12, threshold: 100 }).await?;
//! println!("{} for {} with secret {}", published.event.id, endpoint.id, endpoint.secret);
//! # Ok(())
//! # }
//! ```
//!
//! Every call answers its typed body or an [`Error`]: [`Error::Api`] carries
//! Herald's problem (status, type, title, detail, and each field at fault by
//! JSON pointer or parameter) and, for `429`/`503`, its `Retry-After`.
//!
//! # Layout
//!
//! - `client`: [`Client`], its options, and the URL of each path.
//! - `transport`: one call on the wire, and refusals turned into [`Error`].
//! - `error`, `problem`: the error type and the problem+json it carries.
//! - [`types`]: the API's bodies, held to the OpenAPI document by `drift` (a test).
//! - [`events`]: the catalog's event types with typed data, and raw events.
//! - `api/`: the calls, one file per resource.
//! - `pager`: lists read across pages by `next_cursor`.
//! - `poll`: polling with `after=`.
//! - `sse`, `live`: the live stream, parsed, and followed across reconnections.
//! - `verify`: signature checks for receivers.

mod api;
mod client;
#[cfg(test)]
mod drift;
mod error;
pub mod events;
mod live;
mod pager;
mod poll;
mod problem;
mod sse;
mod transport;
pub mod types;
mod verify;

pub use api::{DeliveryFilter, EventFilter};
pub use client::{Client, ClientBuilder, DEFAULT_TIMEOUT};
pub use error::{ApiError, Error};
pub use events::{Event, EventData, Publishable, RawEvent};
pub use live::{brief, Dropped, LiveStream, StreamEvent, StreamItem, StreamOptions};
pub use pager::{ListOptions, Pager};
pub use poll::{PollOptions, Poller, FIRST_POSITION};
pub use problem::{retry_after, FieldError, Problem};
pub use types::*;
pub use verify::{verify, verify_with_tolerance, VerifyError, DEFAULT_TOLERANCE};
