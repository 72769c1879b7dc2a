//! Events to publish: the typed [`Event`] (one variant per type of the
//! catalog, each with a struct of its `data`), the untyped [`RawEvent`] for
//! any type, and [`Publishable`], what the publish calls take.

mod data;
mod event;

pub use data::{
    CreditsDepleted, CreditsLow, ProjectCompleted, ProjectCreated, ProjectFailed, ProjectProcessing,
    VoiceCloneCompleted, VoiceCloneFailed,
};
pub use event::{Event, EventData, Publishable, RawEvent};
