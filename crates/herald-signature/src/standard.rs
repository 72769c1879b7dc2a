//! The [Standard Webhooks](https://www.standardwebhooks.com) scheme, what the
//! Standard Webhooks and Svix libraries verify: `webhook-id`,
//! `webhook-timestamp` and `webhook-signature: v1,<base64>`.
//!
//! The HMAC key is the secret without its `whsec_` prefix, base64-decoded, and
//! the message is `"<id>.<t>.<raw body>"`. Herald sends these headers beside
//! `X-Webhook-Signature` on every attempt, with the same `t`.

use std::time::Duration;

use base64::alphabet;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, Engine, GeneralPurpose, GeneralPurposeConfig};

use crate::mac::{self, Tag};
use crate::{timestamp, KeyError, VerifyError};

/// The prefix of every Herald secret; stripped before decoding, as the
/// Standard Webhooks libraries do.
const SECRET_PREFIX: &str = "whsec_";

/// Standard base64 that decodes with or without padding, so a secret copied
/// without its trailing `=` still works. Signatures are encoded and decoded
/// with [`STANDARD`] (padding required): one spelling per signature, as the
/// libraries that compare base64 strings expect.
const SECRET_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// One `webhook-signature` entry: `v1,` then
/// `base64(HMAC-SHA256(key = base64-decode(secret without "whsec_"), message = "<id>.<t>.<raw body>"))`.
///
/// Fails only when the secret is not (`whsec_` followed by) base64.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &[u8]) -> Result<String, KeyError> {
    let key = decode_secret(secret)?;
    Ok(format!("v1,{}", STANDARD.encode(tag(&key, msg_id, timestamp, body))))
}

/// The full `webhook-signature` value: one [`sign`] entry per secret in the
/// order given, separated by spaces. Pass the current secret last, as for
/// `X-Webhook-Signature`.
///
/// Fails when any secret is not base64.
pub fn signature_header(secrets: &[&str], msg_id: &str, timestamp: i64, body: &[u8]) -> Result<String, KeyError> {
    let entries = secrets.iter().map(|secret| sign(secret, msg_id, timestamp, body)).collect::<Result<Vec<_>, _>>()?;
    Ok(entries.join(" "))
}

/// Verifies the three Standard Webhooks headers against one secret and the raw
/// body.
///
/// `timestamp_header` is `webhook-timestamp` (Unix seconds, ASCII digits);
/// `signature_header` is `webhook-signature`: space-separated
/// `<version>,<base64>` entries, of which only `v1` ones are checked (others,
/// such as the asymmetric `v1a`, are ignored). The request is accepted when any
/// `v1` matches, compared in constant time, and the timestamp is within
/// `tolerance` of `now_unix` either way. As in [`crate::verify`], the signature
/// is checked first. Fails with [`VerifyError::InvalidSecret`] when the
/// receiver's own secret is not base64. Never panics, whatever the headers hold.
pub fn verify(
    secret: &str,
    msg_id: &str,
    timestamp_header: &str,
    signature_header: &str,
    body: &[u8],
    tolerance: Duration,
    now_unix: i64,
) -> Result<(), VerifyError> {
    let key = decode_secret(secret)?;
    if msg_id.is_empty() {
        return Err(VerifyError::Malformed("webhook-id is empty"));
    }
    let t = parse_timestamp(timestamp_header)?;
    let signatures = parse_signatures(signature_header)?;
    if !mac::matches_any(&tag(&key, msg_id, t, body), &signatures) {
        return Err(VerifyError::NoMatch);
    }
    timestamp::check(t, tolerance, now_unix)
}

/// [`verify`] against the system clock ([`unix_now`](crate::unix_now)).
pub fn verify_now(
    secret: &str,
    msg_id: &str,
    timestamp_header: &str,
    signature_header: &str,
    body: &[u8],
    tolerance: Duration,
) -> Result<(), VerifyError> {
    verify(secret, msg_id, timestamp_header, signature_header, body, tolerance, timestamp::unix_now())
}

/// The HMAC key: the secret without `whsec_` (if present), base64-decoded.
fn decode_secret(secret: &str) -> Result<Vec<u8>, KeyError> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    let key = SECRET_BASE64.decode(encoded).map_err(|_| KeyError::NotBase64)?;
    if key.is_empty() {
        return Err(KeyError::Empty);
    }
    Ok(key)
}

/// The raw HMAC behind [`sign`].
fn tag(key: &[u8], msg_id: &str, timestamp: i64, body: &[u8]) -> Tag {
    let t = timestamp.to_string();
    mac::hmac_sha256(key, &[msg_id.as_bytes(), b".", t.as_bytes(), b".", body])
}

/// `webhook-timestamp`: ASCII digits only, fitting an `i64`.
fn parse_timestamp(value: &str) -> Result<i64, VerifyError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(VerifyError::MissingTimestamp);
    }
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(VerifyError::Malformed("webhook-timestamp is not a whole number of seconds"));
    }
    value.parse().map_err(|_| VerifyError::Malformed("webhook-timestamp is out of range"))
}

/// Every `v1` entry of `webhook-signature`, decoded.
fn parse_signatures(header: &str) -> Result<Vec<Tag>, VerifyError> {
    let mut signatures = Vec::new();
    for entry in header.split_ascii_whitespace() {
        let Some((version, value)) = entry.split_once(',') else {
            return Err(VerifyError::Malformed("a webhook-signature entry is not <version>,<signature>"));
        };
        if version != "v1" {
            continue;
        }
        let decoded = STANDARD.decode(value).map_err(|_| VerifyError::Malformed("a v1 signature is not base64"))?;
        let tag =
            Tag::try_from(decoded.as_slice()).map_err(|_| VerifyError::Malformed("a v1 signature is not 32 bytes"))?;
        signatures.push(tag);
    }
    if signatures.is_empty() {
        return Err(VerifyError::MissingSignature);
    }
    Ok(signatures)
}
