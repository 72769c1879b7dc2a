//! [`Event`], an event of the catalog with typed data, serialising to
//! `{"type": …, "data": {…}}` as `POST …/events` takes it; [`RawEvent`] for
//! a type outside the catalog (an operator's `HERALD_EVENT_TYPES_FILE`) or
//! data beyond the known fields; and [`Publishable`], what the publish
//! calls accept: either, or a data struct alone.

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::{json, Value};

use super::data::{
    CreditsDepleted, CreditsLow, ProjectCompleted, ProjectCreated, ProjectFailed, ProjectProcessing,
    VoiceCloneCompleted, VoiceCloneFailed,
};

/// An event of the catalog, with its data typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum Event {
    /// `credits.depleted`.
    #[serde(rename = "credits.depleted")]
    CreditsDepleted(CreditsDepleted),
    /// `credits.low`.
    #[serde(rename = "credits.low")]
    CreditsLow(CreditsLow),
    /// `project.completed`.
    #[serde(rename = "project.completed")]
    ProjectCompleted(ProjectCompleted),
    /// `project.created`.
    #[serde(rename = "project.created")]
    ProjectCreated(ProjectCreated),
    /// `project.failed`.
    #[serde(rename = "project.failed")]
    ProjectFailed(ProjectFailed),
    /// `project.processing`.
    #[serde(rename = "project.processing")]
    ProjectProcessing(ProjectProcessing),
    /// `voice_clone.completed`.
    #[serde(rename = "voice_clone.completed")]
    VoiceCloneCompleted(VoiceCloneCompleted),
    /// `voice_clone.failed`.
    #[serde(rename = "voice_clone.failed")]
    VoiceCloneFailed(VoiceCloneFailed),
}

impl Event {
    /// Every type an [`Event`] can be, in the catalog's order.
    pub const TYPES: &'static [&'static str] = &[
        CreditsDepleted::TYPE,
        CreditsLow::TYPE,
        ProjectCompleted::TYPE,
        ProjectCreated::TYPE,
        ProjectFailed::TYPE,
        ProjectProcessing::TYPE,
        VoiceCloneCompleted::TYPE,
        VoiceCloneFailed::TYPE,
    ];

    /// Its type name (`project.completed`).
    pub fn event_type(&self) -> &'static str {
        match self {
            Self::CreditsDepleted(_) => CreditsDepleted::TYPE,
            Self::CreditsLow(_) => CreditsLow::TYPE,
            Self::ProjectCompleted(_) => ProjectCompleted::TYPE,
            Self::ProjectCreated(_) => ProjectCreated::TYPE,
            Self::ProjectFailed(_) => ProjectFailed::TYPE,
            Self::ProjectProcessing(_) => ProjectProcessing::TYPE,
            Self::VoiceCloneCompleted(_) => VoiceCloneCompleted::TYPE,
            Self::VoiceCloneFailed(_) => VoiceCloneFailed::TYPE,
        }
    }

    /// The event of this type with this data (as an envelope, the stream or polling gives them).
    pub fn from_parts(event_type: &str, data: Value) -> Result<Self, serde_json::Error> {
        serde_json::from_value(json!({"type": event_type, "data": data}))
    }
}

/// The `data` of one type of the catalog.
pub trait EventData: Serialize + DeserializeOwned {
    /// The type's name (`project.completed`).
    const TYPE: &'static str;
}

/// Any event: a type name and its data as JSON, checked by Herald alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawEvent {
    /// The type.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Its data.
    pub data: Value,
}

impl RawEvent {
    /// An event of this type with this data.
    pub fn new(event_type: impl Into<String>, data: Value) -> Self {
        Self { event_type: event_type.into(), data }
    }
}

/// What a publish takes: an [`Event`], a [`RawEvent`], or a data struct
/// alone (`ProjectCompleted { … }`), each as `{"type", "data"}`.
pub trait Publishable {
    /// The request body.
    fn to_body(&self) -> Result<Value, serde_json::Error>;
}

impl Publishable for Event {
    fn to_body(&self) -> Result<Value, serde_json::Error> {
        serde_json::to_value(self)
    }
}

impl Publishable for RawEvent {
    fn to_body(&self) -> Result<Value, serde_json::Error> {
        serde_json::to_value(self)
    }
}

impl<T: EventData> Publishable for T {
    fn to_body(&self) -> Result<Value, serde_json::Error> {
        Ok(json!({"type": T::TYPE, "data": serde_json::to_value(self)?}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_its_type_and_its_data() {
        let event = Event::CreditsLow(CreditsLow { balance: 12, threshold: 100 });
        let body = event.to_body().unwrap();
        assert_eq!(body, json!({"type": "credits.low", "data": {"balance": 12, "threshold": 100}}));
        assert_eq!(CreditsLow { balance: 12, threshold: 100 }.to_body().unwrap(), body);
        assert_eq!(Event::from_parts("credits.low", body["data"].clone()).unwrap(), event);
        assert_eq!(event.event_type(), "credits.low");
    }

    #[test]
    fn optional_fields_left_out_are_not_sent() {
        let created = ProjectCreated { project_id: 42, project_type: "scene_project".into(), ..Default::default() };
        assert_eq!(
            Event::from(created).to_body().unwrap(),
            json!({"type": "project.created", "data": {"project_id": 42, "project_type": "scene_project"}})
        );
    }

    #[test]
    fn a_raw_event_carries_any_type_and_data() {
        let raw = RawEvent::new("invoice.paid", json!({"amount": 3}));
        assert_eq!(raw.to_body().unwrap(), json!({"type": "invoice.paid", "data": {"amount": 3}}));
        assert!(Event::from_parts("invoice.paid", json!({})).is_err());
    }
}
