//! `herald listen`: follows an account's live stream and forwards each event
//! to a local URL, signed exactly as a delivery (the dispatcher's own
//! headers), so a receiver can be developed on a laptop against real events.
//! It prints one line per event with the local answer, and after a dropped
//! connection it resumes with `Last-Event-ID`: nothing lost, nothing twice.

use std::time::Duration;

use reqwest::{redirect, Client, StatusCode, Url};

use super::sse::{Item, Reader};
use crate::{
    dispatch::headers::{user_agent, webhook_headers, WebhookRequest},
    domain::{AccountId, DeliveryId, EndpointSecret, EventId, Timestamp},
};

/// The first wait before reconnecting; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// The longest wait before reconnecting.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Silence (not even a `: keep-alive`) after which the connection is taken
/// for dead and made again: four of Herald's default heartbeats.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

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
}

/// How one connection ended, when following can go on.
#[derive(Debug)]
enum Dropped {
    /// No connection (refused, reset, DNS).
    Connect(reqwest::Error),
    /// Herald answered with a status worth retrying (5xx, 429).
    Status(StatusCode),
    /// The connection broke while the stream was read.
    Read(reqwest::Error),
    /// Nothing arrived for [`IDLE_TIMEOUT`].
    Idle,
    /// Herald ended the stream (shutting down, or this reader was too slow).
    Ended,
}

/// The two HTTP clients: the stream's, without an overall timeout, and the forwards'.
struct Clients {
    /// Reads the stream for as long as it lasts.
    stream: Client,
    /// Sends the forwards, each within the forward timeout, redirects not followed.
    forward: Client,
}

/// Follows the stream and forwards its events until ctrl-c, or until Herald refuses it.
pub async fn run(args: ListenArgs) -> Result<(), ListenError> {
    let clients = Clients {
        stream: Client::builder().user_agent(user_agent()).build().map_err(ListenError::Client)?,
        forward: Client::builder()
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
    let mut position = args.last_event_id.as_ref().map(ToString::to_string);
    let mut backoff = FIRST_BACKOFF;
    loop {
        let (dropped, connected) = follow(&args, &clients, &secret, &mut position).await?;
        if connected {
            backoff = FIRST_BACKOFF;
        }
        let resume = position.as_deref().unwrap_or("the events to come");
        println!("Connection lost ({}); reconnecting in {backoff:?}, resuming after {resume}", describe(&dropped));
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One connection: reads the stream and forwards its events until it drops.
/// Returns how it dropped and whether it got as far as the stream's opening.
async fn follow(
    args: &ListenArgs,
    clients: &Clients,
    secret: &EndpointSecret,
    position: &mut Option<String>,
) -> Result<(Dropped, bool), ListenError> {
    let mut url = args.url.clone();
    url.set_path(&format!("{}/v1/accounts/{}/events/stream", url.path().trim_end_matches('/'), args.account));
    if let Some(types) = &args.types {
        url.query_pairs_mut().append_pair("types", types);
    }
    let mut request = clients.stream.get(url).bearer_auth(&args.key).header("Accept", "text/event-stream");
    if let Some(id) = position.as_deref() {
        request = request.header("Last-Event-ID", id);
    }
    let mut response = match request.send().await {
        Ok(response) => response,
        Err(e) => return Ok((Dropped::Connect(e), false)),
    };
    let status = response.status();
    if status.is_client_error() && status != StatusCode::TOO_MANY_REQUESTS {
        return Err(ListenError::Refused { status, detail: problem_detail(response).await });
    }
    if !status.is_success() {
        return Ok((Dropped::Status(status), false));
    }
    let mut reader = Reader::default();
    let mut connected = false;
    loop {
        let chunk = match tokio::time::timeout(IDLE_TIMEOUT, response.chunk()).await {
            Err(_) => return Ok((Dropped::Idle, connected)),
            Ok(Err(e)) => return Ok((Dropped::Read(e), connected)),
            Ok(Ok(None)) => return Ok((Dropped::Ended, connected)),
            Ok(Ok(Some(chunk))) => chunk,
        };
        for item in reader.push(&chunk) {
            if !connected && !matches!(item, Item::Comment(_)) {
                connected = true;
                let after = match &item {
                    Item::Position(id) => id.as_str(),
                    _ => position.as_deref().unwrap_or("the events to come"),
                };
                println!("Connected; following the events after {after}");
            }
            match item {
                Item::Position(id) => *position = Some(id),
                Item::Event { id: Some(id), event, data } => {
                    let outcome = forward(clients, &args.forward_to, secret, &id, &event, data).await;
                    println!("{id} {event} -> {outcome}");
                    *position = Some(id);
                }
                Item::Event { id: None, event, .. } => println!("(an `{event}` event without an id is skipped)"),
                Item::Comment(text) if text.contains("Last-Event-ID") => println!("Herald: {text}"),
                Item::Comment(_) => {}
            }
        }
    }
}

/// POSTs one event to the local URL with a delivery's headers and signature;
/// returns the local answer's status, or why there was none.
async fn forward(
    clients: &Clients,
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
    let mut request = clients.forward.post(to.clone());
    for (name, value) in headers {
        request = request.header(name, value);
    }
    match request.body(body).send().await {
        Ok(response) => response.status().to_string(),
        Err(e) => format!("failed: {}", brief(&e)),
    }
}

/// What went wrong, for the reconnect line.
fn describe(dropped: &Dropped) -> String {
    match dropped {
        Dropped::Connect(e) => format!("cannot connect: {}", brief(e)),
        Dropped::Status(status) => format!("Herald answered {status}"),
        Dropped::Read(e) => format!("read failed: {}", brief(e)),
        Dropped::Idle => format!("nothing received for {IDLE_TIMEOUT:?}"),
        Dropped::Ended => "Herald ended the stream".to_owned(),
    }
}

/// What an HTTP failure comes down to: its deepest cause (`Connection
/// refused (os error 111)`), which says more than the layers above it.
fn brief(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".to_owned();
    }
    let mut deepest: &dyn std::error::Error = e;
    while let Some(cause) = deepest.source() {
        deepest = cause;
    }
    deepest.to_string()
}

/// The `detail` of a problem+json answer, or the body as it came.
async fn problem_detail(response: reqwest::Response) -> String {
    let body = response.text().await.unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|problem| problem["detail"].as_str().map(str::to_owned))
        .unwrap_or(body)
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
