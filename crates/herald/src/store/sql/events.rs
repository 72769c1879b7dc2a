//! Reading events back: the event log, and what polling and the live
//! stream follow.

use async_trait::async_trait;

use super::{
    bounds::{Arg, Col},
    dialect::Engine,
    rows,
    select::Select,
};
use crate::{
    domain::{AccountId, EventId, EventType},
    store::{EventLog, Page, Paged, StoreError, StoreResult, StoredEvent},
};

#[async_trait]
impl<S: Engine> EventLog for S {
    async fn list_events(
        &self,
        account: &AccountId,
        event_type: Option<&EventType>,
        page: &Page,
    ) -> StoreResult<Paged<StoredEvent>> {
        let mut query = Select::new("SELECT * FROM events WHERE account_id = ");
        query.push_text(account.to_string()).push(" AND is_test = FALSE");
        if let Some(t) = event_type {
            query.push(" AND event_type = ").push_text(t.as_str().to_owned());
        }
        query.fetch_page(self, page, rows::event, |e| e.id.to_string()).await
    }

    async fn events_after(
        &self,
        account: &AccountId,
        event_type: Option<&EventType>,
        after: &EventId,
        limit: u32,
    ) -> StoreResult<Paged<StoredEvent>> {
        let mut query = Select::new("SELECT * FROM events WHERE account_id = ");
        query.push_text(account.to_string()).push(" AND is_test = FALSE");
        if let Some(t) = event_type {
            query.push(" AND event_type = ").push_text(t.as_str().to_owned());
        }
        query.push(" AND seq > COALESCE((SELECT seq FROM events WHERE account_id = ").push_text(account.to_string());
        query.push(" AND id = ").push_text(after.to_string());
        query.push("), (SELECT MIN(seq) - 1 FROM events WHERE account_id = ").push_text(account.to_string());
        query.push(" AND id > ").push_text(after.to_string());
        query.push("), 9223372036854775807) ORDER BY seq ASC LIMIT ").push_int(i64::from(limit) + 1);
        let mut found = query.fetch_all(self).await?.iter().map(rows::event).collect::<StoreResult<Vec<_>>>()?;
        let more = found.len() > limit as usize;
        found.truncate(limit as usize);
        // Polling resumes from the last event it saw, so the cursor of the next page is that id.
        let next_cursor = if more { found.last().map(|e| e.id.to_string()) } else { None };
        Ok(Paged { items: found, next_cursor })
    }

    async fn last_event_id(&self, account: &AccountId) -> StoreResult<Option<EventId>> {
        let row = sqlx::query("SELECT id FROM events WHERE account_id = $1 ORDER BY seq DESC LIMIT 1")
            .arg(account.to_string())
            .fetch_optional(self.reads())
            .await?;
        Ok(row.map(|r| r.col("id")).transpose()?.map(EventId::from_trusted))
    }

    async fn get_event(&self, account: &AccountId, id: &EventId) -> StoreResult<StoredEvent> {
        let row = sqlx::query("SELECT * FROM events WHERE id = $1 AND account_id = $2")
            .arg(id.to_string())
            .arg(account.to_string())
            .fetch_optional(self.reads())
            .await?
            .ok_or(StoreError::NotFound)?;
        rows::event(&row)
    }
}
