//! The stream's route: parsing what the client asked for, and starting its
//! follower.

use axum::{
    extract::{Path, State},
    http::{header, HeaderMap},
    response::{IntoResponse, Response},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::follower::{Follower, Pace};
use crate::{
    api::{
        auth::Caller,
        error::{ApiError, FieldError},
        query::Params,
        AppState,
    },
    domain::{DataField, EventFilter, EventId, EventType, TypeFilter, TypePattern},
    store::StoreError,
};

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stream_events))
}

/// Follow an account's events live (Server-Sent Events).
///
/// Each event is `id:` the event id, `event:` its type and `data:` the
/// envelope exactly as delivered. Without a position the stream starts with
/// the events committed after it opened; with `Last-Event-ID` (header, or
/// `last_event_id`) it resumes right after that event, in commit order, with
/// no gap and no repeat. A `: keep-alive` comment is sent when the stream is
/// idle; a reader that takes nothing for too long, or a server that stops,
/// ends the stream with a comment naming the `Last-Event-ID` to reconnect with.
#[utoipa::path(get, path = "/v1/accounts/{account}/events/stream", tag = "events",
    params(
        ("types" = Option<String>, Query, description = "comma-separated event types; `project.*` patterns allowed"),
        ("project_id" = Option<i64>, Query, description = "only events whose `data.project_id` is this"),
        ("person_id" = Option<i64>, Query, description = "only events whose `data.person_id` is this"),
        ("last_event_id" = Option<String>, Query, description = "resume after this event (the header wins)"),
        ("Last-Event-ID" = Option<String>, Header, description = "resume after this event")),
    responses(
        (status = 200, content_type = "text/event-stream", body = String,
            description = "`id:`, `event:` and `data:` (the envelope) per event; comments between"),
        (status = 400, body = crate::api::error::Problem), (status = 404, body = crate::api::error::Problem)))]
#[tracing::instrument(skip_all)]
async fn stream_events(
    State(state): State<AppState>,
    caller: Caller,
    Path(account): Path<String>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, ApiError> {
    let account = caller.account(&account)?;
    let filter = event_filter(&state, &params)?;
    let resume = resume_position(&headers, &params)?;
    state.store.get_account(&account).await.map_err(ApiError::from_store("account"))?;
    // Subscribed before the start is read, so no commit after it goes unnoticed.
    let new_events = state.publisher.new_events().subscribe();
    let start = match resume {
        // A position that is not one of this account's events counts as the
        // moment it was made; the stream names that moment, not the id.
        Some(position) => match state.store.get_event(&account, &position).await {
            Ok(_) => position,
            Err(StoreError::NotFound) => EventId::lower_bound(position.unix_millis()),
            Err(e) => return Err(ApiError::from_store("event")(e)),
        },
        None => state
            .store
            .last_event_id(&account)
            .await
            .map_err(ApiError::from_store("event"))?
            // No event yet: the smallest id, before every event to come.
            .unwrap_or_else(|| EventId::lower_bound(0)),
    };
    let config = &state.config;
    let body = Follower {
        store: state.store.clone(),
        account,
        filter,
        start,
        pace: Pace {
            heartbeat: config.stream_heartbeat,
            poll: config.stream_poll,
            write_timeout: config.stream_write_timeout,
        },
        shutdown: state.shutdown.clone(),
        new_events,
    }
    .start(&state.streams);
    let headers = [
        (header::CONTENT_TYPE, "text/event-stream"),
        (header::CACHE_CONTROL, "no-cache"),
        (header::HeaderName::from_static("x-accel-buffering"), "no"),
    ];
    Ok((headers, body).into_response())
}

/// `types`, `project_id` and `person_id`, each refused with a 400 naming it.
fn event_filter(state: &AppState, params: &Params) -> Result<EventFilter, ApiError> {
    let types = match params.get("types") {
        Some(raw) => type_filter(state, raw)?,
        None => TypeFilter::all(),
    };
    let mut fields = Vec::new();
    for field in DataField::ALL {
        let value = params.parsed(field.name(), |v| v.trim().parse::<i64>().map_err(|_| "must be a whole number"))?;
        fields.extend(value.map(|v| (field, v)));
    }
    Ok(EventFilter::new(types, fields))
}

/// Comma-separated types or `prefix.*` patterns; an exact type must be in the catalog.
fn type_filter(state: &AppState, raw: &str) -> Result<TypeFilter, ApiError> {
    let mut patterns = Vec::new();
    for entry in raw.split(',').map(str::trim) {
        if entry.is_empty() {
            return Err(ApiError::bad_parameter("types", "has an empty entry; separate types with single commas"));
        }
        let pattern = TypePattern::parse(entry).map_err(|e| ApiError::bad_parameter("types", e.to_string()))?;
        if EventType::parse(entry).is_ok_and(|t| state.catalog.get(&t).is_none()) {
            let message = format!("`{entry}` is not in the event catalog (GET /v1/event-types)");
            return Err(ApiError::bad_parameter("types", message));
        }
        patterns.push(pattern);
    }
    if patterns.len() > TypeFilter::MAX_PATTERNS {
        return Err(ApiError::bad_parameter("types", format!("may list at most {} types", TypeFilter::MAX_PATTERNS)));
    }
    Ok(TypeFilter::of(patterns))
}

/// The `Last-Event-ID` header (what an SSE client sends when it reconnects),
/// else the `last_event_id` query parameter.
fn resume_position(headers: &HeaderMap, params: &Params) -> Result<Option<EventId>, ApiError> {
    const HEADER: &str = "Last-Event-ID";
    if let Some(raw) = headers.get(HEADER) {
        let refused = |message: String| ApiError::BadRequest {
            detail: format!("the {HEADER} header: {message}"),
            errors: vec![FieldError::parameter(HEADER, message)],
        };
        let text = raw.to_str().map_err(|_| refused("must be an event id".into()))?.trim();
        if !text.is_empty() {
            return EventId::parse(text).map(Some).map_err(|e| refused(e.to_string()));
        }
    }
    params.parsed("last_event_id", EventId::parse)
}
