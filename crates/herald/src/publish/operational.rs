//! Operational events: Herald telling the platform about its webhooks. The
//! store notes each endpoint disabled or re-enabled in the transaction that
//! changed it (the `endpoint_changes` outbox); this relay publishes each
//! note as events of the operational account `herald` (`endpoint.disabled`,
//! `endpoint.gone`, `endpoint.enabled`), through the same publish as any
//! event, so they are signed, retried, logged, streamed and polled like any
//! other. Each note is published under an idempotency key of its own: a
//! crash between the publish and dropping the note, or a second node
//! relaying the same note, publishes it once.

use serde_json::{json, Value};

use super::{Publication, Publisher};
use crate::{
    domain::{envelope::envelope_bytes, AccountId, DisabledCause, EventId, EventType},
    store::{Account, Attempt, ChangeKind, EndpointChange, IdempotencyKey, NewEvent, StoreError, StoreResult},
};

/// The most notes relayed in one round.
const BATCH: u32 = 100;

/// Creates the operational account if this store has none yet.
pub async fn ensure_operational_account(publisher: &Publisher) -> StoreResult<()> {
    let account = Account {
        id: AccountId::operational(),
        name: "Herald (operational events)".to_owned(),
        created_at: crate::domain::Timestamp::now(),
    };
    match publisher.store().create_account(&account).await {
        Ok(()) | Err(StoreError::Conflict) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Publishes what the outbox holds, oldest first; whether it took a full
/// batch (more may be waiting).
pub async fn relay_once(publisher: &Publisher) -> StoreResult<bool> {
    let changes = publisher.store().endpoint_changes(BATCH).await?;
    let account = AccountId::operational();
    for change in &changes {
        let key = format!("herald:endpoint-change:{}", change.id);
        let idempotency = IdempotencyKey { key: key.clone(), request_hash: key };
        match publisher.publish(&account, events_of(change), Some(idempotency)).await? {
            Publication::Created(_) | Publication::Replayed(_) => {}
            Publication::KeyReused => tracing::error!(change = change.id, "an endpoint change's key was reused"),
        }
        publisher.store().forget_endpoint_change(change.id).await?;
        metrics::counter!("herald_operational_events_total").increment(1);
    }
    Ok(changes.len() == BATCH as usize)
}

/// The events a note becomes: `endpoint.disabled` (and `endpoint.gone` for
/// a `410 Gone`), or `endpoint.enabled`.
fn events_of(change: &EndpointChange) -> Vec<NewEvent> {
    data_of(change).into_iter().map(|(name, data)| event(name, change, &data)).collect()
}

/// The type names and `data` of the events a note becomes.
fn data_of(change: &EndpointChange) -> Vec<(&'static str, Value)> {
    let mut base = json!({
        "account_id": change.account_id.as_str(),
        "endpoint_id": change.endpoint_id.as_str(),
        "url": change.url,
    });
    let at = change.at.to_rfc3339_millis();
    match &change.kind {
        ChangeKind::Enabled { redeliver_missed } => {
            base["enabled_at"] = json!(at);
            base["redeliver_missed"] = json!(redeliver_missed);
            vec![("endpoint.enabled", base)]
        }
        ChangeKind::Disabled { cause, reason, last_attempt } => {
            base["disabled_at"] = json!(at);
            base["last_attempt"] = last_attempt.as_ref().map_or(Value::Null, |(delivery, event, attempt)| {
                attempt_data(delivery.as_str(), event.as_str(), attempt)
            });
            let mut disabled = base.clone();
            disabled["cause"] = json!(cause.as_str());
            disabled["reason"] = json!(reason);
            let mut events = vec![("endpoint.disabled", disabled)];
            if *cause == DisabledCause::Gone {
                events.push(("endpoint.gone", base));
            }
            events
        }
    }
}

fn attempt_data(delivery: &str, event: &str, a: &Attempt) -> Value {
    json!({
        "delivery_id": delivery,
        "event_id": event,
        "n": a.n,
        "started_at": a.started_at.to_rfc3339_millis(),
        "duration_ms": a.duration_ms,
        "response_status": a.response_status,
        "error": a.error.map(|e| e.as_str()),
        "error_detail": a.error_detail,
    })
}

fn event(name: &str, change: &EndpointChange, data: &Value) -> NewEvent {
    let event_type = EventType::parse(name).expect("operational type names are valid");
    let (id, created_at) = (EventId::generate(), change.at.truncate_to_seconds());
    let payload = envelope_bytes(&id, &event_type, created_at, data);
    NewEvent { id, event_type, created_at, payload }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AttemptError, Catalog, DeliveryId, EndpointId, Timestamp};

    fn change(kind: ChangeKind) -> EndpointChange {
        EndpointChange {
            id: 7,
            account_id: AccountId::parse("acme").unwrap(),
            endpoint_id: EndpointId::generate(),
            url: "https://example.com/hooks".into(),
            kind,
            at: Timestamp::from_millis(1_700_000_000_123),
        }
    }

    fn gone_attempt() -> (DeliveryId, EventId, Attempt) {
        let attempt = Attempt {
            n: 2,
            started_at: Timestamp::from_millis(1_700_000_000_000),
            duration_ms: 123,
            response_status: Some(410),
            error: Some(AttemptError::Status),
            error_detail: Some("410 Gone".into()),
            response_body: "bye".into(),
        };
        (DeliveryId::generate(), EventId::generate(), attempt)
    }

    #[test]
    fn every_note_becomes_events_that_pass_the_operational_schemas() {
        let catalog = Catalog::operational();
        let notes = [
            change(ChangeKind::Enabled { redeliver_missed: true }),
            change(ChangeKind::Disabled { cause: DisabledCause::Manual, reason: "by hand".into(), last_attempt: None }),
            change(ChangeKind::Disabled {
                cause: DisabledCause::Gone,
                reason: "410".into(),
                last_attempt: Some(gone_attempt()),
            }),
        ];
        let mut names = Vec::new();
        for note in &notes {
            for (name, data) in data_of(note) {
                let t = EventType::parse(name).unwrap();
                assert_eq!(catalog.validate(&t, &data), Ok(()), "{name}: {data}");
                names.push(name);
            }
        }
        assert_eq!(names, ["endpoint.enabled", "endpoint.disabled", "endpoint.disabled", "endpoint.gone"]);
    }
}
