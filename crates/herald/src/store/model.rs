//! The records the store reads and writes: plain data, already parsed.

use std::{collections::HashSet, fmt};

use crate::domain::{
    AccountId, AttemptError, ContentFilter, CustomHeaders, DeliveryId, DeliveryStatus, DisabledCause, EndpointId,
    EndpointSecret, EndpointUrl, EventId, EventType, KeyId, RecoveryId, Timestamp, TypeFilter, Verdict,
};

/// A customer of the platform.
#[derive(Debug, Clone)]
pub struct Account {
    /// Its id.
    pub id: AccountId,
    /// A name for people.
    pub name: String,
    /// When it was created.
    pub created_at: Timestamp,
}

/// What a bearer token turned out to be.
#[derive(Debug, Clone)]
pub struct AccountKey {
    /// The key's id.
    pub id: KeyId,
    /// The one account it opens.
    pub account_id: AccountId,
}

/// A URL an account registered.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Its id.
    pub id: EndpointId,
    /// Its account.
    pub account_id: AccountId,
    /// Where attempts are POSTed.
    pub url: EndpointUrl,
    /// A note for people.
    pub description: String,
    /// Which event types it receives.
    pub event_types: TypeFilter,
    /// What those events' `data` must hold, if anything.
    pub content_filter: Option<ContentFilter>,
    /// Whether it gets attempts.
    pub enabled: bool,
    /// Why it was disabled.
    pub disabled_reason: Option<String>,
    /// When it was disabled.
    pub disabled_at: Option<Timestamp>,
    /// What disabled it.
    pub disabled_cause: Option<DisabledCause>,
    /// Its cap on deliveries per second, if it has one.
    pub rate_limit: Option<u32>,
    /// Whether its deliveries go one at a time, in publish order.
    pub ordered: bool,
    /// The names of its custom headers (their values stay sealed).
    pub header_names: Vec<String>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// The secrets that sign an endpoint's requests, opened. `Debug` leaves them out.
#[derive(Clone)]
pub struct SigningSecrets {
    /// The current secret.
    pub current: String,
    /// The secret before the last rotation, while its grace period lasts.
    pub previous: Option<(String, Timestamp)>,
}

impl fmt::Debug for SigningSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let previous_until = self.previous.as_ref().map(|(_, until)| until);
        f.debug_struct("SigningSecrets").field("previous_until", &previous_until).finish_non_exhaustive()
    }
}

impl SigningSecrets {
    /// The secrets to sign with at `now`, the current one last.
    pub fn in_force(&self, now: Timestamp) -> Vec<&str> {
        let mut out = Vec::with_capacity(2);
        if let Some((previous, until)) = &self.previous {
            if *until > now {
                out.push(previous.as_str());
            }
        }
        out.push(self.current.as_str());
        out
    }
}

/// A new endpoint, validated.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    /// Its id.
    pub id: EndpointId,
    /// Where attempts go.
    pub url: EndpointUrl,
    /// A note for people.
    pub description: String,
    /// Which event types it receives.
    pub event_types: TypeFilter,
    /// What those events' `data` must hold, if anything.
    pub content_filter: Option<ContentFilter>,
    /// Its signing secret.
    pub secret: EndpointSecret,
    /// Its cap on deliveries per second, if it has one.
    pub rate_limit: Option<u32>,
    /// Whether its deliveries go one at a time, in publish order.
    pub ordered: bool,
    /// Headers sent with each attempt.
    pub headers: CustomHeaders,
}

/// A change to an endpoint; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct EndpointPatch {
    /// A new URL.
    pub url: Option<EndpointUrl>,
    /// A new note.
    pub description: Option<String>,
    /// A new subscription.
    pub event_types: Option<TypeFilter>,
    /// A new filter on content (`Some(None)` removes it).
    pub content_filter: Option<Option<ContentFilter>>,
    /// A new cap on deliveries per second (`Some(None)` removes it).
    pub rate_limit: Option<Option<u32>>,
    /// Ordered delivery on or off. Off lets the deliveries it holds go at
    /// once; on orders the deliveries made from then on.
    pub ordered: Option<bool>,
    /// New custom headers, replacing all of them (empty removes them).
    pub headers: Option<CustomHeaders>,
}

/// An accepted event, with its stored envelope bytes.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// Its id.
    pub id: EventId,
    /// Its type.
    pub event_type: EventType,
    /// When it was accepted.
    pub created_at: Timestamp,
    /// The envelope bytes every attempt sends.
    pub payload: Vec<u8>,
}

/// An event to publish: id, type and envelope bytes made at the edge.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// Its id.
    pub id: EventId,
    /// Its type.
    pub event_type: EventType,
    /// When it was accepted.
    pub created_at: Timestamp,
    /// The envelope bytes.
    pub payload: Vec<u8>,
}

/// An idempotency key and the fingerprint of the request that first used it.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    /// The caller's key.
    pub key: String,
    /// A hash of the request body.
    pub request_hash: String,
}

/// One published event and how many deliveries it made.
#[derive(Debug, Clone)]
pub struct Published {
    /// The event.
    pub event: StoredEvent,
    /// Deliveries created for it (skipped ones included).
    pub deliveries: u64,
}

/// What a publish call did.
#[derive(Debug, Clone)]
pub enum PublishOutcome {
    /// New events were committed.
    Created {
        /// The events, in the order given.
        published: Vec<Published>,
        /// The new deliveries the publish leased to this process (see
        /// [`LeaseAhead`]), for the dispatcher's queues.
        leased: Vec<ClaimedDelivery>,
        /// Whether some new deliveries are due but not leased: the
        /// dispatcher has to claim them from the store.
        unleased: bool,
    },
    /// The idempotency key was seen before with the same request: its first answer.
    Replayed(Vec<Published>),
    /// The idempotency key was seen before with a different request.
    KeyReused,
}

/// A signed-in portal visitor: one account's customer in a browser.
#[derive(Debug, Clone)]
pub struct PortalSession {
    /// The one account it may see.
    pub account_id: AccountId,
    /// Must come back with every state-changing request.
    pub csrf_token: String,
    /// When it ends.
    pub expires_at: Timestamp,
}

/// One event for one endpoint.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Its id.
    pub id: DeliveryId,
    /// Its account.
    pub account_id: AccountId,
    /// The event.
    pub event_id: EventId,
    /// The endpoint.
    pub endpoint_id: EndpointId,
    /// The event's type.
    pub event_type: String,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts logged so far.
    pub attempt_count: u32,
    /// When the next attempt is due, if pending.
    pub next_attempt_at: Option<Timestamp>,
    /// The status code of the last answer, if any.
    pub last_response_status: Option<u16>,
    /// The error of the last attempt logged, if it failed.
    pub last_error: Option<AttemptError>,
    /// The detail of that error, if it has one.
    pub last_error_detail: Option<String>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// An attempt made, to be recorded: the delivery, the log entry and where it goes next.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The delivery as it was claimed.
    pub delivery: ClaimedDelivery,
    /// The log entry.
    pub attempt: Attempt,
    /// What happens to the delivery now.
    pub verdict: Verdict,
}

/// One HTTP request of a delivery, as logged.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// Its number in the delivery's log, from 1.
    pub n: u32,
    /// When it was sent.
    pub started_at: Timestamp,
    /// How long it took.
    pub duration_ms: u64,
    /// The answer's status code, if one came.
    pub response_status: Option<u16>,
    /// Why it failed, if it did.
    pub error: Option<AttemptError>,
    /// What exactly went wrong when no answer came (the connection error,
    /// the refused address and why), for the people reading the log.
    pub error_detail: Option<String>,
    /// The answer's body, up to 64 KiB.
    pub response_body: String,
}

/// An endpoint disabled or re-enabled, to be told to the platform.
#[derive(Debug, Clone)]
pub struct EndpointChange {
    /// Its place in the outbox.
    pub id: i64,
    /// The endpoint's account.
    pub account_id: AccountId,
    /// The endpoint.
    pub endpoint_id: EndpointId,
    /// Its URL at the time.
    pub url: String,
    /// What happened to it.
    pub kind: ChangeKind,
    /// When.
    pub at: Timestamp,
}

/// What happened to an endpoint.
#[derive(Debug, Clone)]
pub enum ChangeKind {
    /// It was disabled.
    Disabled {
        /// What did it.
        cause: DisabledCause,
        /// Why, in words.
        reason: String,
        /// The attempt that did it (none for a disable by hand), if still logged.
        last_attempt: Option<(DeliveryId, EventId, Attempt)>,
    },
    /// It was enabled again.
    Enabled {
        /// Whether what it missed is sent again.
        redeliver_missed: bool,
    },
}

/// An endpoint's failed and skipped deliveries of a time range, sent again
/// page by page in the background.
#[derive(Debug, Clone)]
pub struct Recovery {
    /// Its id.
    pub id: RecoveryId,
    /// The endpoint's account.
    pub account_id: AccountId,
    /// The endpoint.
    pub endpoint_id: EndpointId,
    /// Deliveries created at or after this time…
    pub since: Timestamp,
    /// …and before this one.
    pub until: Timestamp,
    /// Where it stands.
    pub status: RecoveryStatus,
    /// Deliveries queued so far.
    pub queued: u64,
    /// When it was asked for.
    pub created_at: Timestamp,
    /// When it ended.
    pub finished_at: Option<Timestamp>,
}

/// Where a recovery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecoveryStatus {
    /// Pages are still being queued.
    Running,
    /// Every page is queued.
    Done,
    /// The endpoint was disabled before every page was queued.
    Stopped,
}

impl RecoveryStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Done => "done",
            Self::Stopped => "stopped",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "running" => Self::Running,
            "done" => Self::Done,
            "stopped" => Self::Stopped,
            _ => return None,
        })
    }
}

/// Filters of the delivery log.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    /// Only this endpoint's.
    pub endpoint_id: Option<EndpointId>,
    /// Only this event's.
    pub event_id: Option<EventId>,
    /// Only in this status.
    pub status: Option<DeliveryStatus>,
    /// Only of this event type.
    pub event_type: Option<EventType>,
}

/// An endpoint's attempts in one hour: how many were answered 2xx, how many not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourOutcomes {
    /// The hour's first millisecond.
    pub start: Timestamp,
    /// Attempts answered with a 2xx status.
    pub succeeded: u64,
    /// Attempts that failed (any other status, or no answer).
    pub failed: u64,
}

/// The length of one [`HourOutcomes`] bucket, in milliseconds.
pub const HOUR_MILLIS: i64 = 3_600_000;

/// A page request: at most `limit` items older than `before` (an id).
#[derive(Debug, Clone)]
pub struct Page {
    /// The most items to return.
    pub limit: u32,
    /// Return items whose id sorts before this one.
    pub before: Option<String>,
}

/// A page of items and the cursor of the next one.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    /// The items.
    pub items: Vec<T>,
    /// The cursor for the next page, if there is one.
    pub next_cursor: Option<String>,
}

impl<T> Paged<T> {
    /// The page made of up to `page.limit + 1` fetched items: one more than
    /// the limit means there is a next page, whose cursor is the last item kept.
    pub fn from_fetched(mut items: Vec<T>, page: &Page, id_of: impl Fn(&T) -> String) -> Self {
        let limit = page.limit as usize;
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(&id_of)
        } else {
            None
        };
        Self { items, next_cursor }
    }
}

/// A publish's offer to lease its new deliveries to this process in the same
/// commit (the hand-off): the dispatcher gets them straight from the publish
/// instead of claiming them back from the store. They are leased like claimed
/// ones, so a crash loses nothing: the lease expires and they are claimed.
#[derive(Debug, Clone)]
pub struct LeaseAhead {
    /// The lease, as a claim would set it.
    pub until: Timestamp,
    /// The most deliveries this publish may lease over all endpoints.
    pub limit: usize,
    /// The most it may lease for one endpoint.
    pub per_endpoint: usize,
    /// Endpoints whose queues are full: none of their deliveries is leased,
    /// nor counted as left for a claim (the dispatcher claims for them when
    /// they have room again).
    pub full: HashSet<EndpointId>,
}

/// A delivery a worker has leased and will attempt now.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    /// The delivery.
    pub id: DeliveryId,
    /// Its endpoint.
    pub endpoint_id: EndpointId,
    /// The event id (`X-Webhook-ID`).
    pub event_id: EventId,
    /// The event type (`X-Webhook-Event`).
    pub event_type: String,
    /// Where to POST.
    pub url: String,
    /// Who signs.
    pub secrets: SigningSecrets,
    /// The body, as stored.
    pub payload: Vec<u8>,
    /// This attempt's number (`X-Webhook-Attempt`).
    pub attempt_n: u32,
    /// Attempts already made on the current schedule.
    pub schedule_step: u32,
    /// Whether this is a manual retry (outside the schedule).
    pub manual: bool,
    /// The endpoint's cap on deliveries per second, if it has one.
    pub rate_limit: Option<u32>,
    /// The endpoint's custom headers, opened.
    pub headers: CustomHeaders,
    /// Whether it is its ordered endpoint's head: once its outcome is
    /// recorded, the next one may be claimed.
    pub ordered: bool,
}
