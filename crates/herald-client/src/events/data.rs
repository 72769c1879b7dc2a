//! The `data` of each type of Herald's catalog, one struct a type, as the
//! `PublishBody` of the OpenAPI document describes it: required fields as
//! they are, optional ones as `Option` (left out of the JSON when `None`).
//! Each derives `Default` so that a value can name only what it has:
//! `ProjectCreated { project_id: 42, project_type: "scene_project".into(), ..Default::default() }`.

use serde::{Deserialize, Serialize};

use super::event::EventData;

/// `credits.depleted`: the credit balance is zero.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CreditsDepleted {
    /// Credits left: always 0.
    pub balance: i64,
}

/// `credits.low`: the credit balance fell below the alert threshold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CreditsLow {
    /// Credits left.
    pub balance: i64,
    /// The balance below which this event is sent.
    pub threshold: i64,
}

/// `project.completed`: the video is ready for download.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectCompleted {
    /// The project's id.
    pub project_id: i64,
    /// The kind of project, such as `scene_project`.
    pub project_type: String,
    /// Where to download the video.
    pub video_url: String,
    /// Where to download the upscaled video, if there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_url_upscaled: Option<String>,
    /// Where to download a thumbnail image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_url: Option<String>,
    /// The video's length in seconds.
    pub duration_seconds: f64,
    /// Credits the generation cost.
    pub credits_used: i64,
    /// The id of the person (avatar) the project features.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<i64>,
    /// That person's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_name: Option<String>,
}

/// `project.created`: a new project was created.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectCreated {
    /// The project's id.
    pub project_id: i64,
    /// The kind of project, such as `scene_project`.
    pub project_type: String,
    /// The id of the person (avatar) the project features.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<i64>,
    /// That person's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_name: Option<String>,
}

/// `project.failed`: video generation failed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectFailed {
    /// The project's id.
    pub project_id: i64,
    /// The kind of project, such as `scene_project`.
    pub project_type: String,
    /// A stable code for the failure, such as `VIDEO_GENERATION_FAILED`.
    pub error_code: String,
    /// What went wrong, for a person.
    pub error_message: String,
    /// The number of the scene that failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_scene: Option<i64>,
    /// Credits given back for the failed generation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits_refunded: Option<i64>,
}

/// `project.processing`: video generation started.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectProcessing {
    /// The project's id.
    pub project_id: i64,
    /// The kind of project, such as `scene_project`.
    pub project_type: String,
    /// How far along it is, in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<i64>,
}

/// `voice_clone.completed`: a voice clone is ready.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VoiceCloneCompleted {
    /// The person whose voice was cloned.
    pub person_id: i64,
    /// That person's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_name: Option<String>,
    /// The new voice's id.
    pub voice_id: String,
    /// Who made the clone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Credits the clone cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits_used: Option<i64>,
}

/// `voice_clone.failed`: a voice clone failed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VoiceCloneFailed {
    /// The person whose voice was to be cloned.
    pub person_id: i64,
    /// That person's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_name: Option<String>,
    /// A stable code for the failure.
    pub error_code: String,
    /// What went wrong, for a person.
    pub error_message: String,
}

/// Ties each struct to its type name and its [`super::Event`] variant.
macro_rules! event_data {
    ($($data:ident => $name:literal),* $(,)?) => {
        $(
            impl EventData for $data {
                const TYPE: &'static str = $name;
            }

            impl From<$data> for super::Event {
                fn from(data: $data) -> Self {
                    Self::$data(data)
                }
            }
        )*
    };
}

event_data! {
    CreditsDepleted => "credits.depleted",
    CreditsLow => "credits.low",
    ProjectCompleted => "project.completed",
    ProjectCreated => "project.created",
    ProjectFailed => "project.failed",
    ProjectProcessing => "project.processing",
    VoiceCloneCompleted => "voice_clone.completed",
    VoiceCloneFailed => "voice_clone.failed",
}
