//! The event catalog: the types Herald accepts, each with an optional JSON
//! Schema (draft 2020-12) of `data` and an example `data`.
//!
//! The eight built-in types of the contract live as JSON files in
//! `catalog/` and are embedded at build time; operators add more from a JSON
//! file ([`Catalog::with_extra_file`]). Every schema is compiled once, when
//! the catalog is built, with format validation on (a `video_url` must be a
//! URI, not just a string). Extra fields in `data` are always allowed.

mod builtin;
mod extra;
mod violations;

use std::fmt;
use std::sync::Arc;

use jsonschema::Validator;
use serde_json::Value;

use super::EventType;

pub use extra::CatalogFileError;

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

/// An entry with its schema compiled.
#[derive(Clone)]
struct Compiled {
    entry: CatalogEntry,
    /// `None` when the type has no schema: any object is accepted.
    validator: Option<Arc<Validator>>,
}

impl Compiled {
    /// Compiles the entry's schema, if it has one; the error says why the
    /// schema does not compile.
    fn new(entry: CatalogEntry) -> Result<Self, String> {
        let validator = match &entry.schema {
            Some(schema) => Some(Arc::new(compile(schema)?)),
            None => None,
        };
        Ok(Self { entry, validator })
    }

    /// Every violation of `data`, sorted by pointer.
    fn check(&self, data: &Value) -> Result<(), Vec<Violation>> {
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

/// All event types Herald accepts.
///
/// Cheap to clone: compiled schemas are shared.
#[derive(Clone, Default)]
pub struct Catalog {
    /// Sorted by type name, no duplicates.
    entries: Vec<Compiled>,
}

impl fmt::Debug for Catalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Catalog").field("entries", &self.entries().collect::<Vec<_>>()).finish()
    }
}

impl Catalog {
    /// The eight built-in types of the contract.
    pub fn builtin() -> Self {
        builtin::catalog()
    }

    /// One type's entry.
    pub fn get(&self, t: &EventType) -> Option<&CatalogEntry> {
        self.find(t).map(|c| &c.entry)
    }

    /// Every entry, sorted by type name.
    pub fn entries(&self) -> impl Iterator<Item = &CatalogEntry> {
        self.entries.iter().map(|c| &c.entry)
    }

    /// Checks `data` against the type's schema: `data` must be a JSON
    /// object, and every schema violation is reported, sorted by pointer.
    pub fn validate(&self, t: &EventType, data: &Value) -> Result<(), CatalogError> {
        self.find(t).ok_or_else(|| CatalogError::UnknownType(t.to_string()))?.check(data).map_err(CatalogError::Invalid)
    }

    fn find(&self, t: &EventType) -> Option<&Compiled> {
        self.entries.binary_search_by(|c| c.entry.event_type.cmp(t)).ok().map(|i| &self.entries[i])
    }

    /// Builds a catalog from entries, keeping them sorted by type name.
    fn from_compiled(mut entries: Vec<Compiled>) -> Self {
        entries.sort_by(|a, b| a.entry.event_type.cmp(&b.entry.event_type));
        Self { entries }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn t(s: &str) -> EventType {
        EventType::parse(s).expect("test type names are valid")
    }

    fn violations(t_name: &str, data: Value) -> Vec<Violation> {
        match Catalog::builtin().validate(&t(t_name), &data) {
            Err(CatalogError::Invalid(v)) => v,
            other => panic!("expected violations, got {other:?}"),
        }
    }

    fn pointers(v: &[Violation]) -> Vec<&str> {
        v.iter().map(|v| v.pointer.as_str()).collect()
    }

    /// The `data` of the guide's full `project.completed` example.
    fn guide_project_completed() -> Value {
        json!({
            "project_id": 42,
            "project_type": "scene_project",
            "video_url": "https://storage.twin.actor/videos/project_42_final.mp4",
            "video_url_upscaled": null,
            "thumbnail_url": "https://storage.twin.actor/thumbs/project_42.jpg",
            "duration_seconds": 50,
            "credits_used": 500,
            "person_id": 1,
            "person_name": "Alex Chen"
        })
    }

    #[test]
    fn the_guides_project_completed_payload_passes() {
        let catalog = Catalog::builtin();
        let data = guide_project_completed();
        assert_eq!(catalog.validate(&t("project.completed"), &data), Ok(()));
        let minimal = json!({
            "project_id": 42,
            "project_type": "scene_project",
            "video_url": "https://storage.twin.actor/videos/project_42_final.mp4",
            "duration_seconds": 50,
            "credits_used": 500
        });
        assert_eq!(catalog.validate(&t("project.completed"), &minimal), Ok(()));
    }

    #[test]
    fn a_missing_required_field_points_at_the_field_itself() {
        let mut data = guide_project_completed();
        data.as_object_mut().map(|o| o.remove("project_id"));
        let v = violations("project.completed", data);
        assert_eq!(pointers(&v), ["/project_id"]);
        assert_eq!(v[0].message, "is required");
    }

    #[test]
    fn a_string_where_an_integer_is_required_points_at_the_field() {
        let mut data = guide_project_completed();
        data["project_id"] = json!("42");
        let v = violations("project.completed", data);
        assert_eq!(pointers(&v), ["/project_id"]);
        assert_eq!(v[0].message, "must be an integer, not a string");
    }

    #[test]
    fn a_video_url_that_is_not_a_uri_is_refused() {
        let mut data = guide_project_completed();
        data["video_url"] = json!("not a uri");
        let v = violations("project.completed", data);
        assert_eq!(pointers(&v), ["/video_url"]);
        assert!(v[0].message.contains("URI"), "{}", v[0].message);
    }

    #[test]
    fn the_upscaled_url_may_be_null_or_a_uri_but_nothing_else() {
        let mut data = guide_project_completed();
        data["video_url_upscaled"] = json!("https://storage.twin.actor/videos/project_42_4k.mp4");
        let catalog = Catalog::builtin();
        assert_eq!(catalog.validate(&t("project.completed"), &data), Ok(()));
        data["video_url_upscaled"] = json!(7);
        let v = violations("project.completed", data);
        assert_eq!(v[0].message, "must be a string or null, not 7");
    }

    #[test]
    fn every_violation_is_reported_sorted_by_pointer() {
        let data = json!({"project_type": 3, "progress": 101});
        let v = violations("project.processing", data);
        assert_eq!(pointers(&v), ["/progress", "/project_id", "/project_type"]);
        assert_eq!(v[0].message, "must be at most 100");
    }

    #[test]
    fn a_depleted_balance_must_be_zero() {
        let v = violations("credits.depleted", json!({"balance": 5}));
        assert_eq!(pointers(&v), ["/balance"]);
        assert_eq!(v[0].message, "must be 0");
    }

    #[test]
    fn extra_fields_pass() {
        let mut data = guide_project_completed();
        data["render_farm"] = json!({"region": "eu-west", "gpus": 8});
        let catalog = Catalog::builtin();
        assert_eq!(catalog.validate(&t("project.completed"), &data), Ok(()));
    }

    #[test]
    fn an_unknown_type_is_refused() {
        let catalog = Catalog::builtin();
        assert_eq!(
            catalog.validate(&t("project.exploded"), &json!({})),
            Err(CatalogError::UnknownType("project.exploded".into()))
        );
    }

    #[test]
    fn data_that_is_not_an_object_is_refused_at_the_root() {
        for data in [json!([1, 2]), json!("x"), json!(null), json!(42)] {
            let v = violations("credits.low", data);
            assert_eq!(pointers(&v), [""]);
            assert!(v[0].message.starts_with("must be a JSON object"));
        }
    }

    #[test]
    fn pointers_escape_slashes_and_tildes_in_property_names() {
        let schema = json!({"type": "object", "required": ["a/b~c"]});
        let entry = CatalogEntry {
            event_type: t("odd.names"),
            description: String::new(),
            schema: Some(schema),
            example: json!({}),
        };
        let compiled = Compiled::new(entry).expect("the schema compiles");
        let v = compiled.check(&json!({})).expect_err("a field is missing");
        assert_eq!(pointers(&v), ["/a~1b~0c"]);
    }

    #[test]
    fn the_catalog_can_be_shared_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Catalog>();
    }
}
