//! Accounts and account keys.

use async_trait::async_trait;

use super::{
    bounds::{Arg, Col},
    dialect::Engine,
    rows,
    select::Select,
};
use crate::{
    domain::{AccountId, KeyId, Timestamp},
    store::{Account, AccountKey, AccountStore, Page, Paged, StoreError, StoreResult},
};

#[async_trait]
impl<S: Engine> AccountStore for S {
    #[tracing::instrument(skip_all, fields(account = %account.id))]
    async fn create_account(&self, account: &Account) -> StoreResult<()> {
        sqlx::query("INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3)")
            .arg(account.id.to_string())
            .arg(account.name.clone())
            .arg(account.created_at.millis())
            .execute(self.writes())
            .await
            .map_err(StoreError::from_insert)?;
        Ok(())
    }

    async fn get_account(&self, id: &AccountId) -> StoreResult<Account> {
        let row = sqlx::query("SELECT * FROM accounts WHERE id = $1")
            .arg(id.to_string())
            .fetch_optional(self.reads())
            .await?
            .ok_or(StoreError::NotFound)?;
        rows::account(&row)
    }

    async fn list_accounts(&self, page: &Page) -> StoreResult<Paged<Account>> {
        Select::new("SELECT * FROM accounts WHERE TRUE")
            .fetch_page(self, page, rows::account, |a| a.id.to_string())
            .await
    }

    async fn create_key(&self, account: &AccountId, id: &KeyId, key_hash: &str, now: Timestamp) -> StoreResult<()> {
        // The foreign key refuses a key for an account that does not exist.
        sqlx::query("INSERT INTO account_keys (id, account_id, key_hash, created_at) VALUES ($1, $2, $3, $4)")
            .arg(id.as_str().to_owned())
            .arg(account.to_string())
            .arg(key_hash.to_owned())
            .arg(now.millis())
            .execute(self.writes())
            .await
            .map_err(StoreError::from_insert)?;
        Ok(())
    }

    async fn find_key(&self, key_hash: &str) -> StoreResult<Option<AccountKey>> {
        let row = sqlx::query("SELECT id, account_id FROM account_keys WHERE key_hash = $1")
            .arg(key_hash.to_owned())
            .fetch_optional(self.reads())
            .await?;
        row.map(|r| {
            Ok(AccountKey { id: KeyId::from_trusted(r.col("id")?), account_id: rows::account_id(&r, "account_id")? })
        })
        .transpose()
    }
}
