//! What the dispatcher asks between its claims: when the next delivery is
//! due, whether an endpoint may still get attempts, and when a rate-limited
//! endpoint's next delivery may go.

use async_trait::async_trait;

use super::{
    bounds::{Arg, Col},
    dialect::{Engine, Sql},
    heads::HEAD,
};
use crate::{
    domain::{EndpointId, Timestamp},
    store::{DueStore, StoreResult},
};

/// How far ahead of its pace an endpoint may run: one second's worth of deliveries at once.
const BURST_US: i64 = 1_000_000;

#[async_trait]
impl<S: Engine> DueStore for S {
    async fn endpoint_enabled(&self, endpoint: &EndpointId) -> StoreResult<bool> {
        let row = sqlx::query("SELECT enabled FROM endpoints WHERE id = $1")
            .arg(endpoint.to_string())
            .fetch_optional(self.reads())
            .await?;
        Ok(row.map(|r| r.col::<bool>("enabled")).transpose()? == Some(true))
    }

    async fn take_slot(&self, endpoint: &EndpointId, per_second: u32, now: Timestamp) -> StoreResult<Timestamp> {
        // GCRA on the theoretical arrival time every node shares, in one
        // atomic statement: each caller's slot is one interval after the
        // last, and up to one second's worth may be taken at once.
        let interval = 1_000_000 / i64::from(per_second.max(1));
        let now_us = now.millis().saturating_mul(1000);
        let tat: i64 = sqlx::query(&format!(
            "INSERT INTO endpoint_rates (endpoint_id, tat) VALUES ($1, $2 + $3)
             ON CONFLICT (endpoint_id) DO UPDATE SET tat = {}(endpoint_rates.tat, $2) + $3
             RETURNING tat",
            S::Db::GREATEST
        ))
        .arg(endpoint.to_string())
        .arg(now_us)
        .arg(interval)
        .fetch_one(self.writes())
        .await?
        .col("tat")?;
        let slot_us = (tat - BURST_US).max(now_us);
        // Rounded up: never a millisecond early.
        Ok(Timestamp::from_millis((slot_us + 999).div_euclid(1000)))
    }

    async fn next_due(&self) -> StoreResult<Option<Timestamp>> {
        // The due index gives the earliest at once; ordered endpoints'
        // deliveries are not in it, and only their heads count. A leased
        // delivery may make this earlier than what can be claimed; the
        // dispatcher then waits its poll interval, which is also how soon
        // an expired lease is noticed.
        let row = sqlx::query(&format!(
            "SELECT (SELECT next_attempt_at FROM deliveries WHERE status = 'pending' AND fifo_seq IS NULL
                      ORDER BY next_attempt_at LIMIT 1) AS general,
                    (SELECT MIN(h.next_attempt_at) FROM endpoints e JOIN deliveries h ON h.id = ({HEAD})
                      WHERE e.ordered AND e.enabled) AS ordered"
        ))
        .fetch_one(self.reads())
        .await?;
        let (general, ordered) = (row.col::<Option<i64>>("general")?, row.col::<Option<i64>>("ordered")?);
        Ok(general.into_iter().chain(ordered).min().map(Timestamp::from_millis))
    }
}
