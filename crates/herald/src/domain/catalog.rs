//! The event catalog: built-in types with a JSON Schema and an example each.
// Placeholder: replaced by the catalog work in progress.

use serde_json::Value;

use super::EventType;

/// One catalogued event type.
#[derive(Debug, Clone)]
pub struct CatalogEntry {
    /// The type name.
    pub event_type: EventType,
    /// What happened, in one sentence.
    pub description: String,
    /// The JSON Schema of `data`, if the type has one.
    pub schema: Option<Value>,
    /// An example `data` object that passes the schema.
    pub example: Value,
}

/// A violation of a type's schema, located by JSON pointer within `data`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer relative to `data` (`""` for `data` itself).
    pub pointer: String,
    /// What is wrong, for a person.
    pub message: String,
}

/// Why `data` was refused for a type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// The type is not in the catalog.
    #[error("unknown event type `{0}`")]
    UnknownType(String),
    /// `data` does not match the type's schema.
    #[error("data does not match the schema of the event type")]
    Invalid(Vec<Violation>),
}

/// All event types Herald accepts.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    entries: Vec<CatalogEntry>,
}

impl Catalog {
    /// The eight built-in types of the contract.
    pub fn builtin() -> Self {
        Self::default()
    }

    /// One type's entry.
    pub fn get(&self, t: &EventType) -> Option<&CatalogEntry> {
        self.entries.iter().find(|e| &e.event_type == t)
    }

    /// Every entry, sorted by type name.
    pub fn entries(&self) -> impl Iterator<Item = &CatalogEntry> {
        self.entries.iter()
    }

    /// Checks `data` against the type's schema.
    pub fn validate(&self, t: &EventType, _data: &Value) -> Result<(), CatalogError> {
        self.get(t)
            .map(|_| ())
            .ok_or_else(|| CatalogError::UnknownType(t.to_string()))
    }
}
