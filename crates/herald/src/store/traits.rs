//! What a store does, trait by trait: the one interface the API, the
//! publisher and the dispatcher speak, which both engines implement.

use std::sync::Arc;

use async_trait::async_trait;

use super::{model::*, StoreError};
use crate::domain::{
    AccountId, CustomHeaders, DeliveryId, EndpointId, EventId, EventType, KeyId, RecoveryId, Timestamp, Verdict,
};

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Accounts and their keys.
#[async_trait]
pub trait AccountStore {
    /// Creates an account; [`StoreError::Conflict`] if the id is taken.
    async fn create_account(&self, account: &Account) -> StoreResult<()>;
    /// One account.
    async fn get_account(&self, id: &AccountId) -> StoreResult<Account>;
    /// Accounts, newest first.
    async fn list_accounts(&self, page: &Page) -> StoreResult<Paged<Account>>;
    /// Stores a new key's hash for an account.
    async fn create_key(&self, account: &AccountId, id: &KeyId, key_hash: &str, now: Timestamp) -> StoreResult<()>;
    /// The key with this hash, if any.
    async fn find_key(&self, key_hash: &str) -> StoreResult<Option<AccountKey>>;
}

/// Endpoints, their secrets and their enabled state.
#[async_trait]
pub trait EndpointStore {
    /// Creates an endpoint, unless the account already has `max_per_account`
    /// ([`StoreError::LimitReached`]): counted in the creating transaction, so
    /// concurrent creations never exceed it.
    async fn create_endpoint(
        &self,
        account: &AccountId,
        new: &NewEndpoint,
        max_per_account: u32,
        now: Timestamp,
    ) -> StoreResult<Endpoint>;
    /// One endpoint of an account.
    async fn get_endpoint(&self, account: &AccountId, id: &EndpointId) -> StoreResult<Endpoint>;
    /// An account's endpoints, newest first.
    async fn list_endpoints(&self, account: &AccountId, page: &Page) -> StoreResult<Paged<Endpoint>>;
    /// Changes an endpoint.
    async fn update_endpoint(
        &self,
        account: &AccountId,
        id: &EndpointId,
        patch: &EndpointPatch,
        now: Timestamp,
    ) -> StoreResult<Endpoint>;
    /// Deletes an endpoint with its deliveries.
    async fn delete_endpoint(&self, account: &AccountId, id: &EndpointId) -> StoreResult<()>;
    /// The secrets in force.
    async fn get_secrets(&self, account: &AccountId, id: &EndpointId) -> StoreResult<SigningSecrets>;
    /// The custom headers, opened.
    async fn get_headers(&self, account: &AccountId, id: &EndpointId) -> StoreResult<CustomHeaders>;
    /// Replaces the secret; the old one signs too until `previous_until`.
    async fn rotate_secret(
        &self,
        account: &AccountId,
        id: &EndpointId,
        new_secret: &str,
        previous_until: Option<Timestamp>,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Disables an endpoint and stops its pending deliveries.
    async fn disable_endpoint(
        &self,
        account: &AccountId,
        id: &EndpointId,
        reason: &str,
        now: Timestamp,
    ) -> StoreResult<Endpoint>;
    /// Enables an endpoint; with `redeliver_missed`, what it missed gets a fresh schedule starting at `first_attempt_at`.
    async fn enable_endpoint(
        &self,
        account: &AccountId,
        id: &EndpointId,
        redeliver_missed: bool,
        first_attempt_at: Timestamp,
        now: Timestamp,
    ) -> StoreResult<Endpoint>;
}

/// Events: publishing.
#[async_trait]
pub trait EventStore {
    /// Commits events and their deliveries in one transaction, honouring an
    /// idempotency key; with `lease`, leases new deliveries to this process
    /// in the same commit and returns them (an engine may lease none).
    async fn publish(
        &self,
        account: &AccountId,
        events: Vec<NewEvent>,
        idempotency: Option<IdempotencyKey>,
        first_attempt_at: Timestamp,
        lease: Option<LeaseAhead>,
    ) -> StoreResult<PublishOutcome>;
    /// Commits a test event and its one delivery to one endpoint.
    async fn publish_test(
        &self,
        account: &AccountId,
        endpoint: &EndpointId,
        event: NewEvent,
        first_attempt_at: Timestamp,
    ) -> StoreResult<Delivery>;
}

/// Events: reading them back.
#[async_trait]
pub trait EventLog {
    /// Events, newest first, optionally of one type.
    async fn list_events(
        &self,
        account: &AccountId,
        event_type: Option<&EventType>,
        page: &Page,
    ) -> StoreResult<Paged<StoredEvent>>;
    /// Events committed after `after`, in commit order: what polling and the
    /// live stream follow, so that an event committed after another is never
    /// listed before it, whatever their ids. An `after` this account does not
    /// hold (purged, or not its own) stands for the moment its id was made:
    /// the events with later ids. The next cursor is the last event returned.
    async fn events_after(
        &self,
        account: &AccountId,
        event_type: Option<&EventType>,
        after: &EventId,
        limit: u32,
    ) -> StoreResult<Paged<StoredEvent>>;
    /// The account's last committed event (test events included), if any:
    /// where a live stream that names no position starts.
    async fn last_event_id(&self, account: &AccountId) -> StoreResult<Option<EventId>>;
    /// One event.
    async fn get_event(&self, account: &AccountId, id: &EventId) -> StoreResult<StoredEvent>;
}

/// The delivery log and manual retries.
#[async_trait]
pub trait DeliveryStore {
    /// Deliveries, newest first.
    async fn list_deliveries(
        &self,
        account: &AccountId,
        filter: &DeliveryFilter,
        page: &Page,
    ) -> StoreResult<Paged<Delivery>>;
    /// One delivery with its attempts, oldest first.
    async fn get_delivery(&self, account: &AccountId, id: &DeliveryId) -> StoreResult<(Delivery, Vec<Attempt>)>;
    /// An endpoint's attempts started at or after `since`, counted per hour,
    /// oldest first; hours without attempts are left out. The log entries of
    /// deliveries stopped by a disable are not attempts and are not counted.
    async fn endpoint_outcomes(
        &self,
        account: &AccountId,
        endpoint: &EndpointId,
        since: Timestamp,
    ) -> StoreResult<Vec<HourOutcomes>>;
    /// Asks for one attempt now, outside the schedule.
    async fn request_retry(&self, account: &AccountId, id: &DeliveryId, now: Timestamp) -> StoreResult<Delivery>;
}

/// What the dispatcher needs: leasing due work and recording outcomes.
#[async_trait]
pub trait DispatchStore {
    /// Leases up to `limit` due deliveries (none of `busy` endpoints) until `lease_until`.
    async fn claim_due(
        &self,
        now: Timestamp,
        limit: u32,
        busy: &[EndpointId],
        lease_until: Timestamp,
    ) -> StoreResult<Vec<ClaimedDelivery>>;
    /// Gives leases back without an attempt (shutdown, local limits).
    async fn release(&self, ids: &[DeliveryId]) -> StoreResult<()>;
    /// Extends the lease of a pending delivery this process holds until
    /// `held` to `until`; `false` when the lease is no longer that one (it
    /// expired and another worker took the delivery) or the delivery is gone.
    async fn renew_lease(&self, id: &DeliveryId, held: Timestamp, until: Timestamp) -> StoreResult<bool>;
    /// Logs an attempt and moves the delivery on as the verdict says.
    async fn record_attempt(&self, claimed: &ClaimedDelivery, attempt: &Attempt, verdict: Verdict) -> StoreResult<()>;
    /// Records many outcomes, in one commit where the engine can. On an error
    /// some may not be recorded; recording one again is harmless (its attempt
    /// is logged once, and the delivery moves on the same way).
    async fn record_attempts(&self, outcomes: Arc<[Outcome]>) -> StoreResult<()>;
}

/// What the dispatcher reads between its claims.
#[async_trait]
pub trait DueStore {
    /// When the earliest pending delivery is due, if any.
    async fn next_due(&self) -> StoreResult<Option<Timestamp>>;
    /// Whether an endpoint may get attempts: `false` when disabled or deleted.
    async fn endpoint_enabled(&self, endpoint: &EndpointId) -> StoreResult<bool>;
    /// Takes the next slot of an endpoint limited to `per_second`
    /// deliveries a second, shared by every node: when its delivery may be
    /// sent (`now` if the endpoint is within its burst).
    async fn take_slot(&self, endpoint: &EndpointId, per_second: u32, now: Timestamp) -> StoreResult<Timestamp>;
}

/// Ordered endpoints: one delivery at a time each, in publish order.
#[async_trait]
pub trait HeadStore {
    /// Leases until `lease_until` the heads (earliest pending deliveries)
    /// of up to `limit` enabled ordered endpoints, each one only if it is
    /// due and no one holds it.
    async fn claim_heads(
        &self,
        now: Timestamp,
        limit: u32,
        lease_until: Timestamp,
    ) -> StoreResult<Vec<ClaimedDelivery>>;
}

/// Endpoints disabled and re-enabled, noted in the transaction that changed
/// them, until they are published as operational events.
#[async_trait]
pub trait ChangeStore {
    /// Up to `limit` changes not yet published, oldest first.
    async fn endpoint_changes(&self, limit: u32) -> StoreResult<Vec<EndpointChange>>;
    /// Drops a change once it is published.
    async fn forget_endpoint_change(&self, id: i64) -> StoreResult<()>;
}

/// Recoveries: an endpoint's failed and skipped deliveries of a time range
/// given a fresh schedule, page by page.
#[async_trait]
pub trait RecoveryStore {
    /// Records a recovery of an enabled endpoint's deliveries created in
    /// `[since, until)`; [`StoreError::EndpointDisabled`] if it is disabled.
    async fn start_recovery(
        &self,
        account: &AccountId,
        endpoint: &EndpointId,
        range: (Timestamp, Timestamp),
        now: Timestamp,
    ) -> StoreResult<Recovery>;
    /// One recovery of an endpoint.
    async fn get_recovery(&self, account: &AccountId, endpoint: &EndpointId, id: &RecoveryId) -> StoreResult<Recovery>;
    /// Queues the next page (up to `page` deliveries looked at) of the
    /// oldest running recovery that no other node holds: a fresh schedule
    /// due at `first_attempt_at`. Whether there was one.
    async fn recover_page(&self, page: u32, first_attempt_at: Timestamp, now: Timestamp) -> StoreResult<bool>;
}

/// Health and gauges.
#[async_trait]
pub trait OpsStore {
    /// Whether the store answers.
    async fn ping(&self) -> StoreResult<()>;
    /// Pending deliveries and disabled endpoints, for `/metrics`.
    async fn gauges(&self) -> StoreResult<Gauges>;
    /// Deletes up to `batch` events accepted before `cutoff`, with their
    /// deliveries and attempts, and the idempotency keys used before it.
    /// Returns how many events went; fewer than `batch` means done for now.
    async fn purge_before(&self, cutoff: Timestamp, batch: u32) -> StoreResult<u64>;
}

/// The developer portal's one-time links and sessions, kept by token hash.
#[async_trait]
pub trait PortalStore {
    /// Stores a one-time link for an account.
    async fn create_portal_link(&self, account: &AccountId, token_hash: &str, expires_at: Timestamp)
        -> StoreResult<()>;
    /// Uses up a link: the account it opens, if it exists, is unused and has not expired.
    async fn redeem_portal_link(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<AccountId>>;
    /// Stores a new session.
    async fn create_portal_session(&self, session: &PortalSession, token_hash: &str, now: Timestamp)
        -> StoreResult<()>;
    /// The session with this token, if it exists and has not expired.
    async fn find_portal_session(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<PortalSession>>;
    /// Ends a session.
    async fn delete_portal_session(&self, token_hash: &str) -> StoreResult<()>;
}

/// Numbers `/metrics` reads from the store at scrape time.
#[derive(Debug, Clone, Copy, Default)]
pub struct Gauges {
    /// Deliveries waiting for an attempt.
    pub pending_deliveries: u64,
    /// Endpoints that get no attempts.
    pub disabled_endpoints: u64,
}

/// Everything a store does; each engine's store says it is one.
pub trait Store:
    AccountStore
    + ChangeStore
    + RecoveryStore
    + EndpointStore
    + EventStore
    + EventLog
    + DeliveryStore
    + DispatchStore
    + DueStore
    + HeadStore
    + OpsStore
    + PortalStore
    + Send
    + Sync
{
}
/// A shared handle to the store.
pub type SharedStore = Arc<dyn Store>;
