//! `herald listen`: follows an account's live stream and forwards each event
//! to a local URL, signed exactly as a delivery (the dispatcher's own
//! headers), so a receiver can be developed on a laptop against real events.
//! It prints one line per event with the local answer, and after a dropped
//! connection it resumes with `Last-Event-ID`: nothing lost, nothing twice.

use std::time::Duration;

use herald_client::{brief, LiveStream, StreamItem, StreamOptions};
use reqwest::{redirect, Client, StatusCode, Url};

use crate::{
    dispatch::headers::{user_agent, webhook_headers, WebhookRequest},
    domain::{AccountId, DeliveryId, EndpointSecret, EventId, Timestamp},
};

/// Where to listen, where to forward, and how to sign.
#[derive(Debug, Clone, clap::Args)]
#[command(about = "Forward an account's live events to a local URL, signed as deliveries")]
pub struct ListenArgs {
    /// The local URL each event is POSTed to, e.g. `http://127.0.0.1:3000/webhook` (a receiver example's).
    #[arg(long, value_parser = http_url)]
    pub forward_to: Url,

    /// Where Herald is.
    #[arg(long, env = "HERALD_URL", default_value = "http://127.0.0.1:8090", value_parser = http_url)]
    pub url: Url,

    /// An account key (`hk_…`) or the admin token.
    #[arg(long, env = "HERALD_KEY", hide_env_values = true)]
    pub key: String,

    /// The account whose events are followed.
    #[arg(long, env = "HERALD_ACCOUNT", value_parser = account_id)]
    pub account: AccountId,

    /// The secret forwards are signed with (`whsec_…`); one is generated, and
    /// printed, when absent.
    #[arg(long, env = "HERALD_LISTEN_SECRET", hide_env_values = true, value_parser = secret)]
    pub secret: Option<EndpointSecret>,

    /// Only these event types: comma-separated, `project.*` patterns allowed.
    #[arg(long)]
    pub types: Option<String>,

    /// Start right after this event instead of with the events to come.
    #[arg(long, value_parser = event_id)]
    pub last_event_id: Option<EventId>,

    /// How long one forward may take.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    pub forward_timeout: Duration,
}

/// Why `herald listen` gives up.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    /// Herald answered the stream request with a refusal that retrying will not change.
    #[error("Herald refused the stream with {status}: {detail}")]
    Refused {
        /// The status it answered.
        status: StatusCode,
        /// Its problem's detail, or its body.
        detail: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client")]
    Client(#[source] reqwest::Error),
    /// The Herald client could not be built (or failed in a way retrying cannot mend).
    #[error(transparent)]
    Herald(herald_client::Error),
}

/// Sends the forwards, each within the forward timeout, redirects not followed.
struct Forwarder {
    /// The HTTP client of the forwards.
    client: Client,
}

/// Follows the stream and forwards its events until ctrl-c, or until Herald refuses it.
pub async fn run(args: ListenArgs) -> Result<(), ListenError> {
    let herald = herald_client::Client::builder(args.url.as_str(), &args.key)
        .user_agent(user_agent())
        .build()
        .map_err(ListenError::Herald)?;
    let forwarder = Forwarder {
        client: Client::builder()
            .user_agent(user_agent())
            .redirect(redirect::Policy::none())
            .timeout(args.forward_timeout)
            .build()
            .map_err(ListenError::Client)?,
    };
    let secret = match &args.secret {
        Some(secret) => secret.clone(),
        None => {
            let secret = EndpointSecret::generate();
            println!("Generated a signing secret (give it to your receiver, or pass --secret next time):");
            secret
        }
    };
    println!("Signing secret: {}", secret.expose());
    println!("Forwarding the events of account {} at {} to {}", args.account, args.url, args.forward_to);
    let options = StreamOptions {
        types: args.types.iter().cloned().collect(),
        last_event_id: args.last_event_id.as_ref().map(ToString::to_string),
        ..StreamOptions::default()
    };
    let mut stream = herald.stream_events(args.account.as_str(), options);
    follow(&args, &mut stream, &forwarder, &secret).await
}

/// Reads the stream and forwards its events, across reconnections (the
/// client resumes with `Last-Event-ID` after the last event forwarded),
/// printing when each connection opens and drops.
async fn follow(
    args: &ListenArgs,
    stream: &mut LiveStream,
    forwarder: &Forwarder,
    secret: &EndpointSecret,
) -> Result<(), ListenError> {
    let mut connected = false;
    loop {
        let item = stream.next().await.map_err(refused)?;
        if !connected && !matches!(item, StreamItem::Comment(_) | StreamItem::Dropped { .. }) {
            connected = true;
            let after = match &item {
                StreamItem::Position(id) => id.as_str(),
                _ => stream.last_event_id().unwrap_or("the events to come"),
            };
            println!("Connected; following the events after {after}");
        }
        match item {
            StreamItem::Position(_) => {}
            StreamItem::Event(event) => {
                let outcome =
                    forward(forwarder, &args.forward_to, secret, &event.id, &event.event_type, event.data).await;
                println!("{} {} -> {outcome}", event.id, event.event_type);
            }
            StreamItem::WithoutId { event_type } => println!("(an `{event_type}` event without an id is skipped)"),
            StreamItem::Comment(text) if text.contains("Last-Event-ID") => println!("Herald: {text}"),
            StreamItem::Comment(_) => {}
            StreamItem::Dropped { reason, retry_in } => {
                connected = false;
                let resume = stream.last_event_id().unwrap_or("the events to come");
                println!("Connection lost ({reason}); reconnecting in {retry_in:?}, resuming after {resume}");
            }
        }
    }
}

/// A refusal of the stream that retrying will not change, as `herald listen` words it.
fn refused(error: herald_client::Error) -> ListenError {
    match error {
        herald_client::Error::Api(api) => ListenError::Refused {
            status: StatusCode::from_u16(api.status).unwrap_or(StatusCode::BAD_REQUEST),
            detail: api.problem.detail,
        },
        other => ListenError::Herald(other),
    }
}

/// POSTs one event to the local URL with a delivery's headers and signature;
/// returns the local answer's status, or why there was none.
async fn forward(
    forwarder: &Forwarder,
    to: &Url,
    secret: &EndpointSecret,
    event_id: &str,
    event_type: &str,
    body: Vec<u8>,
) -> String {
    let delivery = DeliveryId::generate();
    let headers = webhook_headers(&WebhookRequest {
        event_id,
        event_type,
        delivery_id: delivery.as_str(),
        attempt: 1,
        secrets: &[secret.expose()],
        timestamp: Timestamp::now().unix_seconds(),
        body: &body,
    });
    let mut request = forwarder.client.post(to.clone());
    for (name, value) in headers {
        request = request.header(name, value);
    }
    match request.body(body).send().await {
        Ok(response) => response.status().to_string(),
        Err(e) => format!("failed: {}", brief(&e)),
    }
}

/// An `http://` or `https://` URL.
fn http_url(s: &str) -> Result<Url, String> {
    let url = Url::parse(s).map_err(|e| format!("`{s}` is not a URL: {e}"))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(format!("`{s}` is not an http:// or https:// URL (it is {other}://)")),
    }
}

fn account_id(s: &str) -> Result<AccountId, String> {
    AccountId::parse(s).map_err(|e| e.to_string())
}

fn secret(s: &str) -> Result<EndpointSecret, String> {
    EndpointSecret::parse(s).map_err(|e| e.to_string())
}

fn event_id(s: &str) -> Result<EventId, String> {
    EventId::parse(s).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_are_taken() {
        assert!(http_url("http://localhost:3000/webhooks").is_ok());
        assert!(http_url("https://example.com").is_ok());
        assert!(http_url("ftp://example.com").is_err());
        assert!(http_url("localhost:3000").is_err());
    }
}
