//! Accounts (`/v1/accounts`) and account keys (`…/keys`): admin calls, but
//! for reading its own account with a key.

use reqwest::Method;

use crate::{
    client::Client,
    error::Error,
    pager::{page, ListOptions, Pager},
    transport,
    types::{Account, Key, NewAccount, Page},
};

impl Client {
    /// `POST /v1/accounts`: a new account (`409` if the id is taken).
    pub async fn create_account(&self, account: &NewAccount) -> Result<Account, Error> {
        let request = self.request(Method::POST, self.url(&["v1", "accounts"])).json(account);
        Ok(transport::json(request).await?.1)
    }

    /// `GET /v1/accounts`: one page of accounts.
    pub async fn list_accounts(&self, options: &ListOptions) -> Result<Page<Account>, Error> {
        page(self, self.url(&["v1", "accounts"]), options).await
    }

    /// Every account, page after page.
    pub fn accounts(&self, options: ListOptions) -> Pager<Account> {
        Pager::new(self.clone(), self.url(&["v1", "accounts"]), options)
    }

    /// `GET /v1/accounts/{account}`.
    pub async fn get_account(&self, account: &str) -> Result<Account, Error> {
        let request = self.request(Method::GET, self.url(&["v1", "accounts", account]));
        Ok(transport::json(request).await?.1)
    }

    /// `POST /v1/accounts/{account}/keys`: a new account key, shown this once.
    pub async fn create_key(&self, account: &str) -> Result<Key, Error> {
        let request = self.request(Method::POST, self.url(&["v1", "accounts", account, "keys"]));
        Ok(transport::json(request).await?.1)
    }
}
