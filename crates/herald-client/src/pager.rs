//! Lists read to their end: a [`Pager`] asks for one page at a time and
//! follows each page's `next_cursor` until a page has none, giving every
//! item once, in the list's order. Read it with [`Pager::next`], page by
//! page with [`Pager::next_page`], or as a `futures::Stream`.

use std::collections::VecDeque;

use futures::Stream;
use reqwest::Method;
use serde::de::DeserializeOwned;
use url::Url;

use crate::{client::Client, error::Error, transport, types::Page};

/// `?limit=` and `?cursor=` of one page of a list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// Items per page, 1 to 500 (Herald's default is 50).
    pub limit: Option<u32>,
    /// Start after this item (a page's `next_cursor`).
    pub cursor: Option<String>,
}

impl ListOptions {
    /// Pages of `limit` items.
    pub fn limit(limit: u32) -> Self {
        Self { limit: Some(limit), cursor: None }
    }

    /// Adds the options to a URL's query.
    pub(crate) fn apply(&self, url: &mut Url) {
        let mut query = url.query_pairs_mut();
        if let Some(limit) = self.limit {
            query.append_pair("limit", &limit.to_string());
        }
        if let Some(cursor) = &self.cursor {
            query.append_pair("cursor", cursor);
        }
    }
}

/// Reads one page of a list at `url` (its filters already in the query).
pub(crate) async fn page<T: DeserializeOwned>(
    client: &Client,
    mut url: Url,
    options: &ListOptions,
) -> Result<Page<T>, Error> {
    options.apply(&mut url);
    Ok(transport::json(client.request(Method::GET, url)).await?.1)
}

/// Every item of a list, page after page.
#[derive(Debug)]
pub struct Pager<T> {
    /// Who asks.
    client: Client,
    /// The list's URL with its filters, without limit and cursor.
    url: Url,
    /// The limit, and the cursor of the next page to ask for.
    options: ListOptions,
    /// Items of the last page not yet given.
    buffered: VecDeque<T>,
    /// Whether the last page had no `next_cursor`.
    done: bool,
}

impl<T: DeserializeOwned> Pager<T> {
    /// A pager of the list at `url`, from `options.cursor` (or the start).
    pub(crate) fn new(client: Client, url: Url, options: ListOptions) -> Self {
        Self { client, url, options, buffered: VecDeque::new(), done: false }
    }

    /// The next item, asking for the next page when this one is used up; `None` at the end.
    pub async fn next(&mut self) -> Result<Option<T>, Error> {
        while self.buffered.is_empty() {
            match self.next_page().await? {
                Some(items) => self.buffered.extend(items),
                None => return Ok(None),
            }
        }
        Ok(self.buffered.pop_front())
    }

    /// The rest of the current page, or the next page; `None` at the end.
    pub async fn next_page(&mut self) -> Result<Option<Vec<T>>, Error> {
        if !self.buffered.is_empty() {
            return Ok(Some(self.buffered.drain(..).collect()));
        }
        if self.done {
            return Ok(None);
        }
        let page: Page<T> = page(&self.client, self.url.clone(), &self.options).await?;
        self.done = page.next_cursor.is_none();
        self.options.cursor = page.next_cursor;
        Ok(Some(page.data))
    }

    /// The cursor the next page will be asked with: where to pick up later.
    pub fn cursor(&self) -> Option<&str> {
        self.options.cursor.as_deref()
    }

    /// Every remaining item, read to the end.
    pub async fn collect_all(mut self) -> Result<Vec<T>, Error> {
        let mut all = Vec::new();
        while let Some(items) = self.next_page().await? {
            all.extend(items);
        }
        Ok(all)
    }

    /// The items as a `futures::Stream`, ending after the last page (or at the first error).
    pub fn into_stream(self) -> impl Stream<Item = Result<T, Error>> {
        futures::stream::try_unfold(self, |mut pager| async move { Ok(pager.next().await?.map(|item| (item, pager))) })
    }
}
