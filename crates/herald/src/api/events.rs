//! `/v1/accounts/{account}/events`: publishing and reading events.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    Json,
};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    auth::Caller,
    body::{Fields, JsonBody},
    error::{ApiError, FieldError},
    path::Path,
    query::Params,
    views::{EnvelopeView, List},
    AppState,
};
use crate::{
    domain::{catalog::CatalogError, envelope::envelope_bytes, AccountId, Catalog, EventId, EventType, Timestamp},
    publish::Publication,
    store::{IdempotencyKey, NewEvent, Published},
};

/// The most events in one batch.
pub const MAX_BATCH: usize = 1000;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(publish, list_events)).routes(routes!(publish_batch)).routes(routes!(get_event))
}

/// What a publish answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublishedView {
    /// The stored envelope.
    pub event: EnvelopeView,
    /// Deliveries created (skipped ones for disabled endpoints included).
    pub deliveries: u64,
}

/// What a batch publish answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchView {
    /// The stored envelopes, in the order given.
    pub events: Vec<EnvelopeView>,
    /// Deliveries created for all of them.
    pub deliveries: u64,
}

/// Parses one `{"type","data"}` found at `base` into a new event, checking
/// `data` against the catalog; every refusal names its JSON pointer. Never panics.
pub fn parse_event(catalog: &Catalog, value: &Value, base: &str, now: Timestamp) -> Result<NewEvent, Vec<FieldError>> {
    let mut f = Fields::new(value, base);
    let raw_type = f.required_str("type");
    let data = f.required("data");
    let event_type = raw_type.and_then(|t| match EventType::parse(t) {
        Ok(t) => Some(t),
        Err(e) => {
            f.error("type", e.to_string());
            None
        }
    });
    if let (Some(t), Some(data)) = (&event_type, data) {
        match catalog.validate(t, data) {
            Ok(()) => {}
            Err(CatalogError::UnknownType(_)) => {
                f.error("type", format!("`{t}` is not in the event catalog (GET /v1/event-types)"))
            }
            Err(CatalogError::Invalid(violations)) => f.extend(
                violations
                    .into_iter()
                    .map(|v| FieldError::at(format!("{}/data{}", base, v.pointer), v.message))
                    .collect(),
            ),
        }
    }
    f.finish()?;
    let (Some(event_type), Some(data)) = (event_type, data) else {
        return Err(vec![FieldError::at(base, "incomplete event")]);
    };
    let id = EventId::generate();
    let created_at = now.truncate_to_seconds();
    let payload = envelope_bytes(&id, &event_type, created_at, data);
    Ok(NewEvent { id, event_type, created_at, payload })
}

/// Reads and checks the `Idempotency-Key` header.
fn idempotency_key(headers: &HeaderMap, body: &Value) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(raw) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = raw.to_str().ok().map(str::trim).filter(|k| (1..=255).contains(&k.len())).ok_or_else(|| {
        ApiError::BadRequest {
            detail: "the Idempotency-Key header must be 1 to 255 visible ASCII characters".into(),
            errors: vec![FieldError::parameter("Idempotency-Key", "must be 1 to 255 visible ASCII characters")],
        }
    })?;
    let request_hash = hex::encode(Sha256::digest(serde_json::to_vec(body).unwrap_or_default()));
    Ok(Some(IdempotencyKey { key: key.to_owned(), request_hash }))
}

/// Publishes, and answers a replay or a reused idempotency key.
async fn commit(
    state: &AppState,
    account: &AccountId,
    events: Vec<NewEvent>,
    idempotency: Option<IdempotencyKey>,
) -> Result<(StatusCode, Vec<Published>), ApiError> {
    match state.publisher.publish(account, events, idempotency).await.map_err(ApiError::from_store("account"))? {
        Publication::Created(published) => Ok((StatusCode::ACCEPTED, published)),
        Publication::Replayed(published) => Ok((StatusCode::OK, published)),
        Publication::KeyReused => {
            Err(ApiError::Conflict("this Idempotency-Key was already used with a different request body".into()))
        }
    }
}

/// Publish an event to every subscribed endpoint of the account.
#[utoipa::path(post, path = "/v1/accounts/{account}/events", tag = "events",
    request_body(content = super::bodies::PublishBody, description = r#"{"type": "project.completed", "data": {…}}"#,
        example = json!({"type": "credits.low", "data": {"balance": 10, "threshold": 100}})),
    params(("Idempotency-Key" = Option<String>, Header, description = "a repeat returns the first answer with 200 and delivers nothing new")),
    responses((status = 202, body = PublishedView), (status = 200, body = PublishedView, description = "idempotent replay"),
        (status = 409, body = super::error::Problem, description = "this Idempotency-Key was used with another body"), (status = 413, body = super::error::Problem), (status = 422, body = super::error::Problem)))]
#[tracing::instrument(skip_all)]
async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    Path(account): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<PublishedView>), ApiError> {
    let account = caller.account(&account)?;
    caller.require_admin("account keys cannot publish events")?;
    refuse_operational(&account)?;
    let idempotency = idempotency_key(&headers, &body)?;
    let event = parse_event(&state.catalog, &body, "", Timestamp::now()).map_err(ApiError::Invalid)?;
    let (status, mut published) = commit(&state, &account, vec![event], idempotency).await?;
    let Published { event, deliveries } = published.pop().ok_or_else(|| anyhow::anyhow!("publish stored no event"))?;
    Ok((status, Json(PublishedView { event: event.into(), deliveries })))
}

/// Refuses a publish to the operational account: Herald alone publishes there.
fn refuse_operational(account: &AccountId) -> Result<(), ApiError> {
    if account.is_operational() {
        return Err(ApiError::Forbidden(
            "the `herald` account holds Herald's operational events (endpoint.disabled, endpoint.gone, \
             endpoint.enabled), which Herald publishes itself",
        ));
    }
    Ok(())
}

/// Publish up to 1000 events in one commit.
#[utoipa::path(post, path = "/v1/accounts/{account}/events/batch", tag = "events",
    request_body(content = Vec<super::bodies::PublishBody>, description = r#"[{"type","data"}, …] (at most 1000)"#,
        example = json!([{"type": "credits.low", "data": {"balance": 10, "threshold": 100}}, {"type": "credits.depleted", "data": {"balance": 0}}])),
    params(("Idempotency-Key" = Option<String>, Header, description = "a repeat returns the first answer with 200 and delivers nothing new")),
    responses((status = 202, body = BatchView), (status = 200, body = BatchView, description = "idempotent replay"),
        (status = 409, body = super::error::Problem, description = "this Idempotency-Key was used with another body"),
        (status = 422, body = super::error::Problem)))]
#[tracing::instrument(skip_all)]
async fn publish_batch(
    State(state): State<AppState>,
    caller: Caller,
    Path(account): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<BatchView>), ApiError> {
    let account = caller.account(&account)?;
    caller.require_admin("account keys cannot publish events")?;
    refuse_operational(&account)?;
    let Value::Array(items) = &body else {
        return Err(ApiError::invalid("", "must be an array of {\"type\",\"data\"} objects"));
    };
    if items.is_empty() || items.len() > MAX_BATCH {
        return Err(ApiError::invalid("", format!("must hold 1 to {MAX_BATCH} events, not {}", items.len())));
    }
    let idempotency = idempotency_key(&headers, &body)?;
    let now = Timestamp::now();
    let mut events = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match parse_event(&state.catalog, item, &format!("/{i}"), now) {
            Ok(event) => events.push(event),
            Err(e) => errors.extend(e),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let (status, published) = commit(&state, &account, events, idempotency).await?;
    let deliveries = published.iter().map(|p| p.deliveries).sum();
    let events = published.into_iter().map(|p| p.event.into()).collect();
    Ok((status, Json(BatchView { events, deliveries })))
}

/// List events: newest first, or with `after` the ones after it, oldest first (polling).
#[utoipa::path(get, path = "/v1/accounts/{account}/events", tag = "events",
    params(("type" = Option<String>, Query), ("after" = Option<String>, Query, description = "an event id: the events after it, oldest first"),
        ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = List<EnvelopeView>)))]
async fn list_events(
    State(state): State<AppState>,
    caller: Caller,
    Path(account): Path<String>,
    params: Params,
) -> Result<Json<List<EnvelopeView>>, ApiError> {
    let account = caller.account(&account)?;
    state.store.get_account(&account).await.map_err(ApiError::from_store("account"))?;
    let event_type = params.parsed("type", EventType::parse)?;
    if let Some(after) = params.parsed("after", EventId::parse)? {
        // Polling: the next cursor is the last event returned, to pass as the next `after`.
        let page = state
            .store
            .events_after(&account, event_type.as_ref(), &after, params.limit()?)
            .await
            .map_err(ApiError::from_store("event"))?;
        return Ok(Json(List {
            data: page.items.into_iter().map(Into::into).collect(),
            next_cursor: page.next_cursor,
        }));
    }
    let page = params.page(EventId::parse)?;
    let events =
        state.store.list_events(&account, event_type.as_ref(), &page).await.map_err(ApiError::from_store("event"))?;
    Ok(Json(List::of(events, EnvelopeView::from)))
}

/// Read one event.
#[utoipa::path(get, path = "/v1/accounts/{account}/events/{event}", tag = "events",
    responses((status = 200, body = EnvelopeView), (status = 404, body = super::error::Problem)))]
async fn get_event(
    State(state): State<AppState>,
    caller: Caller,
    Path((account, event)): Path<(String, String)>,
) -> Result<Json<EnvelopeView>, ApiError> {
    let account = caller.account(&account)?;
    let id = EventId::parse(&event).map_err(|_| ApiError::NotFound("event"))?;
    let event = state.store.get_event(&account, &id).await.map_err(ApiError::from_store("event"))?;
    Ok(Json(event.into()))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Map, Number};

    use super::*;
    use crate::api::body::parse_json;

    /// Any JSON value, a few levels deep.
    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
            ".{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec(("[a-z_]{0,12}", inner), 0..6)
                    .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
            ]
        })
    }

    /// A publish body that is close enough to valid to reach the schemas:
    /// a catalog type (or not), and `data` made of the catalog's field names.
    fn event_like() -> impl Strategy<Value = Value> {
        let types = prop_oneof![
            Just("project.completed".to_owned()),
            Just("credits.low".to_owned()),
            Just("voice_clone.failed".to_owned()),
            "[a-z._]{0,20}",
        ];
        let key = prop_oneof![
            Just("project_id"),
            Just("project_type"),
            Just("video_url"),
            Just("balance"),
            Just("threshold"),
            Just("person_id"),
            Just("error_code"),
            Just("error_message"),
            Just("extra"),
        ];
        let data = prop::collection::vec((key, json()), 0..8)
            .prop_map(|fields| Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()));
        (types, prop_oneof![data, json()]).prop_map(|(t, data)| serde_json::json!({"type": t, "data": data}))
    }

    proptest! {
        #[test]
        fn any_json_is_refused_with_pointers_under_its_base_or_accepted(
            value in prop_oneof![json(), event_like()],
            base in "(/[0-9]{1,3})?",
        ) {
            let catalog = Catalog::builtin();
            match parse_event(&catalog, &value, &base, Timestamp::now()) {
                Ok(event) => {
                    let envelope: Value = serde_json::from_slice(&event.payload).unwrap();
                    prop_assert_eq!(&envelope["data"], &value["data"]);
                    prop_assert_eq!(envelope["type"].as_str(), Some(event.event_type.as_str()));
                }
                Err(errors) => {
                    prop_assert!(!errors.is_empty());
                    for e in errors {
                        prop_assert!(e.pointer.as_deref().is_some_and(|p| p.starts_with(&base)), "{:?}", e);
                        prop_assert!(!e.message.is_empty());
                    }
                }
            }
        }

        #[test]
        fn any_body_bytes_are_a_client_error_or_an_event(
            bytes in prop_oneof![
                prop::collection::vec(any::<u8>(), 0..200),
                event_like().prop_map(|v| serde_json::to_vec(&v).unwrap()),
                (1..80usize).prop_map(|n| format!("{}{}", "[".repeat(n), "]".repeat(n)).into_bytes()),
            ],
        ) {
            let catalog = Catalog::builtin();
            let outcome = parse_json(&bytes)
                .and_then(|v| parse_event(&catalog, &v, "", Timestamp::now()).map_err(ApiError::Invalid));
            if let Err(e) = outcome {
                prop_assert!(e.status().is_client_error(), "{:?}", e);
            }
        }
    }
}
