//! Endpoints (`/v1/accounts/{account}/endpoints`): create, list, read,
//! change, delete.

use reqwest::Method;

use crate::{
    client::Client,
    error::Error,
    pager::{page, ListOptions, Pager},
    transport,
    types::{CreatedEndpoint, Endpoint, EndpointPatch, NewEndpoint, Page},
};

impl Client {
    /// `POST …/endpoints`: a new endpoint, with its signing secret.
    pub async fn create_endpoint(&self, account: &str, endpoint: &NewEndpoint) -> Result<CreatedEndpoint, Error> {
        let url = self.url(&["v1", "accounts", account, "endpoints"]);
        Ok(transport::json(self.request(Method::POST, url).json(endpoint)).await?.1)
    }

    /// `GET …/endpoints`: one page of the account's endpoints.
    pub async fn list_endpoints(&self, account: &str, options: &ListOptions) -> Result<Page<Endpoint>, Error> {
        page(self, self.url(&["v1", "accounts", account, "endpoints"]), options).await
    }

    /// Every endpoint of the account, page after page.
    pub fn endpoints(&self, account: &str, options: ListOptions) -> Pager<Endpoint> {
        Pager::new(self.clone(), self.url(&["v1", "accounts", account, "endpoints"]), options)
    }

    /// `GET …/endpoints/{endpoint}`.
    pub async fn get_endpoint(&self, account: &str, endpoint: &str) -> Result<Endpoint, Error> {
        let url = self.url(&["v1", "accounts", account, "endpoints", endpoint]);
        Ok(transport::json(self.request(Method::GET, url)).await?.1)
    }

    /// `PATCH …/endpoints/{endpoint}`: changes the fields the patch sets.
    pub async fn update_endpoint(
        &self,
        account: &str,
        endpoint: &str,
        patch: &EndpointPatch,
    ) -> Result<Endpoint, Error> {
        let url = self.url(&["v1", "accounts", account, "endpoints", endpoint]);
        Ok(transport::json(self.request(Method::PATCH, url).json(patch)).await?.1)
    }

    /// `DELETE …/endpoints/{endpoint}`: the endpoint and its deliveries.
    pub async fn delete_endpoint(&self, account: &str, endpoint: &str) -> Result<(), Error> {
        let url = self.url(&["v1", "accounts", account, "endpoints", endpoint]);
        transport::send(self.request(Method::DELETE, url)).await.map(drop)
    }
}
