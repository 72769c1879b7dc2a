//! The delivery log (`/v1/accounts/{account}/deliveries`): filtered lists,
//! one page or all of them, a delivery with its attempts, and a retry now.

use reqwest::Method;
use url::Url;

use crate::{
    client::Client,
    error::Error,
    pager::{page, ListOptions, Pager},
    transport,
    types::{Delivery, DeliveryDetail, DeliveryStatus, Page},
};

/// The filters of `GET …/deliveries`; every one set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryFilter {
    /// Only this endpoint's deliveries.
    pub endpoint_id: Option<String>,
    /// Only this event's.
    pub event_id: Option<String>,
    /// Only those in this state.
    pub status: Option<DeliveryStatus>,
    /// Only those of this event type.
    pub event_type: Option<String>,
}

impl DeliveryFilter {
    /// Adds the filters to a URL's query.
    fn apply(&self, url: &mut Url) {
        let mut query = url.query_pairs_mut();
        let pairs = [
            ("endpoint_id", self.endpoint_id.as_deref()),
            ("event_id", self.event_id.as_deref()),
            ("status", self.status.map(DeliveryStatus::as_str)),
            ("event_type", self.event_type.as_deref()),
        ];
        for (name, value) in pairs {
            if let Some(value) = value {
                query.append_pair(name, value);
            }
        }
    }
}

impl Client {
    /// The URL of the delivery list with these filters.
    fn deliveries_url(&self, account: &str, filter: &DeliveryFilter) -> Url {
        let mut url = self.url(&["v1", "accounts", account, "deliveries"]);
        filter.apply(&mut url);
        url
    }

    /// `GET …/deliveries`: one page, newest first, each with its last attempt's error.
    pub async fn list_deliveries(
        &self,
        account: &str,
        filter: &DeliveryFilter,
        options: &ListOptions,
    ) -> Result<Page<Delivery>, Error> {
        page(self, self.deliveries_url(account, filter), options).await
    }

    /// Every delivery that matches, page after page (`options.limit` a page).
    pub fn deliveries(&self, account: &str, filter: &DeliveryFilter, options: ListOptions) -> Pager<Delivery> {
        Pager::new(self.clone(), self.deliveries_url(account, filter), options)
    }

    /// `GET …/deliveries/{delivery}`: the delivery with its attempts.
    pub async fn get_delivery(&self, account: &str, delivery: &str) -> Result<DeliveryDetail, Error> {
        let url = self.url(&["v1", "accounts", account, "deliveries", delivery]);
        Ok(transport::json(self.request(Method::GET, url)).await?.1)
    }

    /// `POST …/deliveries/{delivery}/retry`: one attempt now, outside the
    /// schedule (`409` while its endpoint is disabled).
    pub async fn retry_delivery(&self, account: &str, delivery: &str) -> Result<Delivery, Error> {
        let url = self.url(&["v1", "accounts", account, "deliveries", delivery, "retry"]);
        Ok(transport::json(self.request(Method::POST, url)).await?.1)
    }
}
