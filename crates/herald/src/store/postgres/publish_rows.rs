//! The multi-row inserts of publishing: events and deliveries, written with
//! `INSERT … SELECT * FROM UNNEST($1, $2, …)`, one array bind per column.
//! The statement text and its bind count never change with the number of
//! rows, so each connection parses it once and a thousand rows cost one
//! statement; rows are still sent in chunks, so a huge group (a thousand
//! batches of a thousand events) never builds one enormous message.

use sqlx::PgConnection;

use crate::{
    domain::{DeliveryId, Timestamp},
    store::{NewEvent, StoreError, StoreResult},
};

/// Events per insert statement.
const EVENT_CHUNK: usize = 2000;
/// Deliveries per insert statement.
pub(super) const DELIVERY_CHUNK: usize = 10_000;

/// One event row to insert.
pub(super) struct EventRow<'a> {
    /// The account that published it.
    pub account: &'a str,
    /// The event itself.
    pub event: &'a NewEvent,
    /// Its position among the account's events (taken under the account row's lock).
    pub seq: i64,
    /// Sent by an endpoint's test button: stored, never listed.
    pub is_test: bool,
}

/// One delivery row to insert.
pub(super) struct DeliveryRow<'a> {
    /// Its new id.
    pub id: DeliveryId,
    /// The account of its event.
    pub account: &'a str,
    /// The event it delivers.
    pub event: &'a NewEvent,
    /// The endpoint it goes to.
    pub endpoint: &'a str,
    /// The endpoint's flag, read under its row lock: pending if enabled,
    /// skipped (and missed, for a redelivery on re-enable) otherwise.
    pub enabled: bool,
    /// When a pending delivery's first attempt is due.
    pub first_attempt_at: Timestamp,
    /// Set when the publish leases it to this process in its own commit (the
    /// hand-off, `store/lease_ahead.rs`): no claim takes it before then.
    pub lease_until: Option<Timestamp>,
}

/// Inserts `rows`; a taken event id is [`StoreError::Conflict`].
pub(super) async fn insert_events(conn: &mut PgConnection, rows: &[EventRow<'_>]) -> StoreResult<()> {
    for chunk in rows.chunks(EVENT_CHUNK) {
        sqlx::query(
            "INSERT INTO events (id, account_id, event_type, created_at, payload, is_test, seq)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bytea[], $6::boolean[],
                                  $7::bigint[])",
        )
        .bind(chunk.iter().map(|r| r.event.id.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.account).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.event.event_type.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.event.created_at.millis()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.event.payload.as_slice()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.is_test).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.seq).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await
        .map_err(StoreError::from_insert)?;
    }
    Ok(())
}

/// Inserts `rows`: pending for an enabled endpoint (leased, if handed off),
/// skipped (and missed) otherwise.
pub(super) async fn insert_deliveries(conn: &mut PgConnection, rows: &[DeliveryRow<'_>]) -> StoreResult<()> {
    for chunk in rows.chunks(DELIVERY_CHUNK) {
        let status = |d: &DeliveryRow<'_>| if d.enabled { "pending" } else { "skipped" };
        let next = |d: &DeliveryRow<'_>| d.enabled.then(|| d.first_attempt_at.millis());
        sqlx::query(
            "INSERT INTO deliveries (id, account_id, event_id, endpoint_id, event_type, status, next_attempt_at,
                                     missed, created_at, updated_at, lease_until)
             SELECT id, account_id, event_id, endpoint_id, event_type, status, next, missed, at, at, lease
               FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
                           $8::boolean[], $9::bigint[], $10::bigint[])
                 AS v(id, account_id, event_id, endpoint_id, event_type, status, next, missed, at, lease)",
        )
        .bind(chunk.iter().map(|d| d.id.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|d| d.account).collect::<Vec<_>>())
        .bind(chunk.iter().map(|d| d.event.id.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|d| d.endpoint).collect::<Vec<_>>())
        .bind(chunk.iter().map(|d| d.event.event_type.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(status).collect::<Vec<_>>())
        .bind(chunk.iter().map(next).collect::<Vec<_>>())
        .bind(chunk.iter().map(|d| !d.enabled).collect::<Vec<_>>())
        .bind(chunk.iter().map(|d| d.event.created_at.millis()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|d| d.lease_until.map(Timestamp::millis)).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
