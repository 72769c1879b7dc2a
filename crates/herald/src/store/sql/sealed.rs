//! The re-seal pass's raw reads and writes of endpoint secrets and custom headers. Several
//! nodes may run it at once: each write only lands where the row still
//! holds what was read.

use async_trait::async_trait;

use super::{
    bounds::{Affected, Arg, Col, Conn},
    dialect::Engine,
};
use crate::store::{
    reseal::{Resealed, SecretColumns, StoredSecrets},
    StoreResult,
};

#[async_trait]
impl<S: Engine> SecretColumns for S {
    async fn stored_secrets_after(&self, after: Option<&str>, limit: u32) -> StoreResult<Vec<StoredSecrets>> {
        let rows = sqlx::query(
            "SELECT id, secret, previous_secret, headers FROM endpoints WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .arg(after.unwrap_or("").to_owned())
        .arg(i64::from(limit))
        .fetch_all(self.writes())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredSecrets {
                    endpoint: row.col("id")?,
                    secret: row.col("secret")?,
                    previous: row.col("previous_secret")?,
                    headers: row.col("headers")?,
                })
            })
            .collect()
    }

    async fn replace_stored_secrets(&self, changes: &[Resealed]) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let mut written = 0;
        for Resealed { before, after } in changes {
            let done = sqlx::query(
                "UPDATE endpoints SET secret = $1, previous_secret = $2, headers = $3
                 WHERE id = $4 AND secret = $5 AND previous_secret IS NOT DISTINCT FROM $6
                   AND headers IS NOT DISTINCT FROM $7",
            )
            .arg(after.secret.clone())
            .arg(after.previous.clone())
            .arg(after.headers.clone())
            .arg(before.endpoint.clone())
            .arg(before.secret.clone())
            .arg(before.previous.clone())
            .arg(before.headers.clone())
            .execute(tx.exec())
            .await?;
            written += done.rows();
        }
        tx.commit().await?;
        Ok(written)
    }
}
