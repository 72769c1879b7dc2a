//! The errors of both schemes: why a request was refused, or why a secret
//! cannot key the Standard Webhooks HMAC.

use std::time::Duration;

/// Why a signature header was refused.
///
/// Each variant says what a receiver should look at: a [`Malformed`] or
/// [`MissingSignature`] header was not produced by Herald, [`NoMatch`] means
/// the body or the secret differs, and [`TimestampOutOfTolerance`] is only
/// returned for a request whose signature matched, so it points at a replay or
/// at a clock that is off.
///
/// [`Malformed`]: VerifyError::Malformed
/// [`MissingSignature`]: VerifyError::MissingSignature
/// [`NoMatch`]: VerifyError::NoMatch
/// [`TimestampOutOfTolerance`]: VerifyError::TimestampOutOfTolerance
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The header does not have the scheme's shape. The reason is a fixed
    /// text: the header itself is not echoed, so the error is safe to log.
    #[error("malformed signature header: {0}")]
    Malformed(&'static str),
    /// The header carries no timestamp (`t=` or `webhook-timestamp`).
    #[error("signature header has no timestamp")]
    MissingTimestamp,
    /// The header carries no `v1` signature.
    #[error("signature header has no v1 signature")]
    MissingSignature,
    /// A signature matched, but the timestamp is further from now than the
    /// tolerance allows: a replayed request, or a clock that is off.
    #[error(
        "signature timestamp {timestamp} is {}s away from now ({now}), beyond the {}s tolerance",
        now.abs_diff(*timestamp),
        tolerance.as_secs()
    )]
    TimestampOutOfTolerance {
        /// The timestamp the header carries, in Unix seconds.
        timestamp: i64,
        /// The receiver's clock when it verified, in Unix seconds.
        now: i64,
        /// The largest distance between the two that was allowed.
        tolerance: Duration,
    },
    /// No `v1` signature in the header matches the secret and the body.
    #[error("no signature in the header matches the secret and the body")]
    NoMatch,
    /// The receiver's own secret cannot key the Standard Webhooks HMAC: a
    /// configuration error, not a bad request.
    #[error("the verifying secret is unusable: {0}")]
    InvalidSecret(#[from] KeyError),
}

/// Why a secret cannot key the Standard Webhooks HMAC, whose key is the
/// base64 decoding of the secret without its `whsec_` prefix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// What follows `whsec_` is not standard base64.
    #[error("secret is not whsec_ followed by standard base64")]
    NotBase64,
    /// The secret decodes to no bytes at all.
    #[error("secret decodes to an empty key")]
    Empty,
}
