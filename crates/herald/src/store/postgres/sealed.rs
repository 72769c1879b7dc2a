//! The re-seal pass's raw reads and writes of endpoint secrets on PostgreSQL.
//! Several nodes may run it at once: each write only lands where the row
//! still holds what was read.

use async_trait::async_trait;
use sqlx::Row;

use super::pool::PostgresStore;
use crate::store::{
    reseal::{Resealed, SecretColumns, StoredSecrets},
    StoreResult,
};

#[async_trait]
impl SecretColumns for PostgresStore {
    async fn stored_secrets_after(&self, after: Option<&str>, limit: u32) -> StoreResult<Vec<StoredSecrets>> {
        let rows = sqlx::query("SELECT id, secret, previous_secret FROM endpoints WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after.unwrap_or(""))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
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
        let mut tx = self.pool.begin().await?;
        let mut written = 0;
        for Resealed { before, after } in changes {
            let done = sqlx::query(
                "UPDATE endpoints SET secret = $1, previous_secret = $2
                 WHERE id = $3 AND secret = $4 AND previous_secret IS NOT DISTINCT FROM $5",
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
