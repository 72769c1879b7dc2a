//! Leasing due deliveries on the hot writer's connection, and extending a
//! lease an attempt still needs.

use rusqlite::{params, params_from_iter, types::Value, Row, Transaction};

use super::placeholders::placeholders;
use crate::{
    domain::{DeliveryId, EndpointId, EventId, Timestamp},
    store::{
        target::{Due, Target, DUE_SELECT},
        ClaimedDelivery, Sealer, StoreResult,
    },
};

/// Leases up to `limit` due deliveries, none of `busy` endpoints, until
/// `lease_until`; ordered endpoints' deliveries are left to `sql/heads.rs`.
pub fn claim(
    tx: &Transaction<'_>,
    sealer: &Sealer,
    now: Timestamp,
    limit: u32,
    busy: &[EndpointId],
    lease_until: Timestamp,
) -> StoreResult<Vec<ClaimedDelivery>> {
    let sql = format!(
        "{}
         WHERE d.status = 'pending' AND d.fifo_seq IS NULL AND d.next_attempt_at <= ?
           AND (d.lease_until IS NULL OR d.lease_until < ?)
           AND e.enabled = 1 AND d.endpoint_id NOT IN ({})
         ORDER BY d.next_attempt_at LIMIT ?",
        *DUE_SELECT,
        placeholders(busy.len()),
    );
    let mut binds = vec![Value::from(now.millis()), Value::from(now.millis())];
    binds.extend(busy.iter().map(|e| Value::from(e.as_str().to_owned())));
    binds.push(Value::from(i64::from(limit)));
    let mut statement = tx.prepare_cached(&sql)?;
    let mut rows = statement.query(params_from_iter(binds))?;
    let mut claimed = Vec::new();
    while let Some(row) = rows.next()? {
        let due = Due {
            id: DeliveryId::from_trusted(row.get("id")?),
            endpoint_id: EndpointId::from_trusted(row.get("endpoint_id")?),
            event_id: EventId::from_trusted(row.get("event_id")?),
            event_type: row.get("event_type")?,
            payload: row.get("payload")?,
            attempt_count: row.get("attempt_count")?,
            schedule_base: row.get("schedule_base")?,
            manual: row.get("manual")?,
        };
        claimed.push(ClaimedDelivery::claimed(due, target(row)?, sealer)?);
    }
    let mut lease = tx.prepare_cached("UPDATE deliveries SET lease_until = ? WHERE id = ?")?;
    for c in &claimed {
        lease.execute(params![lease_until.millis(), c.id.as_str()])?;
    }
    Ok(claimed)
}

/// Extends a lease held until `held` to `until`; whether it was still held.
pub fn renew_lease(tx: &Transaction<'_>, id: &DeliveryId, held: Timestamp, until: Timestamp) -> StoreResult<bool> {
    let renewed = tx
        .prepare_cached(
            "UPDATE deliveries SET lease_until = ? WHERE id = ? AND lease_until = ? AND status = 'pending'",
        )?
        .execute(params![until.millis(), id.as_str(), held.millis()])?;
    Ok(renewed == 1)
}

/// An endpoint's [`Target`], from a row that selected `TARGET_COLUMNS`: the
/// one reader of them on SQLite, for claims and publishes alike.
pub(super) fn target(row: &Row<'_>) -> rusqlite::Result<Target> {
    Ok(Target {
        url: row.get("url")?,
        sealed: (row.get("secret")?, row.get("previous_secret")?, row.get("previous_expires_at")?),
        rate_limit: row.get("rate_limit")?,
        sealed_headers: row.get("headers")?,
    })
}
