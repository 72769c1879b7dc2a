//! The `X-Webhook-Signature` scheme, the one the platform's published receiver
//! sample verifies: `t=<t>,v1=<hex>`, one `v1` per live secret.

use std::time::Duration;

use crate::mac::{self, Tag, TAG_LEN};
use crate::{timestamp, VerifyError};

/// The signature of one body with one secret at one timestamp: lower-case
/// `hex(HMAC-SHA256(key = secret's UTF-8 bytes, message = "<t>.<raw body>"))`,
/// 64 characters.
///
/// The key is the secret string whole, `whsec_` prefix included and not
/// base64-decoded, because that is what the published sample does. The body is
/// signed byte for byte as sent: sign the stored bytes, never a re-serialization.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    hex::encode(tag(secret, timestamp, body))
}

/// The full `X-Webhook-Signature` value: `t=<t>` then `,v1=<hex>` for each
/// secret in the order given.
///
/// Pass the previous secret first and the current one last: the published
/// sample reads only the last `v1`, so the current secret must be there.
/// With no secrets the value is `t=<t>` alone, which no receiver accepts.
pub fn signature_header(secrets: &[&str], timestamp: i64, body: &[u8]) -> String {
    let mut header = format!("t={timestamp}");
    for secret in secrets {
        header.push_str(",v1=");
        header.push_str(&sign(secret, timestamp, body));
    }
    header
}

/// Verifies an `X-Webhook-Signature` value against one secret and the raw body.
///
/// The header is `key=value` elements separated by commas: exactly one `t`
/// (Unix seconds) and one or more `v1` (64 hex characters each); elements of
/// other versions are ignored. The request is accepted when any `v1` matches,
/// compared in constant time, and `t` is within `tolerance` of `now_unix`
/// either way. The signature is checked before the timestamp, so
/// [`VerifyError::TimestampOutOfTolerance`] always means a genuine but stale
/// (or clock-skewed) request. Never panics, whatever the header holds.
pub fn verify(secret: &str, header: &str, body: &[u8], tolerance: Duration, now_unix: i64) -> Result<(), VerifyError> {
    let Parsed { timestamp: t, signatures } = parse(header)?;
    if !mac::matches_any(&tag(secret, t, body), &signatures) {
        return Err(VerifyError::NoMatch);
    }
    timestamp::check(t, tolerance, now_unix)
}

/// [`verify`] against the system clock ([`unix_now`](crate::unix_now)).
pub fn verify_now(secret: &str, header: &str, body: &[u8], tolerance: Duration) -> Result<(), VerifyError> {
    verify(secret, header, body, tolerance, timestamp::unix_now())
}

/// The raw HMAC behind [`sign`], so [`verify`] compares bytes, not strings.
fn tag(secret: &str, timestamp: i64, body: &[u8]) -> Tag {
    let t = timestamp.to_string();
    mac::hmac_sha256(secret.as_bytes(), &[t.as_bytes(), b".", body])
}

/// What a well-formed header holds.
struct Parsed {
    /// The `t` element, in Unix seconds.
    timestamp: i64,
    /// Every `v1` element, decoded, in header order.
    signatures: Vec<Tag>,
}

/// Splits a header into its timestamp and signatures, refusing anything Herald
/// would not have sent.
fn parse(header: &str) -> Result<Parsed, VerifyError> {
    let header = header.trim();
    if header.is_empty() {
        return Err(VerifyError::Malformed("header is empty"));
    }
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for element in header.split(',') {
        let Some((key, value)) = element.split_once('=') else {
            return Err(VerifyError::Malformed("an element is not key=value"));
        };
        match key.trim() {
            "t" => {
                if timestamp.is_some() {
                    return Err(VerifyError::Malformed("more than one t"));
                }
                timestamp = Some(parse_timestamp(value.trim())?);
            }
            "v1" => signatures.push(parse_hex_signature(value.trim())?),
            "" => return Err(VerifyError::Malformed("an element has no key")),
            // Another version (a v0, a future v2): not ours to judge.
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(VerifyError::MissingTimestamp)?;
    if signatures.is_empty() {
        return Err(VerifyError::MissingSignature);
    }
    Ok(Parsed { timestamp, signatures })
}

/// `t`: ASCII digits only (no sign, no spaces, no underscores), fitting an `i64`.
fn parse_timestamp(value: &str) -> Result<i64, VerifyError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(VerifyError::Malformed("t is not a whole number of seconds"));
    }
    value.parse().map_err(|_| VerifyError::Malformed("t is out of range"))
}

/// `v1`: exactly 64 hex characters (either case), the 32 bytes of one tag.
fn parse_hex_signature(value: &str) -> Result<Tag, VerifyError> {
    if value.len() != 2 * TAG_LEN {
        return Err(VerifyError::Malformed("a v1 signature is not 64 hex characters"));
    }
    let mut tag = [0; TAG_LEN];
    hex::decode_to_slice(value, &mut tag).map_err(|_| VerifyError::Malformed("a v1 signature is not hex"))?;
    Ok(tag)
}
