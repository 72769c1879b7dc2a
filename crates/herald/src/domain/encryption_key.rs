//! The keys that seal endpoint secrets at rest (`HERALD_ENCRYPTION_KEY`, and
//! the old ones of `HERALD_ENCRYPTION_OLD_KEYS`): 32 random bytes given in
//! standard base64, each named by a short id that every value it seals carries.

use std::fmt;

use base64::{engine::general_purpose::STANDARD, Engine};
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

/// How to make a key, for the error messages.
const HOW_TO_MAKE_ONE: &str = "make one with `openssl rand -base64 32`";

/// A 256-bit key for XChaCha20-Poly1305. Its bytes never print: `Debug`
/// shows only its id, and they are wiped when the key is dropped.
#[derive(Clone)]
pub struct EncryptionKey {
    /// The key itself.
    bytes: [u8; Self::LEN],
    /// The first 8 hex digits of the SHA-256 of the key: says which key
    /// sealed a value without telling anything about the key.
    id: String,
}

/// Why a configured key was refused. The messages never repeat the value.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    /// Not standard base64 (`A-Z a-z 0-9 + /`, `=` padding).
    #[error("is not standard base64 ({HOW_TO_MAKE_ONE})")]
    NotBase64,
    /// Base64 of another length than 32 bytes.
    #[error("decodes to {0} bytes, not 32 ({HOW_TO_MAKE_ONE})")]
    WrongLength(usize),
}

impl EncryptionKey {
    /// Length of a key in bytes.
    pub const LEN: usize = 32;

    /// Reads a key given as the standard base64 of 32 bytes (surrounding
    /// whitespace ignored, so a file's trailing newline does no harm).
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let mut decoded = STANDARD.decode(text.trim()).map_err(|_| KeyError::NotBase64)?;
        let Ok(bytes) = <[u8; Self::LEN]>::try_from(decoded.as_slice()) else {
            let len = decoded.len();
            decoded.zeroize();
            return Err(KeyError::WrongLength(len));
        };
        decoded.zeroize();
        Ok(Self::from_bytes(bytes))
    }

    /// Reads a comma-separated list of keys (empty entries skipped); an
    /// error says which entry, counting from 1.
    pub fn parse_list(text: &str) -> Result<Vec<Self>, (usize, KeyError)> {
        text.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .enumerate()
            .map(|(i, entry)| Self::parse(entry).map_err(|e| (i + 1, e)))
            .collect()
    }

    /// A key made of these bytes.
    pub fn from_bytes(bytes: [u8; Self::LEN]) -> Self {
        let id = hex::encode(&Sha256::digest(bytes)[..4]);
        Self { bytes, id }
    }

    /// The key's id: 8 lower-case hex digits.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The key's bytes, for the cipher.
    pub fn bytes(&self) -> &[u8; Self::LEN] {
        &self.bytes
    }
}

impl Drop for EncryptionKey {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncryptionKey(id {})", self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    #[test]
    fn a_key_is_the_base64_of_32_bytes_and_is_named_by_its_hash() {
        let key = EncryptionKey::parse(&format!("  {KEY}\n")).unwrap();
        let expected: Vec<u8> = (0..32).collect();
        assert_eq!(key.bytes().as_slice(), expected.as_slice());
        assert_eq!(key.id(), &hex::encode(Sha256::digest(&expected))[..8]);
    }

    #[test]
    fn other_lengths_and_non_base64_are_refused_without_echoing_the_value() {
        assert_eq!(EncryptionKey::parse("c2hvcnQ=").unwrap_err(), KeyError::WrongLength(5));
        let too_long = STANDARD.encode([7u8; 33]);
        assert_eq!(EncryptionKey::parse(&too_long).unwrap_err(), KeyError::WrongLength(33));
        let error = EncryptionKey::parse("not base64!").unwrap_err();
        assert_eq!(error, KeyError::NotBase64);
        assert!(!error.to_string().contains("not base64!"));
        assert_eq!(EncryptionKey::parse("").unwrap_err(), KeyError::WrongLength(0));
    }

    #[test]
    fn a_list_is_comma_separated_and_says_which_entry_is_wrong() {
        let other = STANDARD.encode([9u8; 32]);
        let keys = EncryptionKey::parse_list(&format!("{KEY}, {other},")).unwrap();
        assert_eq!(keys.len(), 2);
        assert_ne!(keys[0].id(), keys[1].id());
        assert_eq!(EncryptionKey::parse_list("").unwrap().len(), 0);
        assert_eq!(EncryptionKey::parse_list(&format!("{KEY},c2hvcnQ=")).unwrap_err(), (2, KeyError::WrongLength(5)));
    }

    #[test]
    fn keys_do_not_print_in_debug_output() {
        let key = EncryptionKey::parse(KEY).unwrap();
        assert_eq!(format!("{key:?}"), format!("EncryptionKey(id {})", key.id()));
    }
}
