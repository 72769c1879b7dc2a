//! How a test app is configured: the command-line options each test can
//! change (retry schedule, timeouts, strict mode, keys, limits) with the
//! suite's usual values as the default.

use crate::helpers::ADMIN_TOKEN;

/// How a test app is configured; `Options::default()` is the suite's usual server.
#[derive(Clone, Debug)]
pub struct Options {
    /// `--retry-schedule`.
    pub retry_schedule: String,
    /// `--delivery-timeout`.
    pub delivery_timeout: String,
    /// `--poll-interval`.
    pub poll_interval: String,
    /// `--dev`: http:// and loopback targets allowed.
    pub dev: bool,
    /// `--admin-token`; `None` lets Herald generate one.
    pub admin_token: Option<String>,
    /// `--retention`.
    pub retention: String,
    /// `--encryption-key`: the key that seals endpoint secrets at rest.
    pub encryption_key: Option<String>,
    /// `--encryption-old-keys`: keys that still open, comma-separated.
    pub encryption_old_keys: Option<String>,
    /// `--allow-targets`: non-public blocks strict mode delivers to.
    pub allow_targets: Option<String>,
    /// `--stream-heartbeat`.
    pub stream_heartbeat: String,
    /// `--stream-write-timeout`.
    pub stream_write_timeout: String,
    /// `--max-endpoints-per-account`; `None` keeps Herald's default.
    pub max_endpoints: Option<u32>,
    /// `--sqlite-wal-limit`; `None` keeps Herald's default.
    pub sqlite_wal_limit: Option<String>,
    /// `--max-in-flight-per-endpoint`; `None` keeps Herald's default.
    pub max_in_flight_per_endpoint: Option<usize>,
    /// `--lease-margin`; `None` keeps Herald's default.
    pub lease_margin: Option<String>,
    /// `--header-read-timeout` and `--max-connections`; `None` keeps Herald's defaults.
    pub connections: Option<(String, usize)>,
    /// `--body-read-timeout`; `None` keeps Herald's default.
    pub body_read_timeout: Option<String>,
    /// `--account-rate-limit`; `None` keeps Herald's default.
    pub account_rate_limit: Option<u32>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            retry_schedule: "0s,50ms,50ms,50ms,50ms,50ms".into(),
            delivery_timeout: "2s".into(),
            poll_interval: "50ms".into(),
            dev: true,
            admin_token: Some(ADMIN_TOKEN.into()),
            retention: "30d".into(),
            encryption_key: None,
            encryption_old_keys: None,
            allow_targets: None,
            stream_heartbeat: "15s".into(),
            stream_write_timeout: "30s".into(),
            max_endpoints: None,
            sqlite_wal_limit: None,
            max_in_flight_per_endpoint: None,
            lease_margin: None,
            connections: None,
            body_read_timeout: None,
            account_rate_limit: None,
        }
    }
}

impl Options {
    /// The same options with another ceiling on one endpoint's attempts at once.
    pub fn max_in_flight_per_endpoint(mut self, max: usize) -> Self {
        self.max_in_flight_per_endpoint = Some(max);
        self
    }

    /// The same options with another header read timeout and cap on open connections.
    pub fn connections(mut self, header_read_timeout: &str, max_connections: usize) -> Self {
        self.connections = Some((header_read_timeout.into(), max_connections));
        self
    }

    /// The same options with another body read timeout.
    pub fn body_read_timeout(mut self, timeout: &str) -> Self {
        self.body_read_timeout = Some(timeout.into());
        self
    }

    /// The same options with another share of requests per account (0: none).
    pub fn account_rate_limit(mut self, per_second: u32) -> Self {
        self.account_rate_limit = Some(per_second);
        self
    }

    /// The same options with another lease margin (how long a lease outlives the delivery timeout).
    pub fn lease_margin(mut self, margin: &str) -> Self {
        self.lease_margin = Some(margin.into());
        self
    }

    /// The same options with another poll interval (how long the workers may
    /// go without looking at the store).
    pub fn poll_interval(mut self, interval: &str) -> Self {
        self.poll_interval = interval.into();
        self
    }

    /// The same options with another limit on SQLite's `-wal` file.
    pub fn sqlite_wal_limit(mut self, limit: &str) -> Self {
        self.sqlite_wal_limit = Some(limit.into());
        self
    }

    /// The same options with another retry schedule.
    pub fn schedule(mut self, schedule: &str) -> Self {
        self.retry_schedule = schedule.into();
        self
    }

    /// The same options with another delivery timeout.
    pub fn timeout(mut self, timeout: &str) -> Self {
        self.delivery_timeout = timeout.into();
        self
    }

    /// The same options as a production server (`--dev false`).
    pub fn production(mut self) -> Self {
        self.dev = false;
        self
    }

    /// The same options trusting these blocks (`HERALD_ALLOW_TARGETS`).
    pub fn allow_targets(mut self, blocks: &str) -> Self {
        self.allow_targets = Some(blocks.into());
        self
    }

    /// The same options with another retention period.
    pub fn retention(mut self, retention: &str) -> Self {
        self.retention = retention.into();
        self
    }

    /// The same options with this key sealing endpoint secrets (`None`: unencrypted).
    pub fn encryption_key(mut self, key: Option<&str>) -> Self {
        self.encryption_key = key.map(str::to_string);
        self
    }

    /// The same options with these old keys (comma-separated) still opening secrets.
    pub fn old_keys(mut self, keys: Option<&str>) -> Self {
        self.encryption_old_keys = keys.map(str::to_string);
        self
    }

    /// The same options with another live-stream heartbeat interval.
    pub fn stream_heartbeat(mut self, interval: &str) -> Self {
        self.stream_heartbeat = interval.into();
        self
    }

    /// The same options with another live-stream write timeout.
    pub fn stream_write_timeout(mut self, timeout: &str) -> Self {
        self.stream_write_timeout = timeout.into();
        self
    }

    /// The same options with another limit of endpoints per account.
    pub fn max_endpoints(mut self, max: u32) -> Self {
        self.max_endpoints = Some(max);
        self
    }

    /// The same options without an admin token, so Herald generates one.
    pub fn generated_token(mut self) -> Self {
        self.admin_token = None;
        self
    }
}
