//! What sending needs of an endpoint, read the same way by both engines'
//! claims and by the publishes that lease deliveries at once: the columns
//! (`TARGET_COLUMNS`), the record they fill ([`Target`]), and the
//! [`ClaimedDelivery`] built from it. A setting that changes how a delivery
//! is sent goes here, then into each engine's one `target` reader
//! (`sqlite/claim.rs`, `postgres/claim.rs`).

use std::sync::LazyLock;

use crate::{
    domain::{CustomHeaders, DeliveryId, EndpointId, EventId},
    store::{columns, ClaimedDelivery, NewEvent, Sealer, SigningSecrets, StoreResult},
};

/// The endpoint columns a [`Target`] is read from, on `endpoints e`.
pub const TARGET_COLUMNS: &str = "e.url, e.secret, e.previous_secret, e.previous_expires_at, e.rate_limit, e.headers";

/// What a claim reads of the deliveries it picks (`deliveries d`), with
/// their endpoints' [`Target`] and their events' bodies: a [`Due`] each.
/// The claim adds its own `WHERE`.
pub static DUE_SELECT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT d.id, d.endpoint_id, d.event_id, d.event_type, d.attempt_count, d.schedule_base, d.manual,
                {TARGET_COLUMNS}, ev.payload
           FROM deliveries d
           JOIN endpoints e ON e.id = d.endpoint_id
           JOIN events ev ON ev.id = d.event_id"
    )
});

/// What a delivery needs of its endpoint, as read with its delivery.
pub(crate) struct Target {
    /// Where its deliveries are POSTed.
    pub url: String,
    /// The secret columns, still sealed: opened only if a delivery is sent.
    pub sealed: (String, Option<String>, Option<i64>),
    /// Its cap on deliveries per second, if it has one.
    pub rate_limit: Option<i64>,
    /// Its custom headers, still sealed.
    pub sealed_headers: Option<String>,
}

/// What a [`Target`] holds sealed, opened: what signs, and what else is sent.
#[derive(Debug, Clone)]
pub(crate) struct Opened {
    /// The signing secrets.
    pub secrets: SigningSecrets,
    /// The custom headers.
    pub headers: CustomHeaders,
}

impl Target {
    /// The secrets and custom headers, opened.
    pub fn open(&self, sealer: &Sealer) -> StoreResult<Opened> {
        let (current, previous, until) = self.sealed.clone();
        Ok(Opened {
            secrets: columns::signing_secrets(sealer, current, previous, until)?,
            headers: columns::custom_headers(sealer, self.sealed_headers.as_deref())?,
        })
    }
}

/// A due delivery as a claim reads it, beside its endpoint's [`Target`].
pub(crate) struct Due {
    /// The delivery.
    pub id: DeliveryId,
    /// Its endpoint.
    pub endpoint_id: EndpointId,
    /// Its event.
    pub event_id: EventId,
    /// The event's type.
    pub event_type: String,
    /// The event's body, as stored.
    pub payload: Vec<u8>,
    /// Attempts made so far.
    pub attempt_count: i64,
    /// Where its schedule last started again (a re-enable's redelivery).
    pub schedule_base: i64,
    /// Whether this attempt is a manual retry.
    pub manual: bool,
}

/// The stored cap, as sending uses it (a value out of range is no cap).
fn rate_limit(stored: Option<i64>) -> Option<u32> {
    stored.and_then(|n| u32::try_from(n).ok()).filter(|n| *n > 0)
}

impl ClaimedDelivery {
    /// A due delivery a claim has leased, to `target`.
    pub(crate) fn claimed(due: Due, target: Target, sealer: &Sealer) -> StoreResult<Self> {
        let Opened { secrets, headers } = target.open(sealer)?;
        Ok(Self {
            secrets,
            headers,
            rate_limit: rate_limit(target.rate_limit),
            url: target.url,
            id: due.id,
            endpoint_id: due.endpoint_id,
            event_id: due.event_id,
            event_type: due.event_type,
            payload: due.payload,
            attempt_n: u32::try_from(due.attempt_count + 1).unwrap_or(u32::MAX),
            schedule_step: u32::try_from(due.attempt_count - due.schedule_base).unwrap_or(0),
            manual: due.manual,
            ordered: false,
        })
    }

    /// The first attempt of a delivery a publish has just leased (the
    /// hand-off), to `target`, whose sealed columns are already open.
    pub(crate) fn first_attempt(
        id: DeliveryId,
        endpoint: EndpointId,
        event: &NewEvent,
        target: &Target,
        opened: Opened,
    ) -> Self {
        let Opened { secrets, headers } = opened;
        Self {
            id,
            endpoint_id: endpoint,
            event_id: event.id.clone(),
            event_type: event.event_type.as_str().to_owned(),
            url: target.url.clone(),
            rate_limit: rate_limit(target.rate_limit),
            secrets,
            headers,
            payload: event.payload.clone(),
            attempt_n: 1,
            schedule_step: 0,
            manual: false,
            ordered: false,
        }
    }
}
