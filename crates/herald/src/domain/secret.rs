//! Endpoint secrets (`whsec_…`), the random tokens Herald hands out, and
//! how a token a caller presents is compared with the one expected.

use std::fmt;

use base64::{engine::general_purpose::STANDARD, engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// An endpoint's signing secret: `whsec_` and the standard base64 of 24 to 64 bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct EndpointSecret(String);

/// Why a caller's secret was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a secret is `whsec_` followed by the standard base64 of 24 to 64 random bytes")]
pub struct SecretError;

impl EndpointSecret {
    const PREFIX: &'static str = "whsec_";

    /// A fresh secret of 32 random bytes.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        Self(format!("{}{}", Self::PREFIX, STANDARD.encode(bytes)))
    }

    /// Accepts a caller's secret only in Herald's own form.
    pub fn parse(s: &str) -> Result<Self, SecretError> {
        let encoded = s.strip_prefix(Self::PREFIX).ok_or(SecretError)?;
        let bytes = STANDARD.decode(encoded).map_err(|_| SecretError)?;
        if (24..=64).contains(&bytes.len()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(SecretError)
        }
    }

    /// The whole secret, prefix included: the HMAC key of `X-Webhook-Signature`.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for EndpointSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EndpointSecret(…)")
    }
}

/// A random bearer token: `prefix` and 32 random bytes in URL-safe base64.
pub fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The stored form of a bearer token: lower-case hex SHA-256. Tokens carry
/// 256 random bits, so a fast hash is as safe as a slow one here.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A secret kept as its SHA-256 digest, to check what callers present in
/// constant time: the presented value is hashed too and the digests are
/// compared with `subtle`, so neither the secret's bytes nor its length
/// show in how long a check takes.
#[derive(Clone)]
pub struct SecretDigest([u8; 32]);

impl SecretDigest {
    /// The digest of `secret`.
    pub fn of(secret: &str) -> Self {
        Self(Sha256::digest(secret.as_bytes()).into())
    }

    /// Whether `given` is the secret.
    pub fn matches(&self, given: &str) -> bool {
        let given: [u8; 32] = Sha256::digest(given.as_bytes()).into();
        bool::from(given.ct_eq(&self.0))
    }
}

impl fmt::Debug for SecretDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretDigest(…)")
    }
}

/// Whether `given` equals `expected`, compared as [`SecretDigest`] does.
pub fn same_secret(given: &str, expected: &str) -> bool {
    SecretDigest::of(expected).matches(given)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_have_the_published_form() {
        let s = EndpointSecret::generate();
        assert!(s.expose().starts_with("whsec_"));
        assert_eq!(EndpointSecret::parse(s.expose()), Ok(s.clone()));
        assert_ne!(s, EndpointSecret::generate());
    }

    #[test]
    fn caller_secrets_must_be_long_enough_base64() {
        assert!(EndpointSecret::parse("whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").is_ok());
        assert_eq!(EndpointSecret::parse("whsec_c2hvcnQ="), Err(SecretError));
        assert_eq!(EndpointSecret::parse("secret"), Err(SecretError));
        assert_eq!(EndpointSecret::parse("whsec_not base64!"), Err(SecretError));
    }

    #[test]
    fn presented_tokens_match_only_the_exact_secret() {
        let digest = SecretDigest::of("hat_secret");
        assert!(digest.matches("hat_secret"));
        for other in ["", "hat_secre", "hat_secret ", "HAT_SECRET", "hat_secreu"] {
            assert!(!digest.matches(other), "{other:?}");
        }
        assert!(same_secret("csrf", "csrf"));
        assert!(!same_secret("", "csrf"));
        assert_eq!(format!("{digest:?}"), "SecretDigest(…)");
    }

    #[test]
    fn secrets_do_not_print_in_debug_output() {
        assert_eq!(format!("{:?}", EndpointSecret::generate()), "EndpointSecret(…)");
    }
}
