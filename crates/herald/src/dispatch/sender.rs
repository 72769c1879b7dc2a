//! The sender: one signed POST of the stored bytes, with the delivery timeout,
//! no redirects, and the answer read up to 64 KiB.

use std::{error::Error as _, time::Duration};

use anyhow::Context;
use reqwest::{redirect, Client};

use super::{
    address_guard::{is_public, GuardedResolver},
    headers::{user_agent, webhook_headers, WebhookRequest},
};
use crate::{
    domain::{AttemptError, Timestamp},
    store::{Attempt, ClaimedDelivery},
};

/// The most of a response body that is read and logged.
pub const MAX_LOGGED_BODY: usize = 64 * 1024;

/// Sends attempts over one pooled, keep-alive HTTP client.
#[derive(Debug, Clone)]
pub struct Sender {
    /// Shared by every attempt: pooled connections, no redirects.
    client: Client,
    /// The whole attempt, connect to last byte read.
    timeout: Duration,
    /// Development mode: any target address; otherwise public ones only.
    dev: bool,
}

impl Sender {
    /// Builds the client.
    pub fn new(timeout: Duration, dev: bool) -> anyhow::Result<Self> {
        let mut builder = Client::builder();
        if !dev {
            builder = builder.dns_resolver(std::sync::Arc::new(GuardedResolver));
        }
        let client = builder
            .redirect(redirect::Policy::none())
            .user_agent(user_agent())
            .connect_timeout(timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .context("Failed to build the HTTP client")?;
        Ok(Self { client, timeout, dev })
    }

    /// Makes one attempt of a claimed delivery; never fails, the outcome is the log entry.
    pub async fn send(&self, claimed: &ClaimedDelivery) -> Attempt {
        let started_at = Timestamp::now();
        let clock = std::time::Instant::now();
        let result = if self.targets_blocked_literal(&claimed.url) {
            Ok(Err(AttemptError::BlockedAddress))
        } else {
            tokio::time::timeout(self.timeout, self.post(claimed, started_at))
                .await
                .map(|r| r.map_err(|e| classify(&e)))
        };
        let (response_status, error, response_body) = match result {
            Err(_) => (None, Some(AttemptError::Timeout), String::new()),
            Ok(Err(error)) => (None, Some(error), String::new()),
            Ok(Ok((status, body))) => {
                let error = (!(200..300).contains(&status)).then_some(AttemptError::Status);
                (Some(status), error, body)
            }
        };
        Attempt {
            n: claimed.attempt_n,
            started_at,
            duration_ms: u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX),
            response_status,
            error,
            response_body,
        }
    }

    /// Whether the URL names a non-public IP literal (which no resolver sees).
    fn targets_blocked_literal(&self, url: &str) -> bool {
        if self.dev {
            return false;
        }
        match reqwest::Url::parse(url).ok().and_then(|u| u.host().map(|h| h.to_owned())) {
            Some(url::Host::Ipv4(ip)) => !is_public(ip.into()),
            Some(url::Host::Ipv6(ip)) => !is_public(ip.into()),
            _ => false,
        }
    }

    async fn post(&self, claimed: &ClaimedDelivery, now: Timestamp) -> Result<(u16, String), reqwest::Error> {
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
        let mut request = self.client.post(&claimed.url);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let mut response = request.body(claimed.payload.clone()).send().await?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while body.len() < MAX_LOGGED_BODY {
            match response.chunk().await? {
                Some(chunk) => body.extend_from_slice(&chunk),
                None => break,
            }
        }
        body.truncate(MAX_LOGGED_BODY);
        // Dropping the response unread closes the connection instead of draining it.
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }
}

/// Names the kind of a transport failure from the error and its causes.
fn classify(e: &reqwest::Error) -> AttemptError {
    if e.is_timeout() {
        return AttemptError::Timeout;
    }
    let mut chain = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    let chain = chain.to_ascii_lowercase();
    if chain.contains("blocked address") {
        AttemptError::BlockedAddress
    } else if chain.contains("dns error") || chain.contains("failed to lookup address") {
        AttemptError::Dns
    } else if chain.contains("certificate") || chain.contains("tls") || chain.contains("handshake") {
        AttemptError::Tls
    } else if e.is_connect() || chain.contains("connection") || chain.contains("reset") || chain.contains("closed") {
        AttemptError::Connect
    } else {
        AttemptError::Other
    }
}
