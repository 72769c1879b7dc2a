//! The re-seal pass's raw reads and writes of endpoint secrets on SQLite.

use async_trait::async_trait;
use sqlx::Row;

use super::pool::SqliteStore;
use crate::store::{
    reseal::{Resealed, SecretColumns, StoredSecrets},
    StoreResult,
};

#[async_trait]
impl SecretColumns for SqliteStore {
    async fn stored_secrets_after(&self, after: Option<&str>, limit: u32) -> StoreResult<Vec<StoredSecrets>> {
        let rows = sqlx::query("SELECT id, secret, previous_secret FROM endpoints WHERE id > ? ORDER BY id LIMIT ?")
            .bind(after.unwrap_or(""))
            .bind(i64::from(limit))
            .fetch_all(&self.writer)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredSecrets {
                    endpoint: row.try_get("id")?,
                    secret: row.try_get("secret")?,
                    previous: row.try_get("previous_secret")?,
                })
            })
            .collect()
    }

    async fn replace_stored_secrets(&self, changes: &[Resealed]) -> StoreResult<u64> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let mut written = 0;
        for Resealed { before, after } in changes {
            let done = sqlx::query(
                "UPDATE endpoints SET secret = ?, previous_secret = ?
                 WHERE id = ? AND secret = ? AND previous_secret IS ?",
            )
            .bind(&after.secret)
            .bind(&after.previous)
            .bind(&before.endpoint)
            .bind(&before.secret)
            .bind(&before.previous)
            .execute(&mut *tx)
            .await?;
            written += done.rows_affected();
        }
        tx.commit().await?;
        Ok(written)
    }
}
