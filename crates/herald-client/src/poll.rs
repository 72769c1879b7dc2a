//! Polling (`GET …/events?after=<event id>`): a [`Poller`] keeps the id of
//! the last event it gave and asks for the events committed after it,
//! oldest first, so it sees every event once, with no gap and no repeat,
//! while others publish. An empty answer means it is up to date: the
//! caller waits a little and asks again.

use std::collections::VecDeque;

use reqwest::Method;
use url::Url;

use crate::{
    client::Client,
    error::Error,
    transport,
    types::{Envelope, Page},
};

/// A position before every event an account still has: poll from it to read them all.
pub const FIRST_POSITION: &str = "evt_00000000000000000000000000";

/// Options of a [`Poller`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollOptions {
    /// Only events of this type.
    pub event_type: Option<String>,
    /// Events per request, 1 to 500 (Herald's default is 50).
    pub limit: Option<u32>,
}

/// The events of one account after a position, page after page.
#[derive(Debug)]
pub struct Poller {
    /// Who asks.
    client: Client,
    /// The event list's URL with its type filter, without `after` and `limit`.
    url: Url,
    /// Events per request.
    limit: Option<u32>,
    /// The id of the last event given to the caller (or the starting position).
    given: String,
    /// The id of the last event read from Herald: what the next request asks after.
    fetched: String,
    /// Events of the last page not yet given.
    buffered: VecDeque<Envelope>,
}

impl Client {
    /// A poller of the account's events after `after` (an event id, or
    /// [`FIRST_POSITION`] for all of them; see [`Client::newest_event_id`] to start with the events to come).
    pub fn poll_events(&self, account: &str, after: &str, options: PollOptions) -> Poller {
        let mut url = self.url(&["v1", "accounts", account, "events"]);
        if let Some(event_type) = &options.event_type {
            url.query_pairs_mut().append_pair("type", event_type);
        }
        let (given, fetched) = (after.to_owned(), after.to_owned());
        Poller { client: self.clone(), url, limit: options.limit, given, fetched, buffered: VecDeque::new() }
    }

    /// The id of the account's newest event, or [`FIRST_POSITION`] if it has none:
    /// where to poll from to get only the events to come.
    pub async fn newest_event_id(&self, account: &str) -> Result<String, Error> {
        let mut url = self.url(&["v1", "accounts", account, "events"]);
        url.query_pairs_mut().append_pair("limit", "1");
        let page: Page<Envelope> = transport::json(self.request(Method::GET, url)).await?.1;
        Ok(page.data.into_iter().next().map_or_else(|| FIRST_POSITION.to_owned(), |event| event.id))
    }
}

impl Poller {
    /// The next event, or `None` when there is none yet (ask again later).
    pub async fn next(&mut self) -> Result<Option<Envelope>, Error> {
        if self.buffered.is_empty() {
            let page = self.fetch().await?;
            self.buffered.extend(page);
        }
        let event = self.buffered.pop_front();
        if let Some(event) = &event {
            self.given.clone_from(&event.id);
        }
        Ok(event)
    }

    /// The next events (what is left of the last page, or a new one), oldest
    /// first; empty when up to date.
    pub async fn next_page(&mut self) -> Result<Vec<Envelope>, Error> {
        let page: Vec<Envelope> =
            if self.buffered.is_empty() { self.fetch().await? } else { self.buffered.drain(..).collect() };
        if let Some(last) = page.last() {
            self.given.clone_from(&last.id);
        }
        Ok(page)
    }

    /// The id of the last event given (or the starting position): keep it
    /// to resume after a restart with nothing lost and nothing twice.
    pub fn after(&self) -> &str {
        &self.given
    }

    /// Reads one page after the position, and moves the position to its last event.
    async fn fetch(&mut self) -> Result<Vec<Envelope>, Error> {
        let mut url = self.url.clone();
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("after", &self.fetched);
            if let Some(limit) = self.limit {
                query.append_pair("limit", &limit.to_string());
            }
        }
        let page: Page<Envelope> = transport::json(self.client.request(Method::GET, url)).await?.1;
        if let Some(last) = page.data.last() {
            self.fetched.clone_from(&last.id);
        }
        Ok(page.data)
    }
}
