//! The `?` lists of `IN (…)` conditions.

/// `?, ?, ?` for `n` bind parameters.
pub(super) fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}
