//! The shared store: one PostgreSQL database that several `herald serve`
//! processes use at once. Every process sees the same world because nothing
//! lives outside the database; workers on different nodes never lease the
//! same delivery because claiming locks the rows it leases, and a delivery
//! handed off at publish is inserted already leased to the publishing node
//! (`store/lease_ahead.rs`), which every claim skips until the lease expires.
//!
//! The SQL is plain and written to run unchanged on engines that speak
//! PostgreSQL's dialect (CockroachDB, YugabyteDB, AlloyDB, Neon). It relies on
//! exactly these constructs, and nothing else beyond SQL-92:
//!
//! - `SELECT … FOR UPDATE OF <table> SKIP LOCKED`: claiming due deliveries;
//! - `SELECT … FOR UPDATE` / `FOR SHARE`: read-then-write decisions (an
//!   endpoint's enabled flag) under READ COMMITTED;
//! - `INSERT … ON CONFLICT DO NOTHING`: idempotency keys and attempt rows;
//! - `IS NOT DISTINCT FROM`: the re-seal pass's compare-and-set of secrets;
//! - `UPDATE … FROM … RETURNING`: accounts' event positions, taken under the
//!   account rows' locks so that they follow commit order (locked in id
//!   order by an `… IN (SELECT … ORDER BY id FOR UPDATE)` subquery);
//! - `= ANY($1)` / `<> ALL($1)` over a text array bind, and multi-argument
//!   `UNNEST($1, $2, …)` of array binds (the multi-row writes of publishing
//!   and of the attempt log);
//! - `GREATEST`, `BOOLEAN`, `BYTEA`, `BIGINT` millisecond times;
//! - partial indexes (`CREATE INDEX … WHERE …`).
//!
//! No extensions, no `LISTEN/NOTIFY`, no advisory locks of its own (sqlx's
//! migrator takes one while migrating). Locks are always taken endpoint row
//! first, delivery rows second, so transactions never wait on each other in a
//! cycle (a group of outcomes in the attempt log locks several pairs in one
//! statement; should PostgreSQL ever find it in a deadlock, the group rolls
//! back and each outcome is recorded alone); publishing claims its idempotency
//! keys first, then shares its endpoint rows, then takes its account rows'
//! locks (several accounts in id order, in one group), and waits on nothing
//! else while holding those.
//!
//! Give Herald a schema of its own with
//! `postgres://…/db?options=-c%20search_path%3Dherald`.

mod attempt_log;
mod claim;
mod dispatch;
mod idempotency;
mod outcome;
mod pool;
mod publish;
mod publish_group;
mod publish_rows;
mod publish_statements;
mod text;

pub use self::pool::PostgresStore;
