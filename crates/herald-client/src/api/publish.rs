//! Publishing (`POST /v1/accounts/{account}/events` and `…/events/batch`):
//! the platform's calls (admin token). With an idempotency key, a repeat
//! of a publish answers the first answer (`200`, [`Published::replayed`])
//! and stores nothing new.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::{
    client::Client,
    error::Error,
    events::Publishable,
    transport,
    types::{BatchPublished, Published},
};

/// The header that makes a publish safe to repeat.
const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

impl Client {
    /// Publishes one event; answers the stored envelope and how many deliveries it made.
    pub async fn publish(&self, account: &str, event: &impl Publishable) -> Result<Published, Error> {
        self.publish_with(account, event, None).await
    }

    /// Publishes one event under an idempotency key (1 to 255 visible ASCII
    /// characters): a repeat with the same key and body answers the first
    /// answer with `replayed` set; the same key with another body is `409`.
    pub async fn publish_idempotent(
        &self,
        account: &str,
        event: &impl Publishable,
        key: &str,
    ) -> Result<Published, Error> {
        self.publish_with(account, event, Some(key)).await
    }

    async fn publish_with(
        &self,
        account: &str,
        event: &impl Publishable,
        key: Option<&str>,
    ) -> Result<Published, Error> {
        let url = self.url(&["v1", "accounts", account, "events"]);
        let body = event.to_body().map_err(Error::Encode)?;
        let mut request = self.request(Method::POST, url).json(&body);
        if let Some(key) = key {
            request = request.header(IDEMPOTENCY_KEY, key);
        }
        let (status, mut published): (_, Published) = transport::json(request).await?;
        published.replayed = status == StatusCode::OK;
        Ok(published)
    }

    /// Publishes up to 1000 events in one commit; one bad item refuses them
    /// all (its pointer is `/<index>/…`).
    pub async fn publish_batch<E: Publishable>(&self, account: &str, events: &[E]) -> Result<BatchPublished, Error> {
        let url = self.url(&["v1", "accounts", account, "events", "batch"]);
        let body = events.iter().map(Publishable::to_body).collect::<Result<Vec<Value>, _>>().map_err(Error::Encode)?;
        Ok(transport::json(self.request(Method::POST, url).json(&body)).await?.1)
    }
}
