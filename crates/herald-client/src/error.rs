//! The client's one error type: Herald refused ([`Error::Api`], with its
//! problem), Herald could not be reached or the connection broke
//! ([`Error::Transport`]), or it answered success with something the API
//! does not promise ([`Error::Decode`]).

use std::time::Duration;

use crate::problem::Problem;

/// Why a call did not give its answer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Herald answered with a refusal (`4xx`, `5xx`).
    #[error("Herald refused ({}): {}", .0.status, .0.problem.explain())]
    Api(Box<ApiError>),
    /// No answer: the connection could not be made, or broke, or timed out.
    #[error("cannot reach Herald at {url}")]
    Transport {
        /// The URL asked.
        url: String,
        /// What reqwest says.
        #[source]
        source: reqwest::Error,
    },
    /// A success whose body is not what the API promises.
    #[error("unexpected answer from {url}: {body}")]
    Decode {
        /// The URL asked.
        url: String,
        /// The body, as text.
        body: String,
        /// Why it did not read.
        #[source]
        source: serde_json::Error,
    },
    /// A request body that would not serialise (a [`crate::RawEvent`] whose
    /// data is a map with keys that are not strings).
    #[error("the request body would not serialise")]
    Encode(#[source] serde_json::Error),
    /// The base URL given to the client is not an absolute `http(s)://` URL.
    #[error("`{0}` is not an http:// or https:// URL")]
    BadUrl(String),
    /// The HTTP client could not be built (a TLS backend that would not start).
    #[error("cannot build the HTTP client")]
    Build(#[source] reqwest::Error),
}

/// A refusal: the status, the problem Herald wrote, and how long it asked to wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status of the answer.
    pub status: u16,
    /// Its `application/problem+json` body.
    pub problem: Problem,
    /// The `Retry-After` of a `429` or `503`, as a wait.
    pub retry_after: Option<Duration>,
}

impl Error {
    /// The refusal, when Herald refused.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(api) => Some(api),
            _ => None,
        }
    }

    /// The HTTP status of a refusal.
    pub fn status(&self) -> Option<u16> {
        self.api().map(|api| api.status)
    }

    /// Whether asking again later may succeed: no answer at all, a `429`, or a `5xx`.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport { .. } => true,
            Self::Api(api) => api.status == 429 || api.status >= 500,
            _ => false,
        }
    }
}
