//! What an endpoint receives: its event types, and the filter on content
//! beside them, matched at publish against each event, whose `data` is
//! parsed from its envelope once, and only if some endpoint has a filter.

use std::cell::OnceCell;

use serde::Deserialize;
use serde_json::Value;

use super::{ContentFilter, EventType, TypeFilter};

/// An endpoint's event types and filter on content.
#[derive(Debug, Clone, Default)]
pub struct Subscription {
    /// The types it receives.
    pub types: TypeFilter,
    /// What their `data` must hold, if anything.
    pub content: Option<ContentFilter>,
}

impl Subscription {
    /// Whether an event of type `t` with this `data` is delivered.
    pub fn matches(&self, t: &EventType, data: &EventData<'_>) -> bool {
        self.types.matches(t) && self.content.as_ref().is_none_or(|f| f.matches(data.get()))
    }
}

/// An event's `data`, read from its envelope bytes on first use.
pub struct EventData<'a> {
    envelope: &'a [u8],
    parsed: OnceCell<Value>,
}

/// Just the `data` object of an envelope.
#[derive(Deserialize)]
struct DataOnly {
    data: Value,
}

impl<'a> EventData<'a> {
    /// The `data` of these envelope bytes, not parsed yet.
    pub fn of(envelope: &'a [u8]) -> Self {
        Self { envelope, parsed: OnceCell::new() }
    }

    /// The `data` (null if the envelope does not parse, which matches no condition).
    pub fn get(&self) -> &Value {
        self.parsed
            .get_or_init(|| serde_json::from_slice::<DataOnly>(self.envelope).map(|d| d.data).unwrap_or(Value::Null))
    }
}
