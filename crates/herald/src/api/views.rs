//! What the API answers with: the JSON shapes of the contract, built from
//! store records.

use serde::Serialize;
use serde_json::{value::RawValue, Value};
use utoipa::ToSchema;

use crate::{
    domain::{AttemptError, CustomHeaders, DeliveryStatus, DisabledCause},
    store::{Account, Attempt, Delivery, Endpoint, Paged, StoredEvent},
};

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T> {
    /// The items, newest first unless the route says otherwise.
    pub data: Vec<T>,
    /// Pass as `cursor` for the next page (it is the id of the last item of
    /// this one); null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> List<T> {
    /// Maps a store page into a list of views.
    pub fn of<R>(page: Paged<R>, view: impl Fn(R) -> T) -> Self {
        Self { data: page.items.into_iter().map(view).collect(), next_cursor: page.next_cursor }
    }
}

/// An account.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    /// `acc_…` or the platform's own id.
    pub id: String,
    /// A name for people.
    pub name: String,
    /// RFC 3339.
    pub created_at: String,
}

impl From<Account> for AccountView {
    fn from(a: Account) -> Self {
        Self { id: a.id.to_string(), name: a.name, created_at: a.created_at.to_rfc3339_millis() }
    }
}

/// The stored event envelope, byte for byte what receivers get.
#[derive(Debug, Serialize)]
pub struct EnvelopeView(Box<RawValue>);

// The document's account of `EnvelopeView`, which writes the stored bytes.
/// An event envelope, byte for byte what receivers get.
#[derive(ToSchema)]
#[schema(example = json!({"id":"evt_01JQ8Z6X3M0000000000000000","type":"credits.low","created_at":"2024-03-20T10:15:00Z","data":{"balance":10,"threshold":100}}))]
#[allow(dead_code)]
struct Envelope {
    /// `evt_…`.
    id: String,
    /// The event type.
    #[schema(rename = "type")]
    event_type: String,
    /// RFC 3339, whole seconds.
    created_at: String,
    /// The event's data, of its type's schema in the catalog.
    #[schema(value_type = Object)]
    data: Value,
}

impl utoipa::PartialSchema for EnvelopeView {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        Envelope::schema()
    }
}

impl ToSchema for EnvelopeView {
    fn name() -> std::borrow::Cow<'static, str> {
        "EnvelopeView".into()
    }
}

impl From<StoredEvent> for EnvelopeView {
    fn from(e: StoredEvent) -> Self {
        let text = String::from_utf8(e.payload).unwrap_or_default();
        Self(RawValue::from_string(text).unwrap_or_else(|_| empty_object()))
    }
}

fn empty_object() -> Box<RawValue> {
    RawValue::from_string("{}".to_owned()).expect("{} is JSON")
}

/// An endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointView {
    /// `ep_…`.
    pub id: String,
    /// Where attempts are POSTed.
    pub url: String,
    /// A note for people.
    pub description: String,
    /// Subscribed types (`.*` patterns allowed); null for every type.
    pub event_types: Option<Vec<String>>,
    /// What those events' `data` must hold (`data.balance <= 10`); null for anything.
    pub filter: Option<String>,
    /// Whether it gets attempts.
    pub enabled: bool,
    /// Why it was disabled.
    pub disabled_reason: Option<String>,
    /// When it was disabled.
    pub disabled_at: Option<String>,
    /// What disabled it: a delivery `exhausted` its schedule, the receiver
    /// answered `410 Gone` (`gone`), or someone disabled it by hand (`manual`).
    pub disabled_cause: Option<DisabledCause>,
    /// Its cap on deliveries per second (a burst of one second's worth may
    /// go at once), over every node; null for none.
    pub rate_limit: Option<u32>,
    /// Whether its deliveries go one at a time, in publish order: a failing
    /// one holds the later ones until it succeeds or its schedule runs out.
    pub ordered: bool,
    /// The names of its custom headers, sent with each attempt; their values
    /// are at `GET …/endpoints/{endpoint}/headers`.
    pub header_names: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<Endpoint> for EndpointView {
    fn from(e: Endpoint) -> Self {
        Self {
            id: e.id.to_string(),
            url: e.url.to_string(),
            description: e.description,
            event_types: e.event_types.patterns().map(|ps| ps.iter().map(|p| p.as_str().to_owned()).collect()),
            filter: e.content_filter.map(|f| f.as_str().to_owned()),
            enabled: e.enabled,
            disabled_reason: e.disabled_reason,
            disabled_at: e.disabled_at.map(|t| t.to_rfc3339_millis()),
            disabled_cause: e.disabled_cause,
            rate_limit: e.rate_limit,
            ordered: e.ordered,
            header_names: e.header_names,
            created_at: e.created_at.to_rfc3339_millis(),
            updated_at: e.updated_at.to_rfc3339_millis(),
        }
    }
}

/// A new endpoint: the endpoint and its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedEndpointView {
    /// The endpoint.
    #[serde(flatten)]
    pub endpoint: EndpointView,
    /// Its signing secret (also at `GET …/secret`).
    pub secret: String,
}

/// An endpoint's signing secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct SecretView {
    /// `whsec_…`.
    pub secret: String,
}

/// An endpoint's custom headers, values included.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeadersView {
    /// Header names to values, in the order they are sent.
    #[schema(value_type = std::collections::HashMap<String, String>, example = json!({"Authorization": "Bearer gateway-token"}))]
    pub headers: serde_json::Map<String, serde_json::Value>,
}

impl From<CustomHeaders> for HeadersView {
    fn from(h: CustomHeaders) -> Self {
        Self { headers: h.iter().map(|(n, v)| (n.to_owned(), serde_json::Value::from(v))).collect() }
    }
}

/// One event for one endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    /// `dlv_…`.
    pub id: String,
    /// The event.
    pub event_id: String,
    /// The endpoint.
    pub endpoint_id: String,
    /// The event's type.
    pub event_type: String,
    /// pending, succeeded, failed or skipped.
    pub status: DeliveryStatus,
    /// Attempts logged so far.
    pub attempt_count: u32,
    /// When the next attempt is due, if pending.
    pub next_attempt_at: Option<String>,
    /// The status code of the last answer.
    pub last_response_status: Option<u16>,
    /// The last attempt's error, if it failed.
    pub last_error: Option<AttemptError>,
    /// What exactly went wrong in the last attempt when no answer came (the
    /// connection error, or the refused address and why).
    pub last_error_detail: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id.to_string(),
            event_id: d.event_id.to_string(),
            endpoint_id: d.endpoint_id.to_string(),
            event_type: d.event_type,
            status: d.status,
            attempt_count: d.attempt_count,
            next_attempt_at: d.next_attempt_at.map(|t| t.to_rfc3339_millis()),
            last_response_status: d.last_response_status,
            last_error: d.last_error,
            last_error_detail: d.last_error_detail,
            created_at: d.created_at.to_rfc3339_millis(),
            updated_at: d.updated_at.to_rfc3339_millis(),
        }
    }
}

/// One HTTP request of a delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    /// Its number in the delivery's log (`X-Webhook-Attempt`).
    pub n: u32,
    /// RFC 3339.
    pub started_at: String,
    /// How long it took.
    pub duration_ms: u64,
    /// The answer's status code.
    pub response_status: Option<u16>,
    /// Why it failed.
    pub error: Option<AttemptError>,
    /// What exactly went wrong when no answer came: the connection error
    /// (`tcp connect error: Connection refused (os error 111)`), or the address
    /// the guard refused and why.
    pub error_detail: Option<String>,
    /// The answer's body, up to 64 KiB.
    pub response_body: String,
}

impl From<Attempt> for AttemptView {
    fn from(a: Attempt) -> Self {
        Self {
            n: a.n,
            started_at: a.started_at.to_rfc3339_millis(),
            duration_ms: a.duration_ms,
            response_status: a.response_status,
            error: a.error,
            error_detail: a.error_detail,
            response_body: a.response_body,
        }
    }
}

/// A delivery with its attempts, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryDetailView {
    /// The delivery.
    #[serde(flatten)]
    pub delivery: DeliveryView,
    /// Its attempts.
    pub attempts: Vec<AttemptView>,
}
