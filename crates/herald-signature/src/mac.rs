//! HMAC-SHA256 over a message given in pieces, and the constant-time
//! comparison of a computed tag with the candidates a header offers.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};

/// Length in bytes of an HMAC-SHA256 tag.
pub(crate) const TAG_LEN: usize = 32;

/// One HMAC-SHA256 tag.
pub(crate) type Tag = [u8; TAG_LEN];

/// HMAC-SHA256 of the concatenation of `parts`, so callers never build the
/// signed message (which holds the whole body) as one more buffer.
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Tag {
    // HMAC takes a key of any length (long keys are hashed first), so this
    // cannot fail whatever the input.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC-SHA256 accepts keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Whether any candidate equals `expected`, compared in constant time and
/// without stopping at the first match, so timing tells nothing about which
/// candidate matched or how much of one did.
pub(crate) fn matches_any(expected: &Tag, candidates: &[Tag]) -> bool {
    candidates.iter().fold(Choice::from(0), |found, candidate| found | expected.ct_eq(candidate)).into()
}
