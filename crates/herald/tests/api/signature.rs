//! Both signature schemes of contract §2, recomputed here from hmac, sha2 and
//! base64 directly (never with Herald's own crates), and checks of a received
//! request against the secrets that should have signed it.

use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::receiver::Recorded;

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// `hex(HMAC-SHA256(key = whole secret, message = "<t>.<body>"))`.
pub fn x_webhook_v1(secret: &str, t: i64, body: &[u8]) -> String {
    let mut message = format!("{t}.").into_bytes();
    message.extend_from_slice(body);
    hex::encode(hmac(secret.as_bytes(), &message))
}

/// `v1,<base64 HMAC-SHA256(key = base64-decode(secret without whsec_), message = "<id>.<t>.<body>")>`.
pub fn standard_v1(secret: &str, id: &str, t: i64, body: &[u8]) -> String {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").expect("a whsec_ secret")).expect("the secret is base64");
    let mut message = format!("{id}.{t}.").into_bytes();
    message.extend_from_slice(body);
    format!("v1,{}", STANDARD.encode(hmac(&key, &message)))
}

/// `X-Webhook-Signature` split into `t` and its `v1` values, in order.
pub fn parse_x_signature(header: &str) -> (i64, Vec<String>) {
    let mut parts = header.split(',');
    let t = parts
        .next()
        .and_then(|p| p.strip_prefix("t="))
        .unwrap_or_else(|| panic!("`{header}` starts with t="))
        .parse()
        .unwrap_or_else(|e| panic!("`{header}`: t is unix seconds ({e})"));
    let v1 = parts
        .map(|p| p.strip_prefix("v1=").unwrap_or_else(|| panic!("`{header}`: `{p}` is a v1= entry")).to_string())
        .collect();
    (t, v1)
}

/// Asserts that the request is signed, in both schemes, by exactly these
/// secrets; for `X-Webhook-Signature` in this order (previous first, current
/// last). Returns the signature's `t`.
pub fn assert_signed_by(request: &Recorded, secrets: &[&str]) -> i64 {
    let header = request.header("x-webhook-signature");
    let (t, v1) = parse_x_signature(header);
    for sig in &v1 {
        assert!(
            sig.len() == 64 && sig.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')),
            "`{sig}` is 64 lower-case hex characters"
        );
    }
    let expected: Vec<String> = secrets.iter().map(|s| x_webhook_v1(s, t, &request.body)).collect();
    assert_eq!(v1, expected, "X-Webhook-Signature `{header}` signs with {secrets:?}");

    let timestamp = request.header("webhook-timestamp");
    assert_eq!(timestamp, t.to_string(), "webhook-timestamp is the same t");
    let id = request.header("webhook-id");
    let mut entries: Vec<String> = request.header("webhook-signature").split(' ').map(str::to_string).collect();
    let mut expected: Vec<String> = secrets.iter().map(|s| standard_v1(s, id, t, &request.body)).collect();
    entries.sort();
    expected.sort();
    assert_eq!(entries, expected, "webhook-signature signs with {secrets:?}");
    t
}
