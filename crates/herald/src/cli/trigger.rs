//! `herald trigger`: publishes one event to an account through a running
//! Herald's API, the catalog's example of its type unless data is given, so a
//! developer can make their receiver get a real, signed delivery in one command.
//! It says how many deliveries Herald will attempt, and how many it recorded as
//! `skipped` because their endpoint is disabled, so that "nothing arrived" has
//! an answer before anyone looks at a receiver.

use std::{path::PathBuf, time::Duration};

use herald_client::{Client, DeliveryFilter, DeliveryStatus, ListOptions, RawEvent};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::admin_token::TOKEN_FILE;

/// `herald trigger <type> [--data JSON] [--account A] [--url U] [--token T]`.
#[derive(Debug, Clone, clap::Args)]
#[command(about = "Publish one event (the catalog's example of its type, or --data) to an account")]
pub struct TriggerArgs {
    /// The event type, such as `project.completed` (`GET /v1/event-types` lists them).
    pub event_type: String,

    /// The event's `data`: a JSON object, or `@path` to read it from a file.
    /// Without it, the catalog's example of the type is sent.
    #[arg(long)]
    pub data: Option<String>,

    /// The account to publish for.
    #[arg(long, env = "HERALD_ACCOUNT")]
    pub account: String,

    /// Where Herald's API is.
    #[arg(long, env = "HERALD_URL", default_value = "http://127.0.0.1:8090")]
    pub url: String,

    /// The admin token. Without it: `HERALD_ADMIN_TOKEN`, then `HERALD_TOKEN`,
    /// then the token Herald generated in `$HERALD_DATA_DIR/admin-token`
    /// (`herald-data/admin-token` by default).
    #[arg(long, env = "HERALD_ADMIN_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

/// Why `herald trigger` published nothing.
#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    /// `--url` is not an absolute http(s) URL.
    #[error("--url `{0}` is not an http:// or https:// URL")]
    BadUrl(String),
    /// No token anywhere it was looked for.
    #[error("no admin token: pass --token, set HERALD_ADMIN_TOKEN (or HERALD_TOKEN), or run where {0} exists")]
    NoToken(String),
    /// `--data` is not JSON, or its file cannot be read.
    #[error("--data: {0}")]
    BadData(String),
    /// Herald could not be reached at all.
    #[error("cannot reach Herald at {url}: is `herald serve` running there?")]
    Unreachable {
        /// The URL asked.
        url: String,
        /// The transport error.
        source: reqwest::Error,
    },
    /// Herald answered with a problem: its detail, as the server wrote it.
    #[error("Herald refused ({status}): {detail}{hint}")]
    Refused {
        /// The HTTP status.
        status: StatusCode,
        /// The problem's `detail`, or the body when it is not problem+json.
        detail: String,
        /// Something to add, such as the known types; empty or starting with a newline.
        hint: String,
    },
    /// Herald answered success with a body that is not what the API promises.
    #[error("unexpected answer from {url}: {body}")]
    UnexpectedAnswer {
        /// The URL asked.
        url: String,
        /// The body, as text.
        body: String,
    },
}

/// What a successful publish answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Triggered {
    /// `evt_…`.
    pub event_id: String,
    /// How many deliveries Herald will attempt: one per enabled endpoint
    /// subscribed to the type.
    pub to_attempt: u64,
    /// How many deliveries were recorded as `skipped`, never to be attempted
    /// unless their endpoint is re-enabled with `redeliver_missed`: one per
    /// disabled endpoint subscribed to the type. The publish answer counts
    /// them with the others, so they are told apart here.
    pub skipped: u64,
}

impl Triggered {
    /// The line printed on standard output, such as `published evt_… (project.completed)
    /// for account acme: 1 delivery to attempt, 1 skipped (disabled endpoint)`.
    pub fn summary(&self, event_type: &str, account: &str) -> String {
        let plural = if self.to_attempt == 1 { "delivery" } else { "deliveries" };
        let mut line = format!(
            "published {} ({event_type}) for account {account}: {} {plural} to attempt",
            self.event_id, self.to_attempt
        );
        if self.skipped > 0 {
            let endpoints = if self.skipped == 1 { "endpoint" } else { "endpoints" };
            line.push_str(&format!(", {} skipped (disabled {endpoints})", self.skipped));
        }
        line
    }

    /// What to add on standard error when nothing will be attempted.
    pub fn warning(&self, event_type: &str, account: &str) -> Option<String> {
        match (self.to_attempt, self.skipped) {
            (0, 0) => Some(format!("no endpoint of {account} subscribes to {event_type}")),
            (0, _) => Some(format!(
                "every endpoint of {account} that subscribes to {event_type} is disabled: the event is recorded \
                 as skipped for them (POST …/endpoints/{{id}}/enable with {{\"redeliver_missed\": true}} sends it)"
            )),
            _ => None,
        }
    }
}

/// Publishes the event and prints its id and how many deliveries it got.
pub async fn run(args: &TriggerArgs) -> Result<(), TriggerError> {
    let triggered = trigger(args).await?;
    println!("{}", triggered.summary(&args.event_type, &args.account));
    if let Some(warning) = triggered.warning(&args.event_type, &args.account) {
        eprintln!("herald trigger: {warning}");
    }
    Ok(())
}

/// Publishes the event; returns what Herald answered.
pub async fn trigger(args: &TriggerArgs) -> Result<Triggered, TriggerError> {
    let client = Client::builder(&args.url, resolve_token(args.token.as_deref())?)
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("herald-trigger/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(TriggerError::from)?;
    let (data, hint) = match &args.data {
        Some(given) => (parse_data(given)?, String::new()),
        None => catalog_example(&client, &args.event_type).await?,
    };
    let event = RawEvent::new(&args.event_type, data);
    let published = client.publish(&args.account, &event).await.map_err(|e| TriggerError::from(e).with_hint(&hint))?;
    let deliveries = published.deliveries;
    let skipped =
        if deliveries == 0 { 0 } else { skipped_deliveries(&client, &args.account, &published.event.id).await? };
    Ok(Triggered { event_id: published.event.id, to_attempt: deliveries.saturating_sub(skipped), skipped })
}

/// The token: the flag (or `HERALD_ADMIN_TOKEN`), `HERALD_TOKEN`, or the generated one's file.
fn resolve_token(given: Option<&str>) -> Result<String, TriggerError> {
    let from_env = || std::env::var("HERALD_TOKEN").ok();
    if let Some(token) = given.map(str::to_owned).or_else(from_env).filter(|t| !t.trim().is_empty()) {
        return Ok(token.trim().to_owned());
    }
    let dir = std::env::var_os("HERALD_DATA_DIR").map_or_else(|| PathBuf::from("herald-data"), PathBuf::from);
    let file = dir.join(TOKEN_FILE);
    match std::fs::read_to_string(&file) {
        Ok(token) if !token.trim().is_empty() => Ok(token.trim().to_owned()),
        _ => Err(TriggerError::NoToken(file.display().to_string())),
    }
}

/// `--data`: inline JSON, or `@path`.
fn parse_data(given: &str) -> Result<Value, TriggerError> {
    let text = match given.strip_prefix('@') {
        Some(path) => {
            std::fs::read_to_string(path).map_err(|e| TriggerError::BadData(format!("cannot read {path}: {e}")))?
        }
        None => given.to_owned(),
    };
    serde_json::from_str(&text).map_err(|e| TriggerError::BadData(format!("not JSON: {e}")))
}

/// The catalog's example `data` of a type, with no hint; for a type not
/// in the catalog, `{}` and the list of known types, so the server's own
/// refusal is what the developer reads first.
async fn catalog_example(client: &Client, event_type: &str) -> Result<(Value, String), TriggerError> {
    let catalog = client.event_types().await?;
    if let Some(entry) = catalog.iter().find(|e| e.event_type == event_type) {
        return Ok((entry.example.clone(), String::new()));
    }
    let known: Vec<&str> = catalog.iter().map(|e| e.event_type.as_str()).collect();
    Ok((json!({}), format!("\nthe catalog has: {}", known.join(", "))))
}

/// How many deliveries of the event are `skipped`: those Herald recorded
/// for disabled endpoints at the publish, read page by page from the
/// account's delivery list.
async fn skipped_deliveries(client: &Client, account: &str, event_id: &str) -> Result<u64, TriggerError> {
    let filter = DeliveryFilter {
        event_id: Some(event_id.to_owned()),
        status: Some(DeliveryStatus::Skipped),
        ..DeliveryFilter::default()
    };
    let mut pages = client.deliveries(account, &filter, ListOptions::limit(500));
    let mut skipped = 0;
    while let Some(page) = pages.next_page().await? {
        skipped += page.len() as u64;
    }
    Ok(skipped)
}

impl TriggerError {
    /// The same error with a hint added to a refusal.
    fn with_hint(self, extra: &str) -> Self {
        match self {
            Self::Refused { status, detail, hint } => Self::Refused { status, detail, hint: hint + extra },
            other => other,
        }
    }
}

impl From<herald_client::Error> for TriggerError {
    /// A refusal reads as its problem's detail and the fields it does not name.
    fn from(error: herald_client::Error) -> Self {
        match error {
            herald_client::Error::Api(api) => Self::Refused {
                status: StatusCode::from_u16(api.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                detail: api.problem.explain(),
                hint: String::new(),
            },
            herald_client::Error::Transport { url, source } => Self::Unreachable { url, source },
            herald_client::Error::Decode { url, body, .. } => Self::UnexpectedAnswer { url, body },
            herald_client::Error::BadUrl(url) => Self::BadUrl(url),
            herald_client::Error::Build(source) => Self::Unreachable { url: String::new(), source },
            herald_client::Error::Encode(e) => Self::BadData(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_inline_json_or_a_file() {
        assert_eq!(parse_data(r#"{"balance": 3}"#).unwrap(), json!({"balance": 3}));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("data.json");
        std::fs::write(&file, r#"{"balance": 4}"#).unwrap();
        assert_eq!(parse_data(&format!("@{}", file.display())).unwrap(), json!({"balance": 4}));
        assert!(matches!(parse_data("{nope"), Err(TriggerError::BadData(_))));
        assert!(matches!(parse_data("@/no/such/file"), Err(TriggerError::BadData(_))));
    }

    #[test]
    fn the_summary_counts_deliveries_to_attempt_and_skipped_ones_apart() {
        let triggered = |to_attempt, skipped| Triggered { event_id: "evt_1".into(), to_attempt, skipped };
        let line = |to_attempt, skipped| triggered(to_attempt, skipped).summary("credits.low", "acme");
        assert_eq!(line(1, 0), "published evt_1 (credits.low) for account acme: 1 delivery to attempt");
        assert_eq!(line(2, 0), "published evt_1 (credits.low) for account acme: 2 deliveries to attempt");
        assert_eq!(
            line(0, 1),
            "published evt_1 (credits.low) for account acme: 0 deliveries to attempt, 1 skipped (disabled endpoint)"
        );
        assert_eq!(
            line(1, 2),
            "published evt_1 (credits.low) for account acme: 1 delivery to attempt, 2 skipped (disabled endpoints)"
        );
        assert!(triggered(0, 0).warning("credits.low", "acme").unwrap().starts_with("no endpoint of acme"));
        assert!(triggered(0, 1).warning("credits.low", "acme").unwrap().contains("is disabled"));
        assert_eq!(triggered(1, 1).warning("credits.low", "acme"), None);
    }
}
