//! Developer-portal links (`POST /v1/accounts/{account}/portal-links`): the
//! platform signs a customer into the portal with a one-time link.

use reqwest::Method;

use crate::{
    client::Client,
    error::Error,
    transport,
    types::{PortalLink, PortalLinkOptions},
};

impl Client {
    /// A one-time link into the portal for the account (admin only).
    pub async fn create_portal_link(&self, account: &str, options: &PortalLinkOptions) -> Result<PortalLink, Error> {
        let url = self.url(&["v1", "accounts", account, "portal-links"]);
        Ok(transport::json(self.request(Method::POST, url).json(options)).await?.1)
    }
}
