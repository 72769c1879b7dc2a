//! Endpoints: `EndpointView`, `CreatedEndpointView` (with its secret),
//! `NewEndpointBody`, `EndpointPatchBody` and the `DisabledCause` values.

use std::{collections::BTreeMap, ops::Deref};

use serde::{Deserialize, Serialize};

/// What disabled an endpoint (`DisabledCause`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisabledCause {
    /// A delivery exhausted its schedule.
    Exhausted,
    /// The receiver answered `410 Gone`.
    Gone,
    /// Someone disabled it by hand.
    Manual,
}

/// An endpoint (`EndpointView`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// `ep_…`.
    pub id: String,
    /// Where attempts are POSTed.
    pub url: String,
    /// A note for people.
    pub description: String,
    /// Whether it gets attempts.
    pub enabled: bool,
    /// Whether its deliveries go one at a time, in publish order.
    pub ordered: bool,
    /// The names of its custom headers; their values are at [`crate::Client::endpoint_headers`].
    pub header_names: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// Subscribed types (`.*` patterns allowed); `None` for every type.
    #[serde(default)]
    pub event_types: Option<Vec<String>>,
    /// What its events' `data` must hold (`data.balance <= 10`); `None` for anything.
    #[serde(default)]
    pub filter: Option<String>,
    /// Its cap on deliveries per second; `None` for none.
    #[serde(default)]
    pub rate_limit: Option<u32>,
    /// When it was disabled.
    #[serde(default)]
    pub disabled_at: Option<String>,
    /// What disabled it; `None` while enabled.
    #[serde(default)]
    pub disabled_cause: Option<DisabledCause>,
    /// Why it was disabled.
    #[serde(default)]
    pub disabled_reason: Option<String>,
}

/// A new endpoint with its signing secret (`CreatedEndpointView`); derefs to the [`Endpoint`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedEndpoint {
    /// The endpoint.
    #[serde(flatten)]
    pub endpoint: Endpoint,
    /// Its signing secret (`whsec_…`; also at [`crate::Client::endpoint_secret`]).
    pub secret: String,
}

impl Deref for CreatedEndpoint {
    type Target = Endpoint;

    fn deref(&self) -> &Endpoint {
        &self.endpoint
    }
}

/// `POST …/endpoints` (`NewEndpointBody`): the URL, and settings left out
/// unless given (`NewEndpoint::new(url)` then set the fields you want).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEndpoint {
    /// Where attempts are POSTed: `https://` (`http://` too in development mode).
    pub url: String,
    /// A note for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Types or `prefix.*` patterns it receives; `None` for every type (never an empty list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_types: Option<Vec<String>>,
    /// A filter on the events' `data` (`data.project_type == "scene_project"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Its signing secret (`whsec_…`), if the platform brings its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Deliveries per second at most (1 to 10,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<u32>,
    /// Custom headers sent with each attempt (reserved names refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
    /// Deliver one at a time, in publish order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordered: Option<bool>,
}

impl NewEndpoint {
    /// An endpoint at `url` for every type, with Herald's defaults.
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into(), ..Self::default() }
    }

    /// The same, receiving these types or `prefix.*` patterns only.
    pub fn event_types<I: IntoIterator<Item = S>, S: Into<String>>(mut self, types: I) -> Self {
        self.event_types = Some(types.into_iter().map(Into::into).collect());
        self
    }
}

/// `PATCH …/endpoints/{endpoint}` (`EndpointPatchBody`): each field left
/// `None` is left as it is; `Some(None)` clears a setting that can be
/// cleared (sends `null`); `Some(Some(v))` sets it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointPatch {
    /// A new URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// A new note (an empty one for none: Herald takes `null` here as "leave it").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New types; `Some(None)` for every type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_types: Option<Option<Vec<String>>>,
    /// A new filter; `Some(None)` removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<Option<String>>,
    /// A new rate limit; `Some(None)` removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<Option<u32>>,
    /// The whole set of custom headers, replacing the old; `Some(None)` removes them all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<Option<BTreeMap<String, String>>>,
    /// Deliver in publish order, or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordered: Option<bool>,
}
