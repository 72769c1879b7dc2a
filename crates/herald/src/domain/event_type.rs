//! Event type names (`project.completed`) and the filters endpoints subscribe with.

use std::fmt;

/// A dotted, lower-case event type name such as `voice_clone.completed`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventType(String);

/// Why a type name or filter was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not an event type: use lower-case segments of a-z, 0-9 and _ joined by dots, at most 128 characters")]
pub struct EventTypeError(pub String);

fn valid_segment(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl EventType {
    /// The longest event type.
    pub const MAX_LEN: usize = 128;

    /// Accepts `segment(.segment)*`, each segment `[a-z0-9_]+`, at most [`Self::MAX_LEN`] bytes.
    pub fn parse(s: &str) -> Result<Self, EventTypeError> {
        if s.len() <= Self::MAX_LEN && s.split('.').all(valid_segment) {
            Ok(Self(s.to_owned()))
        } else {
            Err(EventTypeError(s.chars().take(80).collect()))
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One entry of an endpoint's `event_types`: an exact type, or a prefix
/// ending in `.*` (`project.*` matches `project.completed`), or `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypePattern(String);

impl TypePattern {
    /// Accepts an event type, `prefix.*`, or `*`.
    pub fn parse(s: &str) -> Result<Self, EventTypeError> {
        let prefix_ok = match s.strip_suffix(".*") {
            _ if s == "*" => true,
            Some(prefix) => EventType::parse(prefix).is_ok(),
            None => EventType::parse(s).is_ok(),
        };
        if prefix_ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(EventTypeError(s.chars().take(80).collect()))
        }
    }

    /// Whether an event of type `t` matches.
    pub fn matches(&self, t: &EventType) -> bool {
        if self.0 == "*" {
            return true;
        }
        match self.0.strip_suffix(".*") {
            Some(prefix) => t.0.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('.')),
            None => self.0 == t.0,
        }
    }

    /// The pattern as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An endpoint's subscription: `None` means every type.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TypeFilter(Option<Vec<TypePattern>>);

impl TypeFilter {
    /// The most patterns one endpoint may list.
    pub const MAX_PATTERNS: usize = 100;

    /// Every event type.
    pub fn all() -> Self {
        Self(None)
    }

    /// A filter of the given patterns.
    pub fn of(patterns: Vec<TypePattern>) -> Self {
        Self(Some(patterns))
    }

    /// Whether an event of type `t` is delivered.
    pub fn matches(&self, t: &EventType) -> bool {
        match &self.0 {
            None => true,
            Some(patterns) => patterns.iter().any(|p| p.matches(t)),
        }
    }

    /// The patterns, or `None` for all types.
    pub fn patterns(&self) -> Option<&[TypePattern]> {
        self.0.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> EventType {
        EventType::parse(s).unwrap()
    }

    #[test]
    fn type_names_are_dotted_lower_case() {
        assert!(EventType::parse("voice_clone.completed").is_ok());
        assert!(EventType::parse("Project.Completed").is_err());
        assert!(EventType::parse("project..completed").is_err());
        assert!(EventType::parse("").is_err());
    }

    #[test]
    fn wildcards_match_whole_segments_only() {
        let p = TypePattern::parse("project.*").unwrap();
        assert!(p.matches(&t("project.completed")));
        assert!(!p.matches(&t("projects.completed")));
        assert!(!p.matches(&t("project")));
        assert!(TypePattern::parse("*").unwrap().matches(&t("credits.low")));
        assert!(TypePattern::parse("project*").is_err());
    }

    #[test]
    fn no_filter_means_every_type() {
        assert!(TypeFilter::all().matches(&t("credits.low")));
        let f = TypeFilter::of(vec![TypePattern::parse("credits.low").unwrap()]);
        assert!(f.matches(&t("credits.low")));
        assert!(!f.matches(&t("credits.depleted")));
    }
}
