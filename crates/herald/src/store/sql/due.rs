//! What the dispatcher reads between its claims: when the next delivery is
//! due, and whether an endpoint may still get attempts.

use async_trait::async_trait;

use super::{
    bounds::{Arg, Col},
    dialect::Engine,
};
use crate::{
    domain::{EndpointId, Timestamp},
    store::{DueStore, StoreResult},
};

#[async_trait]
impl<S: Engine> DueStore for S {
    async fn endpoint_enabled(&self, endpoint: &EndpointId) -> StoreResult<bool> {
        let row = sqlx::query("SELECT enabled FROM endpoints WHERE id = $1")
            .arg(endpoint.to_string())
            .fetch_optional(self.reads())
            .await?;
        Ok(row.map(|r| r.col::<bool>("enabled")).transpose()? == Some(true))
    }

    async fn next_due(&self) -> StoreResult<Option<Timestamp>> {
        // The due index gives the earliest at once. A leased delivery may
        // make this earlier than what can be claimed; the dispatcher then
        // waits its poll interval, which is also how soon an expired lease
        // is noticed.
        let row = sqlx::query(
            "SELECT next_attempt_at FROM deliveries WHERE status = 'pending' ORDER BY next_attempt_at LIMIT 1",
        )
        .fetch_optional(self.reads())
        .await?;
        Ok(row.map(|r| r.col::<Option<i64>>("next_attempt_at")).transpose()?.flatten().map(Timestamp::from_millis))
    }
}
