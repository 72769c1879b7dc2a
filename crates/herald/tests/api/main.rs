//! Herald's black-box test suite: a real `herald serve` in process on port 0
//! with its own fresh database, real receivers on loopback, HTTP to both.
//! The same suite runs on SQLite (the default) and, with
//! `HERALD_TEST_ENGINE=postgres` and `HERALD_TEST_DATABASE_URL`, on PostgreSQL.
//!
//! `database` gives each test its database on the engine of the run,
//! `helpers` starts and restarts Herald (configured by `options`) and speaks its API, `checks` holds the
//! shared assertions, `fixtures` the test data, `receiver` records what Herald
//! sends, `hostile_servers` and `self_signed` are receivers that misbehave on
//! purpose, `signature` recomputes both signature schemes from first principles,
//! `sse` reads the live stream, `routes` reads the route list from the
//! server's OpenAPI document (so that `tenancy` covers every route, new ones
//! included), `rotated` captures a delivery signed during a secret rotation;
//! every other module is one subject of the contract; `crash` runs
//! the `herald` binary itself, to kill it with SIGKILL, `logs` to search its
//! logs for secrets, `tools` runs its developer tools (`herald trigger`,
//! `herald verify`), `disk_full` mounts a small tmpfs of its own (as root)
//! and fills it under a SQLite database, `listen` runs `herald listen`,
//! `examples` runs the receiver examples of `examples/receivers/` as child
//! processes, `clients` runs the test suites of the Python and TypeScript
//! client libraries, and `readme` runs what the README prints: its
//! verifiers and its `herald listen` example.

// Tests say what they expect with `unwrap`/`expect`: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod checks;
mod database;
mod fixtures;
mod helpers;
mod hostile_servers;
mod node_process;
mod options;
mod private_postgres;
mod publisher;
mod receiver;
mod rotated;
mod routes;
mod sample;
mod self_signed;
mod signature;
mod sse;
mod tenant;

mod account_share;
mod address_guard;
mod answers;
mod bad_input;
mod clients;
mod concurrency;
mod conformance;
mod content_filters;
mod contract;
mod crash;
mod custom_headers;
mod cut_off;
mod database_outage;
mod deliveries;
mod disk_full;
mod endpoints;
mod examples;
mod failures;
mod handoff;
mod hostile;
mod hostile_clients;
mod idempotency;
mod limits;
mod listen;
mod logs;
mod nodes;
mod operational;
mod ops;
mod ordered;
mod ordered_crash;
mod polling;
mod portal;
mod publish;
mod publish_groups;
mod rate_limits;
mod readme;
mod recover;
mod restart;
mod retention;
mod retries;
mod rolling_restart;
mod rotation;
mod rust_client;
mod rust_client_events;
mod secrets_at_rest;
mod startup;
mod stats;
mod stream;
mod stream_lag;
mod tenancy;
mod tools;
mod wal;
mod wire_format;
