//! The developer portal's links and sessions on PostgreSQL.

use async_trait::async_trait;
use sqlx::Row;

use super::pool::PostgresStore;
use crate::{
    domain::{AccountId, Timestamp},
    store::{PortalSession, PortalStore, StoreError, StoreResult},
};

#[async_trait]
impl PortalStore for PostgresStore {
    async fn create_portal_link(
        &self,
        account: &AccountId,
        token_hash: &str,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO portal_links (token_hash, account_id, expires_at) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(account.as_str())
            .bind(expires_at.millis())
            .execute(&self.pool)
            .await
            .map_err(StoreError::from_insert)?;
        Ok(())
    }

    async fn redeem_portal_link(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<AccountId>> {
        let account: Option<String> = sqlx::query_scalar(
            "UPDATE portal_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $3
             RETURNING account_id",
        )
        .bind(now.millis())
        .bind(token_hash)
        .bind(now.millis())
        .fetch_optional(&self.pool)
        .await?;
        account.map(|a| AccountId::parse(&a).map_err(|e| StoreError::Corrupt(e.to_string()))).transpose()
    }

    async fn create_portal_session(
        &self,
        session: &PortalSession,
        token_hash: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO portal_sessions (token_hash, account_id, csrf_token, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(session.account_id.as_str())
        .bind(&session.csrf_token)
        .bind(session.expires_at.millis())
        .bind(now.millis())
        .execute(&self.pool)
        .await
        .map_err(StoreError::from_insert)?;
        Ok(())
    }

    async fn find_portal_session(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<PortalSession>> {
        let row = sqlx::query(
            "SELECT account_id, csrf_token, expires_at FROM portal_sessions WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now.millis())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let account: String = r.try_get("account_id")?;
            Ok(PortalSession {
                account_id: AccountId::parse(&account).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                csrf_token: r.try_get("csrf_token")?,
                expires_at: Timestamp::from_millis(r.try_get("expires_at")?),
            })
        })
        .transpose()
    }

    async fn delete_portal_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM portal_sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }
}
