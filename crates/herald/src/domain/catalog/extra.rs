//! Event types added by the operator: a JSON array of
//! `{"type", "description"?, "schema"?, "example"?}` objects.
//!
//! A type without a schema accepts any object as `data`; the example
//! defaults to `{}`. Every entry is checked before the catalog is returned:
//! a valid and new type name, a schema that compiles, an example that passes
//! it. Unknown keys are refused, so a misspelt `"schema"` cannot silently
//! turn validation off.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::{
    builtin,
    entry::{CatalogEntry, Compiled},
    registry::Catalog,
    violations::Violation,
};
use crate::domain::{event_type::EventTypeError, EventType};

/// Why a file of extra event types was refused.
#[derive(Debug, thiserror::Error)]
pub enum CatalogFileError {
    /// The file could not be read.
    #[error("cannot read the event types file {}: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The text is not a JSON array of entries.
    #[error("the extra event types are not a JSON array of {{\"type\", \"description\"?, \"schema\"?, \"example\"?}} objects: {0}")]
    Json(serde_json::Error),
    /// An entry's `type` is not a valid type name.
    #[error("the extra event type at index {index} of the array: {error}")]
    BadName {
        /// The entry's position in the array.
        index: usize,
        /// What is wrong with the name.
        error: EventTypeError,
    },
    /// The type is already in the catalog (built in, or listed twice).
    #[error("extra event type `{name}`: {}", if *.builtin { "built-in types cannot be redefined" } else { "the type is defined twice" })]
    Duplicate {
        /// The type name.
        name: String,
        /// Whether it is a built-in type.
        builtin: bool,
    },
    /// The entry's schema is not a valid JSON Schema.
    #[error("extra event type `{name}`: the schema does not compile: {message}")]
    BadSchema {
        /// The type name.
        name: String,
        /// What the schema compiler said.
        message: String,
    },
    /// The entry's example does not pass its schema.
    #[error("extra event type `{name}`: the example does not pass the schema: {}", join(.violations))]
    BadExample {
        /// The type name.
        name: String,
        /// Every way the example fails.
        violations: Vec<Violation>,
    },
}

fn join(violations: &[Violation]) -> String {
    let parts: Vec<String> = violations.iter().map(ToString::to_string).collect();
    parts.join("; ")
}

/// One entry of the file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtraType {
    #[serde(rename = "type")]
    event_type: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    schema: Option<Value>,
    #[serde(default)]
    example: Option<Value>,
}

impl Catalog {
    /// Adds the event types listed in a JSON file (see [`Catalog::with_extra_json`]).
    pub fn with_extra_file(self, path: &Path) -> Result<Catalog, CatalogFileError> {
        let text =
            std::fs::read_to_string(path).map_err(|error| CatalogFileError::Read { path: path.to_owned(), error })?;
        self.with_extra_json(&text)
    }

    /// Adds the event types of a JSON array of
    /// `{"type", "description"?, "schema"?, "example"?}` objects, refusing
    /// bad or duplicate names, schemas that do not compile and examples that
    /// do not pass their schema.
    pub fn with_extra_json(self, json: &str) -> Result<Catalog, CatalogFileError> {
        let extras: Vec<ExtraType> = serde_json::from_str(json).map_err(CatalogFileError::Json)?;
        let mut entries = self.entries;
        for (index, extra) in extras.into_iter().enumerate() {
            let event_type =
                EventType::parse(&extra.event_type).map_err(|error| CatalogFileError::BadName { index, error })?;
            let name = event_type.to_string();
            if entries.iter().any(|c| c.entry.event_type == event_type) {
                let builtin = builtin::is_builtin(&event_type);
                return Err(CatalogFileError::Duplicate { name, builtin });
            }
            let entry = CatalogEntry {
                event_type,
                description: extra.description.unwrap_or_default(),
                schema: extra.schema,
                example: extra.example.unwrap_or_else(|| Value::Object(Default::default())),
            };
            let compiled =
                Compiled::new(entry).map_err(|message| CatalogFileError::BadSchema { name: name.clone(), message })?;
            compiled
                .check(&compiled.entry.example)
                .map_err(|violations| CatalogFileError::BadExample { name: name.clone(), violations })?;
            entries.push(compiled);
        }
        Ok(Catalog::from_compiled(entries))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::catalog::CatalogError;

    fn t(s: &str) -> EventType {
        EventType::parse(s).expect("test type names are valid")
    }

    fn refused(json: &str) -> CatalogFileError {
        Catalog::builtin().with_extra_json(json).expect_err("the extra types are refused")
    }

    const RENDER_QUEUED: &str = r#"[{
        "type": "render.queued",
        "description": "A render job was queued.",
        "schema": {
            "type": "object",
            "required": ["job_id"],
            "properties": {"job_id": {"type": "integer"}}
        },
        "example": {"job_id": 7}
    }]"#;

    #[test]
    fn an_extra_type_with_a_schema_is_validated_like_a_built_in_one() {
        let catalog = Catalog::builtin().with_extra_json(RENDER_QUEUED).expect("the extra types are accepted");
        let entry = catalog.get(&t("render.queued")).expect("the type is added");
        assert_eq!(entry.description, "A render job was queued.");
        assert_eq!(entry.example, json!({"job_id": 7}));
        assert_eq!(catalog.validate(&t("render.queued"), &json!({"job_id": 8})), Ok(()));
        let Err(CatalogError::Invalid(v)) = catalog.validate(&t("render.queued"), &json!({})) else {
            panic!("a missing job_id is refused");
        };
        assert_eq!(v[0].pointer, "/job_id");
        assert_eq!(catalog.entries().count(), 9);
        assert!(catalog.get(&t("project.completed")).is_some());
    }

    #[test]
    fn an_extra_type_without_a_schema_accepts_any_object() {
        let catalog =
            Catalog::builtin().with_extra_json(r#"[{"type": "audit.note"}]"#).expect("the extra types are accepted");
        let entry = catalog.get(&t("audit.note")).expect("the type is added");
        assert_eq!((entry.schema.as_ref(), &entry.example), (None, &json!({})));
        let data = json!({"anything": [1, "two"]});
        assert_eq!(catalog.validate(&t("audit.note"), &data), Ok(()));
        let Err(CatalogError::Invalid(v)) = catalog.validate(&t("audit.note"), &json!(3)) else {
            panic!("non-object data is refused");
        };
        assert_eq!(v[0].pointer, "");
    }

    #[test]
    fn entries_stay_sorted_by_type_name_after_additions() {
        let catalog = Catalog::builtin()
            .with_extra_json(r#"[{"type": "zoo.opened"}, {"type": "audit.note"}]"#)
            .expect("the extra types are accepted");
        let names: Vec<String> = catalog.entries().map(|e| e.event_type.to_string()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert_eq!(names.first().map(String::as_str), Some("audit.note"));
    }

    #[test]
    fn extra_types_are_read_from_a_file() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("types.json");
        std::fs::write(&path, RENDER_QUEUED).expect("the file is written");
        let catalog = Catalog::builtin().with_extra_file(&path).expect("the extra types are accepted");
        assert!(catalog.get(&t("render.queued")).is_some());
        let missing = Catalog::builtin().with_extra_file(&dir.path().join("nope.json"));
        assert!(matches!(missing, Err(CatalogFileError::Read { .. })));
    }

    #[test]
    fn a_file_that_is_not_an_array_of_entries_is_refused() {
        assert!(matches!(refused("{}"), CatalogFileError::Json(_)));
        assert!(matches!(refused("[{\"description\": \"x\"}]"), CatalogFileError::Json(_)));
        let misspelt = refused(r#"[{"type": "a.b", "shema": {}}]"#);
        assert!(matches!(misspelt, CatalogFileError::Json(_)), "{misspelt}");
    }

    #[test]
    fn a_bad_type_name_is_refused() {
        let e = refused(r#"[{"type": "audit.note"}, {"type": "Audit Note"}]"#);
        assert!(matches!(e, CatalogFileError::BadName { index: 1, .. }), "{e}");
    }

    #[test]
    fn a_built_in_type_cannot_be_redefined() {
        let e = refused(r#"[{"type": "project.completed"}]"#);
        assert!(matches!(e, CatalogFileError::Duplicate { builtin: true, .. }), "{e}");
        assert!(e.to_string().contains("`project.completed`"), "{e}");
        let e = refused(r#"[{"type": "audit.note"}, {"type": "audit.note"}]"#);
        assert!(matches!(e, CatalogFileError::Duplicate { builtin: false, .. }), "{e}");
    }

    #[test]
    fn a_schema_that_does_not_compile_is_refused() {
        let e = refused(r#"[{"type": "audit.note", "schema": {"type": "strin"}}]"#);
        assert!(matches!(e, CatalogFileError::BadSchema { .. }), "{e}");
        assert!(e.to_string().contains("`audit.note`"), "{e}");
        let e = refused(r#"[{"type": "audit.note", "schema": {"$ref": "https://example.com/s.json"}}]"#);
        assert!(matches!(e, CatalogFileError::BadSchema { .. }), "{e}");
    }

    #[test]
    fn an_example_that_fails_its_schema_is_refused() {
        let e = refused(
            r#"[{"type": "render.queued",
                 "schema": {"type": "object", "required": ["job_id"]}}]"#,
        );
        let CatalogFileError::BadExample { name, violations } = &e else {
            panic!("expected a bad example, got {e}");
        };
        assert_eq!(name, "render.queued");
        assert_eq!(violations[0].pointer, "/job_id");
        assert!(e.to_string().contains("/job_id is required"), "{e}");
        let e = refused(r#"[{"type": "audit.note", "example": [1]}]"#);
        assert!(matches!(e, CatalogFileError::BadExample { .. }), "{e}");
    }
}
