//! The [`Client`]: where Herald is, the token it is called with, one pooled
//! HTTP client, and the URL of each API path under that base. The calls
//! themselves are in `api/`, one file per resource.

use std::time::Duration;

use reqwest::{header, Method, RequestBuilder};
use url::Url;

use crate::error::Error;

/// The timeout of one ordinary call, unless [`ClientBuilder::timeout`] says otherwise.
/// The live stream has none: it is read for as long as it lasts.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A Herald API, called with one token: the admin token (everything) or an
/// account key `hk_…` (everything of its account but publishing). Cheap to
/// clone: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct Client {
    /// The base URL, ending with `/` (Herald may live under a path prefix).
    base: Url,
    /// The bearer token.
    token: String,
    /// The connection pool.
    http: reqwest::Client,
    /// The timeout of each call but the stream.
    timeout: Duration,
}

/// Options of a [`Client`]: [`Client::builder`].
#[derive(Debug)]
pub struct ClientBuilder {
    base: String,
    token: String,
    timeout: Duration,
    user_agent: String,
    http: Option<reqwest::Client>,
}

impl Client {
    /// A client of the Herald at `base` (`http://127.0.0.1:8090`) with `token`.
    pub fn new(base: &str, token: impl Into<String>) -> Result<Self, Error> {
        Self::builder(base, token).build()
    }

    /// A client with options: timeout, user agent, or an HTTP client of your own.
    pub fn builder(base: &str, token: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            base: base.to_owned(),
            token: token.into(),
            timeout: DEFAULT_TIMEOUT,
            user_agent: concat!("herald-client/", env!("CARGO_PKG_VERSION")).to_owned(),
            http: None,
        }
    }

    /// The base URL, as given (with a trailing `/`).
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// The URL of an API path: `segments` appended to the base, each escaped
    /// (an account id `a/b` stays one segment).
    pub fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// A request to an API path with the token, for JSON, within the call timeout.
    pub(crate) fn request(&self, method: Method, url: Url) -> RequestBuilder {
        self.http
            .request(method, url)
            .bearer_auth(&self.token)
            .header(header::ACCEPT, "application/json")
            .timeout(self.timeout)
    }

    /// A request for the live stream: Server-Sent Events, no timeout.
    pub(crate) fn stream_request(&self, url: Url) -> RequestBuilder {
        self.http.get(url).bearer_auth(&self.token).header(header::ACCEPT, "text/event-stream")
    }
}

impl ClientBuilder {
    /// How long one call may take, answer included (30 s by default). The live stream has no limit.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The `User-Agent` of each request (`herald-client/<version>` by default).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// An HTTP client of your own (its user agent then wins). It must have no
    /// overall timeout of its own, or the live stream ends with it.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// The client; fails on a base URL that is not absolute `http(s)://`.
    pub fn build(self) -> Result<Client, Error> {
        let mut base = Url::parse(&self.base)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && !u.cannot_be_a_base())
            .ok_or_else(|| Error::BadUrl(self.base.clone()))?;
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder().user_agent(self.user_agent).build().map_err(Error::Build)?,
        };
        Ok(Client { base, token: self.token, http, timeout: self.timeout })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_appended_to_the_base_url_escaped() {
        let client = Client::new("http://127.0.0.1:8090/herald", "t").unwrap();
        assert_eq!(
            client.url(&["v1", "accounts", "a/b", "events"]).as_str(),
            "http://127.0.0.1:8090/herald/v1/accounts/a%2Fb/events"
        );
        let client = Client::new("http://127.0.0.1:8090/", "t").unwrap();
        assert_eq!(client.url(&["v1", "event-types"]).as_str(), "http://127.0.0.1:8090/v1/event-types");
    }

    #[test]
    fn only_absolute_http_urls_are_a_base() {
        assert!(matches!(Client::new("127.0.0.1:8090", "t"), Err(Error::BadUrl(_))));
        assert!(matches!(Client::new("ftp://example.com", "t"), Err(Error::BadUrl(_))));
        assert!(Client::new("https://herald.example.com", "t").is_ok());
    }
}
