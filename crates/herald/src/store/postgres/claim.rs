//! Leasing due deliveries on PostgreSQL. Several processes claim from the
//! same table at once: claiming locks the rows it picks with `FOR UPDATE …
//! SKIP LOCKED` and sets their lease in the same statement, so a row another
//! node is leasing is skipped, and a row leased a moment ago fails the lease
//! check when re-read under its lock.

use std::sync::LazyLock;

use sqlx::PgPool;

use crate::{
    domain::{EndpointId, Timestamp},
    store::{
        sql::rows::{due, target},
        target::TARGET_COLUMNS,
        ClaimedDelivery, Sealer, StoreResult,
    },
};

/// The claim: one statement, written out once.
static CLAIM_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH picked AS (
             SELECT d.id FROM deliveries d
              WHERE d.status = 'pending' AND d.fifo_seq IS NULL AND d.next_attempt_at <= $1
                AND (d.lease_until IS NULL OR d.lease_until < $1)
                AND d.endpoint_id <> ALL($2)
                AND EXISTS (SELECT 1 FROM endpoints e WHERE e.id = d.endpoint_id AND e.enabled)
              ORDER BY d.next_attempt_at, d.lease_until NULLS FIRST LIMIT $3
              FOR UPDATE OF d SKIP LOCKED
         ),
         leased AS (
             UPDATE deliveries d SET lease_until = $4 FROM picked WHERE d.id = picked.id
             RETURNING d.id, d.endpoint_id, d.event_id, d.event_type, d.attempt_count, d.schedule_base,
                       d.manual, d.next_attempt_at
         )
         SELECT l.id, l.endpoint_id, l.event_id, l.event_type, l.attempt_count, l.schedule_base, l.manual,
                {TARGET_COLUMNS}, ev.payload
           FROM leased l
           JOIN endpoints e ON e.id = l.endpoint_id
           JOIN events ev ON ev.id = l.event_id
          ORDER BY l.next_attempt_at, l.id"
    )
});

/// Leases up to `limit` due deliveries, none of `busy` endpoints, until
/// `lease_until`; ordered endpoints' deliveries are left to `sql/heads.rs`.
pub(super) async fn claim(
    pool: &PgPool,
    sealer: &Sealer,
    now: Timestamp,
    limit: u32,
    busy: &[EndpointId],
    lease_until: Timestamp,
) -> StoreResult<Vec<ClaimedDelivery>> {
    let busy: Vec<&str> = busy.iter().map(EndpointId::as_str).collect();
    // One statement: pick the earliest due in the due index's order,
    // lock them, lease them, and read what sending needs for just those.
    // The pick joins nothing, so when the planner misjudges how many are
    // due (statistics from before a re-enable made thousands pending at
    // once) and sorts instead of walking the index, it sorts ids alone.
    let rows = sqlx::query(&CLAIM_SQL)
        .bind(now.millis())
        .bind(&busy)
        .bind(i64::from(limit))
        .bind(lease_until.millis())
        .fetch_all(pool)
        .await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in &rows {
        claimed.push(ClaimedDelivery::claimed(due(row)?, target(row)?, sealer)?);
    }
    Ok(claimed)
}
