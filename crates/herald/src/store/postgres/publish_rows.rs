//! The multi-row inserts of publishing: events and deliveries, written with
//! `INSERT … SELECT * FROM UNNEST($1, $2, …)`, one array bind per column.
//! The statement text and its bind count never change with the number of
//! rows, so each connection parses it once and a thousand rows cost one
//! statement; rows are still sent in chunks, so a huge group (a thousand
//! batches of a thousand events) never builds one enormous message.
//!
//! A publish group writes with [`insert_placed`]: its accounts' positions,
//! its events and its deliveries in one statement, so a group that fits in
//! one chunk is one round trip between reading its endpoints and committing.

use std::collections::HashSet;

use sqlx::{postgres::PgArguments, query::Query, PgConnection, Postgres, Row};

use crate::{
    domain::{DeliveryId, Timestamp},
    store::{NewEvent, StoreError, StoreResult},
};

/// Events per insert statement.
pub(super) const EVENT_CHUNK: usize = 2000;
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
    /// Whether its endpoint takes its deliveries one at a time, in publish
    /// order: [`place_ordered`] gives it its event's position.
    pub ordered: bool,
    /// When a pending delivery's first attempt is due.
    pub first_attempt_at: Timestamp,
    /// Set when the publish leases it to this process in its own commit (the
    /// hand-off, `store/lease_ahead.rs`): no claim takes it before then.
    pub lease_until: Option<Timestamp>,
}

/// The columns of a delivery insert, `$n` to `$n + 9` of its statement.
const DELIVERY_COLUMNS: &str = "INSERT INTO deliveries (id, account_id, event_id, endpoint_id, event_type, status,
                                     next_attempt_at, missed, created_at, updated_at, lease_until)";

/// Inserts `rows` (their `seq` is their position); a taken event id is [`StoreError::Conflict`].
pub(super) async fn insert_events(conn: &mut PgConnection, rows: &[EventRow<'_>]) -> StoreResult<()> {
    for chunk in rows.chunks(EVENT_CHUNK) {
        let query = sqlx::query(
            "INSERT INTO events (id, account_id, event_type, created_at, payload, is_test, seq)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bytea[], $6::boolean[],
                                  $7::bigint[])",
        );
        bind_events(query, chunk).execute(&mut *conn).await.map_err(StoreError::from_insert)?;
    }
    Ok(())
}

/// Inserts `rows`: pending for an enabled endpoint (leased, if handed off),
/// skipped (and missed) otherwise.
pub(super) async fn insert_deliveries(conn: &mut PgConnection, rows: &[DeliveryRow<'_>]) -> StoreResult<()> {
    for chunk in rows.chunks(DELIVERY_CHUNK) {
        let sql = format!(
            "{DELIVERY_COLUMNS}
             SELECT id, account_id, event_id, endpoint_id, event_type, status, next, missed, at, at, lease
               FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
                           $8::boolean[], $9::bigint[], $10::bigint[])
                 AS v(id, account_id, event_id, endpoint_id, event_type, status, next, missed, at, lease)"
        );
        bind_deliveries(sqlx::query(&sql), chunk).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Takes positions for `events` from their accounts' rows, inserts the
/// events at them, and inserts `deliveries` (whose events are in `events`
/// or already in the table), in one statement; at most [`EVENT_CHUNK`]
/// events and [`DELIVERY_CHUNK`] deliveries. Here an event's `seq` is its
/// place among this statement's events of its account, from 1, and each
/// account's position moves on by as many. The events of an account that
/// does not exist are left out. Answers the accounts found.
///
/// The account rows are locked in id order (`ORDER BY id FOR UPDATE` in the
/// subquery, which hands out each id only once its row is locked, so the
/// update can only reach rows already locked in that order): two groups of
/// two nodes with the same accounts never lock them in opposite orders. They
/// stay locked until the transaction ends, so positions follow commit order.
pub(super) async fn insert_placed(
    conn: &mut PgConnection,
    events: &[EventRow<'_>],
    deliveries: &[DeliveryRow<'_>],
) -> StoreResult<HashSet<String>> {
    let sql = format!(
        "WITH e AS (
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bytea[], $6::boolean[],
                                  $7::bigint[])
                 AS e(id, account_id, event_type, created_at, payload, is_test, place)
         ),
         n AS (SELECT account_id AS id, count(*) AS n FROM e GROUP BY account_id),
         pos AS (
             UPDATE accounts a SET event_seq = a.event_seq + n.n FROM n
              WHERE a.id = n.id
                AND a.id IN (SELECT id FROM accounts WHERE id IN (SELECT id FROM n) ORDER BY id FOR UPDATE)
             RETURNING a.id, a.event_seq - n.n AS base
         ),
         ev AS (
             INSERT INTO events (id, account_id, event_type, created_at, payload, is_test, seq)
             SELECT e.id, e.account_id, e.event_type, e.created_at, e.payload, e.is_test, pos.base + e.place
               FROM e JOIN pos ON pos.id = e.account_id
         ),
         dl AS (
             {DELIVERY_COLUMNS}
             SELECT id, account_id, event_id, endpoint_id, event_type, status, next, missed, at, at, lease
               FROM UNNEST($8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
                           $14::bigint[], $15::boolean[], $16::bigint[], $17::bigint[])
                 AS v(id, account_id, event_id, endpoint_id, event_type, status, next, missed, at, lease)
         )
         SELECT id FROM pos"
    );
    let query = bind_deliveries(bind_events(sqlx::query(&sql), events), deliveries);
    let found = query.fetch_all(&mut *conn).await.map_err(StoreError::from_insert)?;
    found.iter().map(|r| Ok(r.try_get("id")?)).collect()
}

/// Gives the deliveries among `rows` to ordered endpoints their events'
/// positions (`fifo_seq`), once the events are in: positions are taken in
/// the insert statement itself, so they are read back here. Inside the
/// publish's transaction, so no claim ever sees such a delivery without it.
/// One statement, and only when some endpoint is ordered.
pub(super) async fn place_ordered(conn: &mut PgConnection, rows: &[DeliveryRow<'_>]) -> StoreResult<()> {
    let ordered: Vec<&str> = rows.iter().filter(|d| d.ordered).map(|d| d.id.as_str()).collect();
    if ordered.is_empty() {
        return Ok(());
    }
    sqlx::query("UPDATE deliveries d SET fifo_seq = ev.seq FROM events ev WHERE d.id = ANY($1) AND ev.id = d.event_id")
        .bind(&ordered)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

type PgQuery<'q> = Query<'q, Postgres, PgArguments>;

/// Binds the columns of `rows` as the next seven parameters.
fn bind_events<'q>(query: PgQuery<'q>, rows: &'q [EventRow<'_>]) -> PgQuery<'q> {
    query
        .bind(rows.iter().map(|r| r.event.id.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.account).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.event.event_type.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.event.created_at.millis()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.event.payload.as_slice()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.is_test).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.seq).collect::<Vec<_>>())
}

/// Binds the columns of `rows` as the next ten parameters.
fn bind_deliveries<'q>(query: PgQuery<'q>, rows: &'q [DeliveryRow<'_>]) -> PgQuery<'q> {
    let status = |d: &DeliveryRow<'_>| if d.enabled { "pending" } else { "skipped" };
    let next = |d: &DeliveryRow<'_>| d.enabled.then(|| d.first_attempt_at.millis());
    query
        .bind(rows.iter().map(|d| d.id.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|d| d.account).collect::<Vec<_>>())
        .bind(rows.iter().map(|d| d.event.id.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|d| d.endpoint).collect::<Vec<_>>())
        .bind(rows.iter().map(|d| d.event.event_type.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(status).collect::<Vec<_>>())
        .bind(rows.iter().map(next).collect::<Vec<_>>())
        .bind(rows.iter().map(|d| !d.enabled).collect::<Vec<_>>())
        .bind(rows.iter().map(|d| d.event.created_at.millis()).collect::<Vec<_>>())
        .bind(rows.iter().map(|d| d.lease_until.map(Timestamp::millis)).collect::<Vec<_>>())
}
