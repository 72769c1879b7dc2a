//! The eight built-in event types of the contract, and the three
//! operational ones Herald publishes itself (`endpoint.*`, to the `herald`
//! account), embedded from the JSON files beside this module (`<type>.json`,
//! each holding `{"description","schema","example"}`) and compiled once per
//! process.

use std::sync::LazyLock;

use serde::Deserialize;
use serde_json::Value;

use super::{
    entry::{CatalogEntry, Compiled},
    registry::Catalog,
};
use crate::domain::EventType;

/// Type name and file contents of every built-in type.
const FILES: [(&str, &str); 8] = [
    ("credits.depleted", include_str!("credits.depleted.json")),
    ("credits.low", include_str!("credits.low.json")),
    ("project.completed", include_str!("project.completed.json")),
    ("project.created", include_str!("project.created.json")),
    ("project.failed", include_str!("project.failed.json")),
    ("project.processing", include_str!("project.processing.json")),
    ("voice_clone.completed", include_str!("voice_clone.completed.json")),
    ("voice_clone.failed", include_str!("voice_clone.failed.json")),
];

/// Type name and file contents of every operational type.
const OPERATIONAL_FILES: [(&str, &str); 3] = [
    ("endpoint.disabled", include_str!("endpoint.disabled.json")),
    ("endpoint.enabled", include_str!("endpoint.enabled.json")),
    ("endpoint.gone", include_str!("endpoint.gone.json")),
];

/// One embedded file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BuiltinFile {
    description: String,
    schema: Value,
    example: Value,
}

static BUILTIN: LazyLock<Catalog> = LazyLock::new(|| embedded(&FILES));
static OPERATIONAL: LazyLock<Catalog> = LazyLock::new(|| embedded(&OPERATIONAL_FILES));

/// The catalog of embedded files.
fn embedded(files: &[(&str, &str)]) -> Catalog {
    let entries = files
        .iter()
        .map(|(name, text)| {
            let file: BuiltinFile = serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("built-in catalog file {name}.json is malformed: {e}"));
            let entry = CatalogEntry {
                event_type: EventType::parse(name).expect("built-in type names are valid"),
                description: file.description,
                schema: Some(file.schema),
                example: file.example,
            };
            Compiled::new(entry).unwrap_or_else(|e| panic!("built-in schema of {name} does not compile: {e}"))
        })
        .collect();
    Catalog::from_compiled(entries)
}

impl Catalog {
    /// The eight built-in types of the contract; the schemas are compiled
    /// on first use only.
    pub fn builtin() -> Self {
        BUILTIN.clone()
    }

    /// The operational types: what Herald tells the platform about its
    /// webhooks, published to the `herald` account only.
    pub fn operational() -> Self {
        OPERATIONAL.clone()
    }
}

/// Whether `t` is one of the built-in types.
pub(super) fn is_builtin(t: &EventType) -> bool {
    FILES.iter().any(|(name, _)| *name == t.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_the_eight_types_of_the_contract_sorted_by_name() {
        let names: Vec<String> = Catalog::builtin().entries().map(|e| e.event_type.to_string()).collect();
        assert_eq!(
            names,
            [
                "credits.depleted",
                "credits.low",
                "project.completed",
                "project.created",
                "project.failed",
                "project.processing",
                "voice_clone.completed",
                "voice_clone.failed",
            ]
        );
    }

    #[test]
    fn every_example_passes_its_own_schema() {
        for catalog in [Catalog::builtin(), Catalog::operational()] {
            for entry in catalog.entries() {
                assert!(entry.schema.is_some(), "{} has a schema", entry.event_type);
                assert!(!entry.description.is_empty());
                assert_eq!(
                    catalog.validate(&entry.event_type, &entry.example),
                    Ok(()),
                    "example of {}",
                    entry.event_type
                );
            }
        }
    }

    #[test]
    fn every_schema_is_draft_2020_12_and_allows_extra_fields() {
        for entry in Catalog::builtin().entries() {
            let schema = entry.schema.as_ref().expect("built-in types have a schema");
            assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema", "{}", entry.event_type);
            assert!(schema.get("additionalProperties").is_none());
            assert!(schema.get("unevaluatedProperties").is_none());
        }
    }
}
