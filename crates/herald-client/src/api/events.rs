//! Reading events (`GET /v1/accounts/{account}/events`, `…/events/{event}`)
//! and the catalog (`GET /v1/event-types`). Polling with `after=` is in
//! `poll.rs`, the live stream in `live.rs`.

use reqwest::Method;
use url::Url;

use crate::{
    client::Client,
    error::Error,
    pager::{page, ListOptions, Pager},
    transport,
    types::{Envelope, EventTypeInfo, EventTypeList, Page},
};

/// The filter of `GET …/events`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only events of this type.
    pub event_type: Option<String>,
}

impl Client {
    /// The URL of the event list with this filter.
    fn events_url(&self, account: &str, filter: &EventFilter) -> Url {
        let mut url = self.url(&["v1", "accounts", account, "events"]);
        if let Some(event_type) = &filter.event_type {
            url.query_pairs_mut().append_pair("type", event_type);
        }
        url
    }

    /// `GET …/events`: one page of the account's events, newest first.
    pub async fn list_events(
        &self,
        account: &str,
        filter: &EventFilter,
        options: &ListOptions,
    ) -> Result<Page<Envelope>, Error> {
        page(self, self.events_url(account, filter), options).await
    }

    /// Every event of the account, newest first, page after page.
    pub fn events(&self, account: &str, filter: &EventFilter, options: ListOptions) -> Pager<Envelope> {
        Pager::new(self.clone(), self.events_url(account, filter), options)
    }

    /// `GET …/events/{event}`: one event (test events included).
    pub async fn get_event(&self, account: &str, event: &str) -> Result<Envelope, Error> {
        let url = self.url(&["v1", "accounts", account, "events", event]);
        Ok(transport::json(self.request(Method::GET, url)).await?.1)
    }

    /// `GET /v1/event-types`: the catalog, with schemas and examples, then the operational types.
    pub async fn event_types(&self) -> Result<Vec<EventTypeInfo>, Error> {
        let list: EventTypeList = transport::json(self.request(Method::GET, self.url(&["v1", "event-types"]))).await?.1;
        Ok(list.data)
    }
}
