//! Accounts and account keys on PostgreSQL.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Row};

use super::{pool::PostgresStore, rows};
use crate::{
    domain::{AccountId, KeyId, Timestamp},
    store::{page::fetch_page, Account, AccountKey, AccountStore, Page, Paged, StoreError, StoreResult},
};

#[async_trait]
impl AccountStore for PostgresStore {
    #[tracing::instrument(skip_all, fields(account = %account.id))]
    async fn create_account(&self, account: &Account) -> StoreResult<()> {
        sqlx::query("INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(account.id.as_str())
            .bind(&account.name)
            .bind(account.created_at.millis())
            .execute(&self.pool)
            .await
            .map_err(StoreError::from_insert)?;
        Ok(())
    }

    async fn get_account(&self, id: &AccountId) -> StoreResult<Account> {
        let row = sqlx::query("SELECT * FROM accounts WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        rows::account(&row)
    }

    async fn list_accounts(&self, page: &Page) -> StoreResult<Paged<Account>> {
        let mut query = QueryBuilder::new("SELECT * FROM accounts WHERE TRUE");
        fetch_page(&self.pool, &mut query, page, rows::account, |a| a.id.to_string()).await
    }

    async fn create_key(&self, account: &AccountId, id: &KeyId, key_hash: &str, now: Timestamp) -> StoreResult<()> {
        // The foreign key refuses a key for an account that does not exist.
        sqlx::query("INSERT INTO account_keys (id, account_id, key_hash, created_at) VALUES ($1, $2, $3, $4)")
            .bind(id.as_str())
            .bind(account.as_str())
            .bind(key_hash)
            .bind(now.millis())
            .execute(&self.pool)
            .await
            .map_err(StoreError::from_insert)?;
        Ok(())
    }

    async fn find_key(&self, key_hash: &str) -> StoreResult<Option<AccountKey>> {
        let row = sqlx::query("SELECT id, account_id FROM account_keys WHERE key_hash = $1")
            .bind(key_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            let account: String = r.try_get("account_id")?;
            Ok(AccountKey {
                id: KeyId::from_trusted(r.try_get("id")?),
                account_id: AccountId::parse(&account).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            })
        })
        .transpose()
    }
}
