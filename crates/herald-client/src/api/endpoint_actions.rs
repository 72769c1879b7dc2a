//! What is done to one endpoint beside reading and changing it: its secret
//! and headers, rotation, enabling and disabling, recovery, test events
//! and stats (`…/endpoints/{endpoint}/…`).

use std::collections::BTreeMap;

use reqwest::Method;

use crate::{
    client::Client,
    error::Error,
    transport,
    types::{
        Delivery, Enable, Endpoint, EndpointHeaders, EndpointStats, RecoverRange, Recovery, RotateSecret, Secret,
        TestEvent,
    },
};

impl Client {
    /// The URL of `…/endpoints/{endpoint}/<rest>`.
    fn endpoint_url(&self, account: &str, endpoint: &str, rest: &[&str]) -> url::Url {
        let mut segments = vec!["v1", "accounts", account, "endpoints", endpoint];
        segments.extend_from_slice(rest);
        self.url(&segments)
    }

    /// `GET …/secret`: the current signing secret.
    pub async fn endpoint_secret(&self, account: &str, endpoint: &str) -> Result<String, Error> {
        let url = self.endpoint_url(account, endpoint, &["secret"]);
        let secret: Secret = transport::json(self.request(Method::GET, url)).await?.1;
        Ok(secret.secret)
    }

    /// `GET …/headers`: the custom headers' values.
    pub async fn endpoint_headers(&self, account: &str, endpoint: &str) -> Result<BTreeMap<String, String>, Error> {
        let url = self.endpoint_url(account, endpoint, &["headers"]);
        let headers: EndpointHeaders = transport::json(self.request(Method::GET, url)).await?.1;
        Ok(headers.headers)
    }

    /// `POST …/secret/rotate`: a new secret (returned); the old one keeps signing for the grace period.
    pub async fn rotate_secret(&self, account: &str, endpoint: &str, rotate: &RotateSecret) -> Result<String, Error> {
        let url = self.endpoint_url(account, endpoint, &["secret", "rotate"]);
        let secret: Secret = transport::json(self.request(Method::POST, url).json(rotate)).await?.1;
        Ok(secret.secret)
    }

    /// `POST …/enable`: enabled again; with `redeliver_missed`, what it missed is sent.
    pub async fn enable_endpoint(
        &self,
        account: &str,
        endpoint: &str,
        redeliver_missed: bool,
    ) -> Result<Endpoint, Error> {
        let url = self.endpoint_url(account, endpoint, &["enable"]);
        let body = Enable { redeliver_missed: Some(redeliver_missed) };
        Ok(transport::json(self.request(Method::POST, url).json(&body)).await?.1)
    }

    /// `POST …/disable`: disabled by hand (`disabled_cause` `manual`).
    pub async fn disable_endpoint(&self, account: &str, endpoint: &str) -> Result<Endpoint, Error> {
        let url = self.endpoint_url(account, endpoint, &["disable"]);
        Ok(transport::json(self.request(Method::POST, url)).await?.1)
    }

    /// `POST …/recover`: sends again every failed or skipped delivery created
    /// in the range, in the background; the recovery says how far it got.
    pub async fn recover(&self, account: &str, endpoint: &str, range: &RecoverRange) -> Result<Recovery, Error> {
        let url = self.endpoint_url(account, endpoint, &["recover"]);
        Ok(transport::json(self.request(Method::POST, url).json(range)).await?.1)
    }

    /// `GET …/recoveries/{recovery}`.
    pub async fn get_recovery(&self, account: &str, endpoint: &str, recovery: &str) -> Result<Recovery, Error> {
        let url = self.endpoint_url(account, endpoint, &["recoveries", recovery]);
        Ok(transport::json(self.request(Method::GET, url)).await?.1)
    }

    /// `POST …/test`: sends the type's catalog example to this endpoint alone.
    pub async fn send_test(&self, account: &str, endpoint: &str, event_type: &str) -> Result<Delivery, Error> {
        let url = self.endpoint_url(account, endpoint, &["test"]);
        let body = TestEvent { event_type: event_type.to_owned() };
        Ok(transport::json(self.request(Method::POST, url).json(&body)).await?.1)
    }

    /// `GET …/stats`: attempts over the last 24 hours, hour by hour.
    pub async fn endpoint_stats(&self, account: &str, endpoint: &str) -> Result<EndpointStats, Error> {
        let url = self.endpoint_url(account, endpoint, &["stats"]);
        Ok(transport::json(self.request(Method::GET, url)).await?.1)
    }
}
