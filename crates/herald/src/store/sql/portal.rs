//! The developer portal's one-time links and sessions.

use async_trait::async_trait;

use super::{
    bounds::{Arg, Col},
    dialect::Engine,
    rows,
};
use crate::{
    domain::{AccountId, Timestamp},
    store::{PortalSession, PortalStore, StoreError, StoreResult},
};

#[async_trait]
impl<S: Engine> PortalStore for S {
    async fn create_portal_link(
        &self,
        account: &AccountId,
        token_hash: &str,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO portal_links (token_hash, account_id, expires_at) VALUES ($1, $2, $3)")
            .arg(token_hash.to_owned())
            .arg(account.to_string())
            .arg(expires_at.millis())
            .execute(self.writes())
            .await
            .map_err(StoreError::from_insert)?;
        Ok(())
    }

    async fn redeem_portal_link(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<AccountId>> {
        let row = sqlx::query(
            "UPDATE portal_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
             RETURNING account_id",
        )
        .arg(now.millis())
        .arg(token_hash.to_owned())
        .fetch_optional(self.writes())
        .await?;
        row.map(|r| rows::account_id(&r, "account_id")).transpose()
    }

    async fn create_portal_session(
        &self,
        session: &PortalSession,
        token_hash: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO portal_sessions (token_hash, account_id, csrf_token, expires_at, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .arg(token_hash.to_owned())
        .arg(session.account_id.to_string())
        .arg(session.csrf_token.clone())
        .arg(session.expires_at.millis())
        .arg(now.millis())
        .execute(self.writes())
        .await
        .map_err(StoreError::from_insert)?;
        Ok(())
    }

    async fn find_portal_session(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<PortalSession>> {
        let row = sqlx::query(
            "SELECT account_id, csrf_token, expires_at FROM portal_sessions WHERE token_hash = $1 AND expires_at > $2",
        )
        .arg(token_hash.to_owned())
        .arg(now.millis())
        .fetch_optional(self.reads())
        .await?;
        row.map(|r| {
            Ok(PortalSession {
                account_id: rows::account_id(&r, "account_id")?,
                csrf_token: r.col("csrf_token")?,
                expires_at: Timestamp::from_millis(r.col("expires_at")?),
            })
        })
        .transpose()
    }

    async fn delete_portal_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM portal_sessions WHERE token_hash = $1")
            .arg(token_hash.to_owned())
            .execute(self.writes())
            .await?;
        Ok(())
    }
}
