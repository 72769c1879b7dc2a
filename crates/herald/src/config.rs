//! Flags and `HERALD_*` variables, parsed once into one [`Config`].

use std::{convert::Infallible, fmt, net::SocketAddr, path::PathBuf, str::FromStr, time::Duration};

use crate::{
    domain::{AllowTargets, EncryptionKey, RetrySchedule, TargetPolicy},
    store::{sqlite::StartCheck, Sealer, StoreSettings},
};

/// Everything `herald serve` can be told, by flag or by environment.
#[derive(Debug, Clone, clap::Parser)]
#[command(about = "Run the API, the delivery workers and the portal in one process")]
pub struct Config {
    /// Where the API listens; port 0 picks a free port.
    #[arg(long, env = "HERALD_LISTEN", default_value = "127.0.0.1:8090")]
    pub listen: SocketAddr,

    /// The store: `sqlite://path/to/file.db` (created on first start), or
    /// `postgres://user:password@host/database` for a database several nodes share.
    #[arg(long, env = "HERALD_DATABASE_URL", default_value = "sqlite://herald-data/herald.db")]
    pub database_url: String,

    /// Where Herald keeps its own files (the generated admin token); defaults
    /// to the SQLite file's folder, or `herald-data`.
    #[arg(long, env = "HERALD_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// The platform's admin token; generated at first start when absent.
    #[arg(long, env = "HERALD_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<Hidden>,

    /// The key that seals endpoint secrets at rest: 32 random bytes in
    /// standard base64 (`openssl rand -base64 32`). Unset: stored unencrypted.
    #[arg(long, env = "HERALD_ENCRYPTION_KEY", hide_env_values = true)]
    pub encryption_key: Option<Hidden>,

    /// Former encryption keys, comma-separated: they still open what they
    /// sealed, and every start re-seals that with the current key.
    #[arg(long, env = "HERALD_ENCRYPTION_OLD_KEYS", hide_env_values = true)]
    pub encryption_old_keys: Option<Hidden>,

    /// Delays before attempts 1..N; N attempts fail before an endpoint is disabled.
    #[arg(long, env = "HERALD_RETRY_SCHEDULE", default_value = "0s,1m,5m,15m,1h,2h")]
    pub retry_schedule: RetrySchedule,

    /// How long one attempt may take, connection to last byte read.
    #[arg(long, env = "HERALD_DELIVERY_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub delivery_timeout: Duration,

    /// Development mode: `http://` URLs and loopback or private targets allowed.
    #[arg(long, env = "HERALD_DEV", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", value_parser = parse_bool)]
    pub dev: bool,

    /// Address blocks strict mode delivers to although they are not public:
    /// comma-separated CIDRs, IPv4 or IPv6 (`10.1.0.0/16,fd00::/8`; a bare
    /// address is a block of one). URLs must still be `https://`.
    #[arg(long, env = "HERALD_ALLOW_TARGETS")]
    pub allow_targets: Option<AllowTargets>,

    /// A JSON file of extra event types: `[{"type","description"?,"schema"?,"example"?}]`.
    #[arg(long, env = "HERALD_EVENT_TYPES_FILE")]
    pub event_types_file: Option<PathBuf>,

    /// Where people reach this Herald, for the links the portal hands out;
    /// defaults to `http://` and the listening address.
    #[arg(long, env = "HERALD_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// How long a developer-portal session lasts.
    #[arg(long, env = "HERALD_PORTAL_SESSION", default_value = "12h", value_parser = humantime::parse_duration)]
    pub portal_session: Duration,

    /// Attempts in flight at once, over all endpoints; by default what the
    /// process can hold (its limit on open files, raised to the hard one;
    /// at most 20,000).
    #[arg(long, env = "HERALD_MAX_IN_FLIGHT")]
    pub max_in_flight: Option<usize>,

    /// The most attempts in flight at once to one endpoint: the ceiling of
    /// its window, which grows while it answers promptly and shrinks on
    /// timeouts, 429 and 5xx.
    #[arg(long, env = "HERALD_MAX_IN_FLIGHT_PER_ENDPOINT", default_value_t = 64)]
    pub max_in_flight_per_endpoint: usize,

    /// How often the store is polled for due retries when nothing wakes the dispatcher.
    #[arg(long, env = "HERALD_POLL_INTERVAL", default_value = "1s", value_parser = humantime::parse_duration)]
    pub poll_interval: Duration,

    /// The most endpoints one account may have; creating one more is refused with 409.
    #[arg(long, env = "HERALD_MAX_ENDPOINTS_PER_ACCOUNT", default_value_t = 100)]
    pub max_endpoints_per_account: u32,

    /// How long events, their deliveries and attempts are kept.
    #[arg(long, env = "HERALD_RETENTION", default_value = "30d", value_parser = humantime::parse_duration)]
    pub retention: Duration,

    /// How long a claimed delivery's lease outlives the delivery timeout; after a
    /// crash, another worker takes the delivery over once the lease has expired.
    #[arg(long, env = "HERALD_LEASE_MARGIN", default_value = "30s", value_parser = humantime::parse_duration)]
    pub lease_margin: Duration,

    /// How long a live stream stays silent before it sends a `: keep-alive` comment.
    #[arg(long, env = "HERALD_STREAM_HEARTBEAT", default_value = "15s", value_parser = positive_duration)]
    pub stream_heartbeat: Duration,

    /// How often a live stream reads the store when no publish on this node
    /// woke it: how soon it sees events published through another node.
    #[arg(long, env = "HERALD_STREAM_POLL", default_value = "1s", value_parser = positive_duration)]
    pub stream_poll: Duration,

    /// How long a live stream waits for a reader that takes nothing before it
    /// ends the stream, naming where to resume (`Last-Event-ID`).
    #[arg(long, env = "HERALD_STREAM_WRITE_TIMEOUT", default_value = "30s", value_parser = positive_duration)]
    pub stream_write_timeout: Duration,

    /// How long a client may take to send a request's headers, or leave a
    /// keep-alive connection idle; then the connection is closed.
    #[arg(long, env = "HERALD_HEADER_READ_TIMEOUT", default_value = "10s", value_parser = positive_duration)]
    pub header_read_timeout: Duration,

    /// How long a client may take to send a request's body, counted from
    /// its headers; then it is answered 408 and the connection closed.
    #[arg(long, env = "HERALD_BODY_READ_TIMEOUT", default_value = "30s", value_parser = positive_duration)]
    pub body_read_timeout: Duration,

    /// Each account's share of the API: requests a second, after a burst
    /// as large, across its keys and portal sessions, counted on each node;
    /// more are answered 429 with `Retry-After`. 0 turns it off. The admin
    /// token has no limit.
    #[arg(long, env = "HERALD_ACCOUNT_RATE_LIMIT", default_value_t = 100)]
    pub account_rate_limit: u32,

    /// The most HTTP connections open at once; further clients wait in the
    /// listen backlog until one closes.
    #[arg(long, env = "HERALD_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,

    /// How long a request may wait for the database: the pools' wait for a
    /// connection, and each of the health probe's pings. While the database
    /// does not answer within it, the API answers 503 with `Retry-After`.
    #[arg(long, env = "HERALD_DATABASE_TIMEOUT", default_value = "2s", value_parser = positive_duration)]
    pub database_timeout: Duration,

    /// SQLite: the most the `-wal` file may grow to under load, in bytes or
    /// with a unit (`64MiB`, `512KiB`); see `store/sqlite/wal_bound.rs`.
    #[arg(long, env = "HERALD_SQLITE_WAL_LIMIT", default_value = "64MiB", value_parser = parse_size)]
    pub sqlite_wal_limit: u64,

    /// SQLite: how an existing file is checked before Herald starts on it:
    /// `quick` (`PRAGMA quick_check`), `full` (`PRAGMA integrity_check`,
    /// slower) or `off`; a file that fails stops the start.
    #[arg(long, env = "HERALD_SQLITE_CHECK_ON_START", default_value = "quick")]
    pub sqlite_check_on_start: StartCheck,

    /// How long attempts in flight may run on after a shutdown signal.
    #[arg(long, env = "HERALD_SHUTDOWN_GRACE", default_value = "10s", value_parser = humantime::parse_duration)]
    pub shutdown_grace: Duration,
}

/// A setting that is a secret (a token, a key): `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Hidden(String);

impl Hidden {
    /// The value itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl FromStr for Hidden {
    type Err = Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Debug for Hidden {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Hidden(…)")
    }
}

/// A duration such as `15s` or `250ms`, more than zero: it paces a loop.
fn positive_duration(s: &str) -> Result<Duration, String> {
    match humantime::parse_duration(s) {
        Ok(d) if d.is_zero() => Err("must be more than zero".into()),
        Ok(d) => Ok(d),
        Err(e) => Err(e.to_string()),
    }
}

/// A size in bytes: a number, or one with a unit (`KiB`, `MiB`, `GiB`, or
/// `KB`, `MB`, `GB` read the same way, as powers of 1024).
fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(digits);
    let number: u64 = number.parse().map_err(|_| format!("`{s}` is not a size such as 64MiB"))?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => return Err(format!("`{other}` is not a unit of size (use KiB, MiB or GiB)")),
    };
    number
        .checked_mul(scale)
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{s}` must be more than zero and fit in 64 bits"))
}

/// Accepts the spellings people use for on and off in environment variables.
fn parse_bool(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        other => Err(format!("`{other}` is not on or off (use 1/0, true/false)")),
    }
}

impl Config {
    /// The sealer of endpoint secrets the encryption keys make. An invalid
    /// key is refused with the variable's name, never with its value.
    pub fn sealer(&self) -> anyhow::Result<Sealer> {
        let current = self
            .encryption_key
            .as_ref()
            .map(|k| k.expose().trim())
            .filter(|k| !k.is_empty())
            .map(EncryptionKey::parse)
            .transpose()
            .map_err(|e| anyhow::anyhow!("HERALD_ENCRYPTION_KEY {e}"))?;
        let old = EncryptionKey::parse_list(self.encryption_old_keys.as_ref().map_or("", Hidden::expose))
            .map_err(|(n, e)| anyhow::anyhow!("key {n} of HERALD_ENCRYPTION_OLD_KEYS {e}"))?;
        Ok(Sealer::new(current, old))
    }

    /// Where deliveries may go: development mode, or strict mode with the trusted blocks.
    pub fn target_policy(&self) -> TargetPolicy {
        if self.dev {
            TargetPolicy::development()
        } else {
            TargetPolicy::strict(self.allow_targets.clone().unwrap_or_default())
        }
    }

    /// What the store needs of this configuration beyond its URL.
    pub fn store_settings(&self) -> StoreSettings {
        StoreSettings {
            sqlite_wal_limit: self.sqlite_wal_limit,
            sqlite_check_on_start: self.sqlite_check_on_start,
            database_timeout: self.database_timeout,
        }
    }

    /// The folder for Herald's own files.
    pub fn data_dir(&self) -> PathBuf {
        if let Some(dir) = &self.data_dir {
            return dir.clone();
        }
        self.database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"))
            .map(|path| path.split('?').next().unwrap_or(path))
            .and_then(|path| std::path::Path::new(path).parent().map(PathBuf::from))
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("herald-data"))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_read_with_or_without_a_unit() {
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("512 KiB"), Ok(512 << 10));
        assert_eq!(parse_size("1gb"), Ok(1 << 30));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("0MiB").is_err());
        assert!(parse_size("ten MiB").is_err());
        assert!(parse_size("64 parsecs").is_err());
    }
}
