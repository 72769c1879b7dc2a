//! The developer portal's links and sessions on SQLite.

use async_trait::async_trait;
use sqlx::Row;

use super::pool::SqliteStore;
use crate::{
    domain::{AccountId, Timestamp},
    store::{PortalSession, PortalStore, StoreError, StoreResult},
};

#[async_trait]
impl PortalStore for SqliteStore {
    async fn create_portal_link(
        &self,
        account: &AccountId,
        token_hash: &str,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO portal_links (token_hash, account_id, expires_at) VALUES (?, ?, ?)")
            .bind(token_hash)
            .bind(account.as_str())
            .bind(expires_at.millis())
            .execute(&self.writer)
            .await
            .map_err(StoreError::from_insert)?;
        Ok(())
    }

    async fn redeem_portal_link(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<AccountId>> {
        let account: Option<String> = sqlx::query_scalar(
            "UPDATE portal_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?
             RETURNING account_id",
        )
        .bind(now.millis())
        .bind(token_hash)
        .bind(now.millis())
        .fetch_optional(&self.writer)
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
            "INSERT INTO portal_sessions (token_hash, account_id, csrf_token, expires_at, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(token_hash)
        .bind(session.account_id.as_str())
        .bind(&session.csrf_token)
        .bind(session.expires_at.millis())
        .bind(now.millis())
        .execute(&self.writer)
        .await
        .map_err(StoreError::from_insert)?;
        Ok(())
    }

    async fn find_portal_session(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<PortalSession>> {
        let row = sqlx::query(
            "SELECT account_id, csrf_token, expires_at FROM portal_sessions WHERE token_hash = ? AND expires_at > ?",
        )
        .bind(token_hash)
        .bind(now.millis())
        .fetch_optional(&self.reader)
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
        sqlx::query("DELETE FROM portal_sessions WHERE token_hash = ?").bind(token_hash).execute(&self.writer).await?;
        Ok(())
    }
}
