//! Which events a live-stream reader wants: types (with `prefix.*` patterns)
//! and the ids of `data` it follows (`project_id`, `person_id`), matched
//! against stored envelopes.

use serde::Deserialize;
use serde_json::Value;

use super::{EventType, TypeFilter};

/// A `data` field a reader may follow one value of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataField {
    /// `project_id`: one project through created, processing, completed or failed.
    ProjectId,
    /// `person_id`: one person's projects and voice clones.
    PersonId,
}

impl DataField {
    /// Every field that can be followed.
    pub const ALL: [Self; 2] = [Self::ProjectId, Self::PersonId];

    /// The field's name in `data`, and the query parameter's.
    pub fn name(self) -> &'static str {
        match self {
            Self::ProjectId => "project_id",
            Self::PersonId => "person_id",
        }
    }
}

/// Types and `data` values an event must match; the default matches every event.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// The types wanted.
    types: TypeFilter,
    /// `data` fields that must hold these integers, all of them.
    fields: Vec<(DataField, i64)>,
}

/// Just the `data` object of an envelope, for field matching.
#[derive(Deserialize)]
struct DataOnly {
    /// The producer's object.
    data: Value,
}

impl EventFilter {
    /// A filter of these types and field values.
    pub fn new(types: TypeFilter, fields: Vec<(DataField, i64)>) -> Self {
        Self { types, fields }
    }

    /// Whether an event of this type, with these envelope bytes, is wanted.
    /// An envelope that does not parse matches no field filter.
    pub fn matches(&self, event_type: &EventType, envelope: &[u8]) -> bool {
        if !self.types.matches(event_type) {
            return false;
        }
        if self.fields.is_empty() {
            return true;
        }
        let Ok(DataOnly { data }) = serde_json::from_slice::<DataOnly>(envelope) else {
            return false;
        };
        self.fields.iter().all(|(field, wanted)| data.get(field.name()).and_then(Value::as_i64) == Some(*wanted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TypePattern;

    fn t(s: &str) -> EventType {
        EventType::parse(s).unwrap()
    }

    const CREATED: &[u8] = br#"{"id":"evt_1","type":"project.created","created_at":"2024-03-20T10:15:00Z","data":{"project_id":42,"project_type":"scene","person_id":7}}"#;

    #[test]
    fn the_default_filter_matches_everything() {
        assert!(EventFilter::default().matches(&t("project.created"), CREATED));
        assert!(EventFilter::default().matches(&t("credits.low"), b"not json"));
    }

    #[test]
    fn types_and_every_field_must_match() {
        let projects = TypeFilter::of(vec![TypePattern::parse("project.*").unwrap()]);
        let one_project = EventFilter::new(projects.clone(), vec![(DataField::ProjectId, 42)]);
        assert!(one_project.matches(&t("project.created"), CREATED));
        assert!(!one_project.matches(&t("credits.low"), CREATED));
        assert!(!EventFilter::new(projects.clone(), vec![(DataField::ProjectId, 43)])
            .matches(&t("project.created"), CREATED));
        let both = vec![(DataField::ProjectId, 42), (DataField::PersonId, 7)];
        assert!(EventFilter::new(projects.clone(), both).matches(&t("project.created"), CREATED));
        let other_person = vec![(DataField::ProjectId, 42), (DataField::PersonId, 8)];
        assert!(!EventFilter::new(projects, other_person).matches(&t("project.created"), CREATED));
    }

    #[test]
    fn a_field_that_is_absent_or_not_an_integer_does_not_match() {
        let filter = EventFilter::new(TypeFilter::all(), vec![(DataField::PersonId, 7)]);
        assert!(!filter.matches(&t("credits.low"), br#"{"data":{"balance":1}}"#));
        assert!(!filter.matches(&t("credits.low"), br#"{"data":{"person_id":"7"}}"#));
        assert!(!filter.matches(&t("credits.low"), b"not json"));
    }
}
