//! The catalog itself: every accepted type's entry, sorted by name, and
//! the check of an event's `data` against its type.

use std::fmt;

use serde_json::Value;

use super::{
    entry::{CatalogEntry, Compiled},
    violations::CatalogError,
};
use crate::domain::EventType;

/// All event types Herald accepts.
///
/// Cheap to clone: compiled schemas are shared.
#[derive(Clone, Default)]
pub struct Catalog {
    /// Sorted by type name, no duplicates.
    pub(super) entries: Vec<Compiled>,
}

impl fmt::Debug for Catalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Catalog").field("entries", &self.entries().collect::<Vec<_>>()).finish()
    }
}

impl Catalog {
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

    /// Whether some type of the catalog has the `data` field at `path` in
    /// its schema (a type without a schema takes any field).
    pub fn knows_field(&self, path: &[String]) -> bool {
        self.entries().any(|e| match &e.schema {
            None => true,
            Some(schema) => {
                let mut node = schema;
                path.iter().all(|key| match node.get("properties").and_then(|p| p.get(key)) {
                    Some(next) => {
                        node = next;
                        true
                    }
                    None => false,
                })
            }
        })
    }

    fn find(&self, t: &EventType) -> Option<&Compiled> {
        self.entries.binary_search_by(|c| c.entry.event_type.cmp(t)).ok().map(|i| &self.entries[i])
    }

    /// Builds a catalog from entries, keeping them sorted by type name.
    pub(super) fn from_compiled(mut entries: Vec<Compiled>) -> Self {
        entries.sort_by(|a, b| a.entry.event_type.cmp(&b.entry.event_type));
        Self { entries }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::catalog::Violation;

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
