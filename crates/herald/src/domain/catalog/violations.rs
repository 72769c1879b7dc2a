//! What is wrong with an event's `data`: [`Violation`]s (a JSON pointer
//! within `data` and a message a person can act on), made from
//! `jsonschema`'s validation errors, and [`CatalogError`].

use std::fmt;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{JsonType, ValidationError, Validator};
use serde_json::Value;

/// A violation of a type's schema, located by JSON pointer within `data`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer relative to `data` (`""` for `data` itself).
    pub pointer: String,
    /// What is wrong, for a person.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pointer.is_empty() {
            write!(f, "data {}", self.message)
        } else {
            write!(f, "{} {}", self.pointer, self.message)
        }
    }
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

/// Every violation of `data`, sorted by pointer (schema order within one
/// pointer).
pub(super) fn collect(validator: &Validator, data: &Value) -> Vec<Violation> {
    let mut found: Vec<Violation> = validator.iter_errors(data).map(|e| violation(&e)).collect();
    found.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    found.dedup();
    found
}

/// One error as a violation. A missing property is located at the property
/// itself, not at the object that lacks it.
fn violation(error: &ValidationError<'_>) -> Violation {
    if let ValidationErrorKind::Required { property } = &error.kind {
        let name = property.as_str().map_or_else(|| property.to_string(), str::to_owned);
        return Violation {
            pointer: error.instance_path.join(name.as_str()).as_str().to_owned(),
            message: "is required".to_owned(),
        };
    }
    Violation { pointer: error.instance_path.as_str().to_owned(), message: message(error) }
}

fn message(error: &ValidationError<'_>) -> String {
    use ValidationErrorKind as K;
    match &error.kind {
        K::Type { kind } => format!("must be {}, not {}", expected_types(kind), describe_value(&error.instance)),
        K::Format { format } if format == "uri" => {
            "must be an absolute URI, such as https://example.com/video.mp4".to_owned()
        }
        K::Format { format } => format!("must be a valid `{format}`"),
        K::Constant { expected_value } => format!("must be {expected_value}"),
        K::Enum { options } => match options.as_array() {
            Some(options) => format!("must be one of {}", join(options.iter(), ", ")),
            None => format!("must be one of {options}"),
        },
        K::Minimum { limit } => format!("must be at least {limit}"),
        K::Maximum { limit } => format!("must be at most {limit}"),
        K::ExclusiveMinimum { limit } => format!("must be greater than {limit}"),
        K::ExclusiveMaximum { limit } => format!("must be less than {limit}"),
        K::MinLength { limit } => format!("must be at least {limit} characters long"),
        K::MaxLength { limit } => format!("must be at most {limit} characters long"),
        K::MinItems { limit } => format!("must have at least {limit} items"),
        K::MaxItems { limit } => format!("must have at most {limit} items"),
        K::Pattern { pattern } => format!("must match the pattern `{pattern}`"),
        K::AdditionalProperties { unexpected } | K::UnevaluatedProperties { unexpected } => {
            format!("must not have the properties {}", join(unexpected.iter(), ", "))
        }
        _ => error.to_string(),
    }
}

/// `an integer`, `a string or null`.
fn expected_types(kind: &TypeKind) -> String {
    let mut types: Vec<JsonType> = match kind {
        TypeKind::Single(t) => vec![*t],
        TypeKind::Multiple(set) => set.iter().collect(),
    };
    // "a string or null" reads better than "null or a string".
    types.sort_by_key(|t| *t == JsonType::Null);
    join(types.into_iter().map(type_name), " or ")
}

fn type_name(t: JsonType) -> String {
    match t {
        JsonType::Null => "null".to_owned(),
        JsonType::Array | JsonType::Integer | JsonType::Object => format!("an {t}"),
        _ => format!("a {t}"),
    }
}

/// What a value is, for a message: scalars as themselves, others by kind.
pub(super) fn describe_value(v: &Value) -> String {
    match v {
        Value::Null | Value::Bool(_) | Value::Number(_) => v.to_string(),
        Value::String(_) => "a string".to_owned(),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

fn join<T: std::fmt::Display>(items: impl Iterator<Item = T>, sep: &str) -> String {
    items.map(|i| i.to_string()).collect::<Vec<_>>().join(sep)
}
