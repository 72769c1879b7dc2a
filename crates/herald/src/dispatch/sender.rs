//! The sender: one signed POST of the stored bytes, no redirects, no proxy,
//! every address checked by the target policy, and the whole exchange
//! (connection, answer, body up to 64 KiB) within the delivery timeout.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use reqwest::{redirect, Client, Response};
use tokio::time::{timeout_at, Instant};

use super::{
    address_guard::{BlockedAddress, GuardedResolver},
    headers::{user_agent, webhook_headers, WebhookRequest},
    transport_error::{classify, describe},
};
use crate::{
    domain::{Answer, AttemptError, EndpointUrl, TargetPolicy, Timestamp},
    store::{Attempt, ClaimedDelivery},
};

/// The most of a response body that is read and logged.
pub const MAX_LOGGED_BODY: usize = 64 * 1024;

/// Sends attempts over one pooled, keep-alive HTTP client.
#[derive(Debug, Clone)]
pub struct Sender {
    /// Shared by every attempt: pooled connections, no redirects, no proxy,
    /// and in strict mode the guarded resolver.
    client: Client,
    /// The whole attempt, connect to last byte read.
    timeout: Duration,
    /// Which addresses attempts may reach; IP literals are checked against it here.
    policy: TargetPolicy,
}

/// What one exchange came to.
struct Outcome {
    status: Option<u16>,
    error: Option<AttemptError>,
    /// What exactly went wrong, for the people reading the attempt log.
    detail: Option<String>,
    body: Vec<u8>,
    /// The answer's `Retry-After` header, if it had one in text.
    retry_after: Option<String>,
}

impl Outcome {
    fn failed(error: AttemptError, detail: String) -> Self {
        Self { status: None, error: Some(error), detail: Some(detail), body: Vec::new(), retry_after: None }
    }
}

impl Sender {
    /// Builds the client.
    ///
    /// Proxies are never used, whatever `HTTP_PROXY`, `HTTPS_PROXY` or
    /// `ALL_PROXY` say: through a proxy, the guard would check the proxy's
    /// address instead of the endpoint's.
    pub fn new(timeout: Duration, policy: TargetPolicy) -> anyhow::Result<Self> {
        let mut builder = Client::builder();
        if !policy.is_development() {
            builder = builder.dns_resolver(Arc::new(GuardedResolver::new(policy.clone()))).https_only(true);
        }
        let client = builder
            .no_proxy()
            .redirect(redirect::Policy::none())
            .user_agent(user_agent())
            .connect_timeout(timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .context("Failed to build the HTTP client")?;
        Ok(Self { client, timeout, policy })
    }

    /// Makes one attempt of a claimed delivery; never fails: the outcome is
    /// the log entry, and what the answer asks of the schedule.
    pub async fn send(&self, claimed: &ClaimedDelivery) -> (Attempt, Answer) {
        let started_at = Timestamp::now();
        let clock = std::time::Instant::now();
        let deadline = Instant::now() + self.timeout;
        let outcome = self.exchange(claimed, started_at, deadline).await;
        let attempt = Attempt {
            n: claimed.attempt_n,
            started_at,
            duration_ms: u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX),
            response_status: outcome.status,
            error: outcome.error,
            error_detail: outcome.detail,
            response_body: String::from_utf8_lossy(&outcome.body).into_owned(),
        };
        let answer = Answer::of(
            attempt.error.is_none(),
            attempt.response_status,
            outcome.retry_after.as_deref(),
            Timestamp::now(),
        );
        (attempt, answer)
    }

    /// The request and its answer, all of it by `deadline`. A status that
    /// arrived is kept even when the body then fails or runs out of time.
    async fn exchange(&self, claimed: &ClaimedDelivery, now: Timestamp, deadline: Instant) -> Outcome {
        let Some(url) = EndpointUrl::from_trusted(&claimed.url) else {
            tracing::error!(delivery = %claimed.id, url = %claimed.url, "the stored endpoint URL does not parse");
            return Outcome::failed(AttemptError::Other, "the stored endpoint URL does not parse".into());
        };
        if let Some(ip) = url.ip_literal().filter(|ip| !self.policy.permits(*ip)) {
            let blocked = BlockedAddress { ip, host: None };
            tracing::debug!(delivery = %claimed.id, %blocked, "attempt refused");
            return Outcome::failed(AttemptError::BlockedAddress, blocked.to_string());
        }
        let response = match timeout_at(deadline, self.request(claimed, &url, now).send()).await {
            Err(_) => return Outcome::failed(AttemptError::Timeout, self.ran_out("no answer came")),
            Ok(Err(e)) => {
                let (error, detail) = failure(claimed, &e);
                return Outcome::failed(error, detail);
            }
            Ok(Ok(response)) => response,
        };
        let status = response.status().as_u16();
        let retry_after =
            response.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let mut body = Vec::new();
        let read = timeout_at(deadline, read_capped(response, &mut body)).await;
        let (error, detail) = if !(200..300).contains(&status) {
            (Some(AttemptError::Status), None)
        } else {
            match read {
                Err(_) => (Some(AttemptError::Timeout), Some(self.ran_out("the answer's body did not all arrive"))),
                Ok(Err(e)) => {
                    let (error, detail) = failure(claimed, &e);
                    (Some(error), Some(detail))
                }
                Ok(Ok(())) => (None, None),
            }
        };
        Outcome { status: Some(status), error, detail, body, retry_after }
    }

    /// The detail of an exchange cut short by the delivery timeout.
    fn ran_out(&self, what: &str) -> String {
        format!("{what} within the delivery timeout ({}s, HERALD_DELIVERY_TIMEOUT)", self.timeout.as_secs_f64())
    }

    /// The signed POST of the stored bytes, to the URL as parsed (no second parse).
    fn request(&self, claimed: &ClaimedDelivery, url: &EndpointUrl, now: Timestamp) -> reqwest::RequestBuilder {
        let secrets = claimed.secrets.in_force(now);
        let headers = webhook_headers(&WebhookRequest {
            event_id: claimed.event_id.as_str(),
            event_type: &claimed.event_type,
            delivery_id: claimed.id.as_str(),
            attempt: claimed.attempt_n,
            secrets: &secrets,
            timestamp: now.unix_seconds(),
            body: &claimed.payload,
        });
        let mut request = self.client.post(url.as_url().clone());
        // The endpoint's own headers first; none of them can be one of
        // Herald's (`domain/custom_headers.rs` refuses those names).
        for (name, value) in claimed.headers.iter() {
            request = request.header(name, value);
        }
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.body(claimed.payload.clone())
    }
}

/// Reads the body into `body` up to [`MAX_LOGGED_BODY`], then stops: the
/// response is dropped unread, which closes the connection instead of
/// draining whatever else the receiver would send.
async fn read_capped(mut response: Response, body: &mut Vec<u8>) -> Result<(), reqwest::Error> {
    while body.len() < MAX_LOGGED_BODY {
        match response.chunk().await? {
            Some(chunk) => body.extend_from_slice(&chunk),
            None => break,
        }
    }
    body.truncate(MAX_LOGGED_BODY);
    Ok(())
}

/// The kind of a transport failure and its detail, with its cause chain in the debug log.
fn failure(claimed: &ClaimedDelivery, e: &reqwest::Error) -> (AttemptError, String) {
    let kind = classify(e);
    tracing::debug!(delivery = %claimed.id, error = ?e, kind = kind.as_str(), "attempt failed");
    (kind, describe(e))
}
