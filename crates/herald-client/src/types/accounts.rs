//! Accounts and their keys: `AccountView`, `NewAccountBody`, `KeyView`.

use serde::{Deserialize, Serialize};

/// A customer of the platform (`AccountView`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Its id: the platform's own, or one Herald made.
    pub id: String,
    /// Its name, for people.
    pub name: String,
    /// When it was created (RFC 3339).
    pub created_at: String,
}

/// `POST /v1/accounts` (`NewAccountBody`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAccount {
    /// The id to give it (`[A-Za-z0-9_-]{1,64}`); Herald makes one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Its name, 1 to 256 characters.
    pub name: String,
}

impl NewAccount {
    /// An account with this name and an id Herald makes.
    pub fn named(name: impl Into<String>) -> Self {
        Self { id: None, name: name.into() }
    }

    /// An account with this id and name.
    pub fn with_id(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self { id: Some(id.into()), name: name.into() }
    }
}

/// A new account key (`KeyView`): shown once, stored by Herald as a hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    /// The key's id.
    pub id: String,
    /// The key itself (`hk_…`), the bearer token of its account.
    pub key: String,
}
