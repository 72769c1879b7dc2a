//! Text as PostgreSQL stores it.

use std::borrow::Cow;

/// TEXT cannot hold NUL on PostgreSQL; a receiver's body may.
pub(super) fn without_nul(body: &str) -> Cow<'_, str> {
    if body.contains('\0') {
        Cow::Owned(body.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(body)
    }
}
