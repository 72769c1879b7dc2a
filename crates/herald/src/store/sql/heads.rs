//! Ordered endpoints' heads: each ordered endpoint gets one delivery at a
//! time, its earliest pending one in publish order (its head, by
//! `fifo_seq`). A head is leased only when it is due and none of the
//! endpoint's deliveries is held (a retry or a recovery may make an older
//! one the head while another is in flight), so while one is in flight, or
//! the head waits for its next attempt, the deliveries behind it wait too,
//! on every node. Written once for both engines: the
//! lease is one conditional `UPDATE`, which two nodes cannot both win.

use async_trait::async_trait;

use super::{
    bounds::{Arg, Col},
    dialect::Engine,
    rows,
};
use crate::{
    domain::Timestamp,
    store::{target::DUE_SELECT, ClaimedDelivery, HeadStore, StoreResult},
};

/// The head of the ordered endpoint `e`: a subquery on the partial index
/// `deliveries_fifo`.
pub(super) const HEAD: &str = "SELECT f.id FROM deliveries f
     WHERE f.endpoint_id = e.id AND f.status = 'pending' AND f.fifo_seq IS NOT NULL
     ORDER BY f.fifo_seq LIMIT 1";

#[async_trait]
impl<S: Engine> HeadStore for S {
    async fn claim_heads(
        &self,
        now: Timestamp,
        limit: u32,
        lease_until: Timestamp,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        // Read first: with no ordered endpoint, or none whose head is due,
        // a claim takes no write lock (SQLite's one writer is the hot path's).
        let due: Vec<String> = sqlx::query(&format!(
            "SELECT h.id FROM endpoints e JOIN deliveries h ON h.id = ({HEAD})
              WHERE e.ordered AND e.enabled AND h.next_attempt_at <= $1
                AND (h.lease_until IS NULL OR h.lease_until < $1)
                AND NOT EXISTS (SELECT 1 FROM deliveries x
                                 WHERE x.endpoint_id = e.id AND x.status = 'pending' AND x.fifo_seq IS NOT NULL
                                   AND x.lease_until >= $1)
              LIMIT $2"
        ))
        .arg(now.millis())
        .arg(i64::from(limit))
        .fetch_all(self.reads())
        .await?
        .iter()
        .map(|row| row.col("id"))
        .collect::<Result<_, _>>()?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        // The lease's conditions are checked again on each row it changes:
        // a head another node leased (or sent) since it was read is left.
        let ids = (3..due.len() + 3).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "UPDATE deliveries SET lease_until = $1
              WHERE status = 'pending' AND (lease_until IS NULL OR lease_until < $2) AND id IN ({ids})
              RETURNING id"
        );
        let mut leasing = sqlx::query(&sql).arg(lease_until.millis()).arg(now.millis());
        for id in due {
            leasing = leasing.arg(id);
        }
        let leased = leasing.fetch_all(self.writes()).await?;
        if leased.is_empty() {
            return Ok(Vec::new());
        }
        let list = (1..=leased.len()).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ");
        let sql = format!("{} WHERE d.id IN ({list})", *DUE_SELECT);
        let mut read = sqlx::query(&sql);
        for row in &leased {
            read = read.arg(row.col::<String>("id")?);
        }
        let mut claimed = Vec::with_capacity(leased.len());
        for row in read.fetch_all(self.writes()).await? {
            let mut head = ClaimedDelivery::claimed(rows::due(&row)?, rows::target(&row)?, self.sealer())?;
            head.ordered = true;
            claimed.push(head);
        }
        Ok(claimed)
    }
}
