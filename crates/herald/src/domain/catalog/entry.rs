//! One catalogued event type, and its schema compiled once.

use std::sync::Arc;

use jsonschema::Validator;
use serde_json::Value;

use super::violations::{self, Violation};
use crate::domain::EventType;

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

/// An entry with its schema compiled.
#[derive(Clone)]
pub(super) struct Compiled {
    pub(super) entry: CatalogEntry,
    /// `None` when the type has no schema: any object is accepted.
    validator: Option<Arc<Validator>>,
}

impl Compiled {
    /// Compiles the entry's schema, if it has one; the error says why the
    /// schema does not compile.
    pub(super) fn new(entry: CatalogEntry) -> Result<Self, String> {
        let validator = match &entry.schema {
            Some(schema) => Some(Arc::new(compile(schema)?)),
            None => None,
        };
        Ok(Self { entry, validator })
    }

    /// Every violation of `data`, sorted by pointer.
    pub(super) fn check(&self, data: &Value) -> Result<(), Vec<Violation>> {
        if !data.is_object() {
            return Err(vec![Violation {
                pointer: String::new(),
                message: format!("must be a JSON object, not {}", violations::describe_value(data)),
            }]);
        }
        match &self.validator {
            None => Ok(()),
            Some(validator) => {
                let found = violations::collect(validator, data);
                if found.is_empty() {
                    Ok(())
                } else {
                    Err(found)
                }
            }
        }
    }
}

/// Compiles a schema the way every catalog schema is compiled: draft
/// detected from `$schema` (2020-12 when absent), formats enforced, no
/// network or file access for `$ref`s. The error is the compiler's
/// complaint, with where in the schema it is when known.
fn compile(schema: &Value) -> Result<Validator, String> {
    jsonschema::options().should_validate_formats(true).build(schema).map_err(|error| {
        let at = error.instance_path.as_str();
        if at.is_empty() {
            error.to_string()
        } else {
            format!("{error} (at {at} in the schema)")
        }
    })
}
