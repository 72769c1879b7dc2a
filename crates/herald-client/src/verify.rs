//! Verifying what a receiver gets: the `X-Webhook-Signature` check of
//! `herald-signature`, the code Herald signs with. A request is accepted
//! when any `v1` of the header matches the secret (so a receiver keeps
//! working through a rotation's grace period) and its `t` is recent.

use std::time::Duration;

pub use herald_signature::{VerifyError, DEFAULT_TOLERANCE};

/// Checks a request against the endpoint's secret (`whsec_…`, whole): the
/// `X-Webhook-Signature` header and the raw body as received (not
/// re-serialised JSON), with `t` within five minutes of this machine's clock.
pub fn verify(secret: &str, signature_header: &str, raw_body: &[u8]) -> Result<(), VerifyError> {
    verify_with_tolerance(secret, signature_header, raw_body, DEFAULT_TOLERANCE)
}

/// [`verify`] with another window for `t` (to check a request captured earlier).
pub fn verify_with_tolerance(
    secret: &str,
    signature_header: &str,
    raw_body: &[u8],
    tolerance: Duration,
) -> Result<(), VerifyError> {
    herald_signature::verify_now(secret, signature_header, raw_body, tolerance)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const NEW: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwAAAAAAAAAAA=";

    #[test]
    fn during_a_rotation_either_secret_verifies_and_another_does_not() {
        let body = br#"{"id":"evt_1"}"#;
        let header = herald_signature::signature_header(&[OLD, NEW], herald_signature::unix_now(), body);
        assert_eq!(verify(OLD, &header, body), Ok(()));
        assert_eq!(verify(NEW, &header, body), Ok(()));
        let other = "whsec_BBECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        assert_eq!(verify(other, &header, body), Err(VerifyError::NoMatch));
        assert_eq!(verify(OLD, &header, b"{}"), Err(VerifyError::NoMatch));
    }
}
