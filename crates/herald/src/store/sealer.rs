//! Endpoint secrets at rest: the one place that seals a secret before it is
//! written and opens it after it is read, for both engines.
//!
//! A sealed value is text, and says which key sealed it:
//! `enc:v1:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>`, XChaCha20-Poly1305
//! with a random 24-byte nonce per value and `enc:v1:<key id>` as associated
//! data. A value without the `enc:` prefix is a plain secret (`whsec_…`, which
//! never starts so): those written before encryption was turned on keep working.

use std::fmt;

use base64::{engine::general_purpose::STANDARD, Engine};
use chacha20poly1305::{
    aead::{Aead, KeyInit, Payload},
    XChaCha20Poly1305, XNonce,
};
use rand::RngCore;

use crate::domain::EncryptionKey;

/// The prefix of every sealed value.
const PREFIX: &str = "enc:";
/// The format version after the prefix.
const VERSION: &str = "v1";
/// Length of an XChaCha20 nonce.
const NONCE_LEN: usize = 24;
/// Length of a Poly1305 tag.
const TAG_LEN: usize = 16;

/// Why a stored secret could not be opened (or sealed). None of them carries
/// the value itself.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    /// Sealed, but Herald was given no key at all.
    #[error(
        "endpoint secrets are encrypted at rest (key id {key_id}), but HERALD_ENCRYPTION_KEY is not set: \
         start Herald with the key that sealed them"
    )]
    NoKey {
        /// The id the value names.
        key_id: String,
    },
    /// Sealed by a key that is neither the current key nor an old one.
    #[error(
        "an endpoint secret is sealed by encryption key {key_id}, which is neither HERALD_ENCRYPTION_KEY nor \
         in HERALD_ENCRYPTION_OLD_KEYS: add that key to HERALD_ENCRYPTION_OLD_KEYS"
    )]
    UnknownKey {
        /// The id the value names.
        key_id: String,
    },
    /// The key is known but the value does not open: it was altered.
    #[error("an endpoint secret sealed by encryption key {key_id} does not open with that key: the stored value was altered")]
    Tampered {
        /// The id the value names.
        key_id: String,
    },
    /// It starts like a sealed value but is not one.
    #[error("a stored endpoint secret is not a well-formed sealed value: {0}")]
    Malformed(&'static str),
    /// The cipher refused to seal (only for absurdly long input).
    #[error("an endpoint secret could not be sealed")]
    Seal,
}

/// Seals with the current key, and opens what the current key or an old
/// key sealed (or what was stored plain). Without a current key it stores
/// plain values, so turning encryption off is moving the key to the old keys.
#[derive(Default)]
pub struct Sealer {
    /// The key that seals new values (`HERALD_ENCRYPTION_KEY`); none stores plain.
    current: Option<EncryptionKey>,
    /// Keys that still open values (`HERALD_ENCRYPTION_OLD_KEYS`), never seal.
    old: Vec<EncryptionKey>,
}

impl Sealer {
    /// A sealer that stores plain values and opens none sealed.
    pub fn plain() -> Self {
        Self::default()
    }

    /// A sealer that seals with `current` (if any) and opens with it and `old`.
    pub fn new(current: Option<EncryptionKey>, old: Vec<EncryptionKey>) -> Self {
        Self { current, old }
    }

    /// The id of the key that seals, if any.
    pub fn current_key_id(&self) -> Option<&str> {
        self.current.as_ref().map(EncryptionKey::id)
    }

    /// The stored form of a secret: sealed with the current key, or as is without one.
    pub fn seal(&self, secret: &str) -> Result<String, SealError> {
        let Some(key) = &self.current else {
            return Ok(secret.to_owned());
        };
        let header = header(key.id());
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = cipher(key)
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: secret.as_bytes(), aad: header.as_bytes() })
            .map_err(|_| SealError::Seal)?;
        let mut blob = Vec::with_capacity(NONCE_LEN + sealed.len());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&sealed);
        Ok(format!("{header}:{}", STANDARD.encode(blob)))
    }

    /// The secret a stored value holds. A sealed value opens only with the
    /// key it names; anything else is an error, never a wrong secret.
    pub fn open(&self, stored: &str) -> Result<String, SealError> {
        let Some(rest) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_owned());
        };
        let (version, rest) = rest.split_once(':').ok_or(SealError::Malformed("no version"))?;
        if version != VERSION {
            return Err(SealError::Malformed("unknown version"));
        }
        let (key_id, encoded) = rest.split_once(':').ok_or(SealError::Malformed("no key id"))?;
        let blob = STANDARD.decode(encoded).map_err(|_| SealError::Malformed("not base64"))?;
        if blob.len() < NONCE_LEN + TAG_LEN {
            return Err(SealError::Malformed("too short"));
        }
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let header = header(key_id);
        let mut candidates = self.keys().filter(|k| k.id() == key_id).peekable();
        if candidates.peek().is_none() {
            let key_id = key_id.to_owned();
            return Err(if self.current.is_none() && self.old.is_empty() {
                SealError::NoKey { key_id }
            } else {
                SealError::UnknownKey { key_id }
            });
        }
        // Two keys may share an id (32 bits of a hash); the tag decides.
        let opened = candidates.find_map(|key| {
            cipher(key).decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad: header.as_bytes() }).ok()
        });
        let bytes = opened.ok_or_else(|| SealError::Tampered { key_id: key_id.to_owned() })?;
        String::from_utf8(bytes).map_err(|_| SealError::Malformed("not text"))
    }

    /// The value to store instead of `stored`, or `None` when it is already
    /// in the form this sealer writes: sealed by the current key (plain
    /// without one). Fails as [`Sealer::open`] does.
    pub fn reseal(&self, stored: &str) -> Result<Option<String>, SealError> {
        let secret = self.open(stored)?;
        let in_form = match &self.current {
            Some(key) => stored.strip_prefix(&header(key.id())).is_some_and(|rest| rest.starts_with(':')),
            None => !stored.starts_with(PREFIX),
        };
        if in_form {
            Ok(None)
        } else {
            self.seal(&secret).map(Some)
        }
    }

    /// Every key that opens, the current one first.
    fn keys(&self) -> impl Iterator<Item = &EncryptionKey> {
        self.current.iter().chain(&self.old)
    }
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealer").field("current", &self.current).field("old", &self.old).finish()
    }
}

/// `enc:v1:<key id>`: the start of a sealed value, and its associated data.
fn header(key_id: &str) -> String {
    format!("{PREFIX}{VERSION}:{key_id}")
}

fn cipher(key: &EncryptionKey) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(key.bytes().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    fn key(byte: u8) -> EncryptionKey {
        EncryptionKey::from_bytes([byte; 32])
    }

    fn sealer(current: u8) -> Sealer {
        Sealer::new(Some(key(current)), Vec::new())
    }

    #[test]
    fn a_sealed_secret_opens_to_itself_and_names_its_key() {
        let sealer = sealer(1);
        let stored = sealer.seal(SECRET).unwrap();
        assert!(stored.starts_with(&format!("enc:v1:{}:", key(1).id())), "{stored}");
        assert!(!stored.contains("whsec_"));
        assert_eq!(sealer.open(&stored).unwrap(), SECRET);
    }

    #[test]
    fn every_seal_has_its_own_nonce() {
        let sealer = sealer(1);
        assert_ne!(sealer.seal(SECRET).unwrap(), sealer.seal(SECRET).unwrap());
    }

    #[test]
    fn plain_values_keep_opening_and_are_stored_plain_without_a_key() {
        assert_eq!(sealer(1).open(SECRET).unwrap(), SECRET);
        assert_eq!(Sealer::plain().seal(SECRET).unwrap(), SECRET);
        assert_eq!(Sealer::plain().open(SECRET).unwrap(), SECRET);
    }

    #[test]
    fn a_value_sealed_by_another_key_is_refused_by_its_id() {
        let stored = sealer(1).seal(SECRET).unwrap();
        assert_eq!(sealer(2).open(&stored), Err(SealError::UnknownKey { key_id: key(1).id().to_owned() }));
        assert_eq!(Sealer::plain().open(&stored), Err(SealError::NoKey { key_id: key(1).id().to_owned() }));
        let message = sealer(2).open(&stored).unwrap_err().to_string();
        assert!(message.contains(key(1).id()) && message.contains("HERALD_ENCRYPTION_OLD_KEYS"), "{message}");
    }

    #[test]
    fn a_wrong_key_under_the_right_id_does_not_open_it() {
        let stored = sealer(1).seal(SECRET).unwrap();
        let impostor = stored.replace(key(1).id(), key(2).id());
        assert_eq!(sealer(2).open(&impostor), Err(SealError::Tampered { key_id: key(2).id().to_owned() }));
    }

    #[test]
    fn a_tampered_value_does_not_open() {
        let sealer = sealer(1);
        let stored = sealer.seal(SECRET).unwrap();
        let (head, encoded) = stored.rsplit_once(':').unwrap();
        let mut blob = STANDARD.decode(encoded).unwrap();
        for i in [0, NONCE_LEN, blob.len() - 1] {
            blob[i] ^= 1;
            let altered = format!("{head}:{}", STANDARD.encode(&blob));
            assert_eq!(sealer.open(&altered), Err(SealError::Tampered { key_id: key(1).id().to_owned() }), "byte {i}");
            blob[i] ^= 1;
        }
        assert_eq!(sealer.open(&format!("{head}:{}", STANDARD.encode(&blob))).unwrap(), SECRET);
        assert_eq!(sealer.open(&format!("{head}:AAAA")), Err(SealError::Malformed("too short")));
        assert_eq!(sealer.open(&format!("{head}:!!")), Err(SealError::Malformed("not base64")));
        assert_eq!(sealer.open("enc:v2:abc:AAAA"), Err(SealError::Malformed("unknown version")));
        assert_eq!(sealer.open("enc:v1"), Err(SealError::Malformed("no version")));
    }

    #[test]
    fn old_keys_open_but_never_seal() {
        let stored = sealer(1).seal(SECRET).unwrap();
        let rotated = Sealer::new(Some(key(2)), vec![key(1)]);
        assert_eq!(rotated.open(&stored).unwrap(), SECRET);
        assert!(rotated.seal(SECRET).unwrap().starts_with(&format!("enc:v1:{}:", key(2).id())));
    }

    #[test]
    fn resealing_moves_every_value_to_the_current_form_and_leaves_the_rest() {
        let by_old = sealer(1).seal(SECRET).unwrap();
        let rotated = Sealer::new(Some(key(2)), vec![key(1)]);
        let by_new = rotated.reseal(&by_old).unwrap().expect("a value sealed by an old key is resealed");
        assert!(by_new.starts_with(&format!("enc:v1:{}:", key(2).id())));
        assert_eq!(rotated.open(&by_new).unwrap(), SECRET);
        assert_eq!(rotated.reseal(&by_new).unwrap(), None);
        let from_plain = rotated.reseal(SECRET).unwrap().expect("a plain value is sealed");
        assert_eq!(rotated.open(&from_plain).unwrap(), SECRET);

        let turned_off = Sealer::new(None, vec![key(2)]);
        assert_eq!(turned_off.reseal(&by_new).unwrap().as_deref(), Some(SECRET));
        assert_eq!(turned_off.reseal(SECRET).unwrap(), None);
        assert!(Sealer::new(Some(key(3)), Vec::new()).reseal(&by_new).is_err());
    }

    #[test]
    fn a_sealer_does_not_print_its_keys() {
        let shown = format!("{:?}", Sealer::new(Some(key(1)), vec![key(2)]));
        assert!(shown.contains(key(1).id()) && !shown.contains("1, 1"), "{shown}");
    }
}
