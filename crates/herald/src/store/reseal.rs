//! The re-seal pass [`open`](super::open) runs at every start: each endpoint
//! secret (current and previous) and set of custom headers not in the form the [`Sealer`] writes (plain,
//! or sealed by an old key) is written back sealed by the current key, in
//! batches. After one start, no value needs an old key any more; a value no
//! given key opens stops the start with an error that names its key id.

use async_trait::async_trait;

use super::{Sealer, StoreResult};

/// Endpoints read per batch.
const BATCH: u32 = 500;

/// An endpoint's secret columns as stored: sealed or plain, never opened.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSecrets {
    /// The endpoint's id.
    pub endpoint: String,
    /// The `secret` column.
    pub secret: String,
    /// The `previous_secret` column.
    pub previous: Option<String>,
    /// The `headers` column.
    pub headers: Option<String>,
}

/// One endpoint's columns re-sealed: written only if they still hold `before`.
pub struct Resealed {
    /// What was read.
    pub before: StoredSecrets,
    /// What to write instead.
    pub after: StoredSecrets,
}

/// The raw secret columns, which only the re-seal pass reads and writes.
#[async_trait]
pub trait SecretColumns {
    /// Up to `limit` endpoints with an id after `after` (from the first without one), by id.
    async fn stored_secrets_after(&self, after: Option<&str>, limit: u32) -> StoreResult<Vec<StoredSecrets>>;
    /// Writes each `after` in one transaction, where the row still holds its
    /// `before` (a secret rotated meanwhile is left as it is); returns how many were written.
    async fn replace_stored_secrets(&self, changes: &[Resealed]) -> StoreResult<u64>;
}

/// What a pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResealReport {
    /// Endpoints read.
    pub endpoints: u64,
    /// Endpoints whose columns were written back.
    pub resealed: u64,
}

/// Runs the pass over every endpoint.
pub async fn reseal_all(store: &(impl SecretColumns + Sync), sealer: &Sealer) -> StoreResult<ResealReport> {
    let mut report = ResealReport::default();
    let mut after: Option<String> = None;
    loop {
        let batch = store.stored_secrets_after(after.as_deref(), BATCH).await?;
        let Some(last) = batch.last() else {
            return Ok(report);
        };
        after = Some(last.endpoint.clone());
        let full = batch.len() >= BATCH as usize;
        report.endpoints += batch.len() as u64;
        let mut changes = Vec::new();
        for before in batch {
            let secret = sealer.reseal(&before.secret)?;
            let previous = before.previous.as_deref().map(|p| sealer.reseal(p)).transpose()?.flatten();
            let headers = before.headers.as_deref().map(|h| sealer.reseal(h)).transpose()?.flatten();
            if secret.is_none() && previous.is_none() && headers.is_none() {
                continue;
            }
            let after = StoredSecrets {
                endpoint: before.endpoint.clone(),
                secret: secret.unwrap_or_else(|| before.secret.clone()),
                previous: previous.or_else(|| before.previous.clone()),
                headers: headers.or_else(|| before.headers.clone()),
            };
            changes.push(Resealed { before, after });
        }
        if !changes.is_empty() {
            report.resealed += store.replace_stored_secrets(&changes).await?;
        }
        if !full {
            return Ok(report);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::domain::EncryptionKey;

    const SECRET: &str = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    /// Endpoints in memory, by id.
    struct Table(Mutex<Vec<StoredSecrets>>);

    #[async_trait]
    impl SecretColumns for Table {
        async fn stored_secrets_after(&self, after: Option<&str>, limit: u32) -> StoreResult<Vec<StoredSecrets>> {
            let rows = self.0.lock().unwrap();
            Ok(rows
                .iter()
                .filter(|r| after.is_none_or(|a| r.endpoint.as_str() > a))
                .take(limit as usize)
                .cloned()
                .collect())
        }

        async fn replace_stored_secrets(&self, changes: &[Resealed]) -> StoreResult<u64> {
            let mut rows = self.0.lock().unwrap();
            let mut written = 0;
            for change in changes {
                if let Some(row) = rows.iter_mut().find(|r| **r == change.before) {
                    *row = change.after.clone();
                    written += 1;
                }
            }
            Ok(written)
        }
    }

    fn row(i: usize, secret: String, previous: Option<String>) -> StoredSecrets {
        let headers = i.is_multiple_of(2).then(|| previous.clone().unwrap_or_else(|| secret.clone()));
        StoredSecrets { endpoint: format!("ep_{i:05}"), secret, previous, headers }
    }

    #[tokio::test]
    async fn every_value_ends_sealed_by_the_current_key_across_batches() {
        let old = Sealer::new(Some(EncryptionKey::from_bytes([1; 32])), Vec::new());
        let rows = (0..1203)
            .map(|i| match i % 3 {
                0 => row(i, SECRET.into(), None),
                1 => row(i, old.seal(SECRET).unwrap(), Some(SECRET.into())),
                _ => row(i, SECRET.into(), Some(old.seal(SECRET).unwrap())),
            })
            .collect();
        let table = Table(Mutex::new(rows));
        let current = EncryptionKey::from_bytes([2; 32]);
        let prefix = format!("enc:v1:{}:", current.id());
        let sealer = Sealer::new(Some(current), vec![EncryptionKey::from_bytes([1; 32])]);

        assert_eq!(reseal_all(&table, &sealer).await.unwrap(), ResealReport { endpoints: 1203, resealed: 1203 });
        for r in table.0.lock().unwrap().iter() {
            assert!(r.secret.starts_with(&prefix));
            assert!(r.previous.as_deref().is_none_or(|p| p.starts_with(&prefix)));
            assert!(r.headers.as_deref().is_none_or(|h| h.starts_with(&prefix)), "custom headers are resealed too");
            assert_eq!(sealer.open(&r.secret).unwrap(), SECRET);
        }
        assert_eq!(reseal_all(&table, &sealer).await.unwrap().resealed, 0, "a second pass has nothing to do");
    }

    #[tokio::test]
    async fn a_value_no_key_opens_stops_the_pass() {
        let stranger = Sealer::new(Some(EncryptionKey::from_bytes([9; 32])), Vec::new());
        let table = Table(Mutex::new(vec![row(1, stranger.seal(SECRET).unwrap(), None)]));
        let error = reseal_all(&table, &Sealer::plain()).await.unwrap_err();
        assert!(error.to_string().contains("HERALD_ENCRYPTION_KEY is not set"), "{error}");
    }
}
