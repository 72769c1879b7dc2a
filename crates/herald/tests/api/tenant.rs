//! One account with a real object of every kind a path can name, for the
//! tests generated from the OpenAPI document (`tenancy.rs`, `contract.rs`).

use serde_json::{json, Value};

use crate::{
    checks::{expect_json, Poll},
    fixtures::credits_low,
    helpers::TestApp,
    receiver::Receiver,
    routes::Ids,
};

/// An account with one real object of every kind a path can name.
pub struct Tenant {
    /// Ids by path parameter name: `account`, `endpoint`, `event`, `delivery`.
    pub ids: Ids,
    /// The account's key.
    pub key: String,
    /// Its endpoint's signing secret.
    pub secret: String,
}

/// A finished recovery of the endpoint (it finds nothing to send again).
async fn recovery_of(app: &TestApp, account: &str, endpoint: &str) -> String {
    let since = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let path = format!("/v1/accounts/{account}/endpoints/{endpoint}/recover");
    let id =
        expect_json(app.post(&path, &json!({"since": since})).await, 202).await["id"].as_str().unwrap().to_string();
    let path = format!("/v1/accounts/{account}/endpoints/{endpoint}/recoveries/{id}");
    let poll = Poll::new(format!("{path} to finish"));
    loop {
        let recovery = app.get_json(&path).await;
        if recovery["status"] == "done" {
            return id;
        }
        poll.tick(&recovery).await;
    }
}

impl Tenant {
    /// Makes the account and its objects; returns once its delivery succeeded, so nothing moves on its own.
    pub async fn create(app: &TestApp, receiver: &Receiver) -> Self {
        let account = app.create_account().await;
        let key = app.create_key(&account).await;
        let endpoint = app.create_endpoint(&account, &receiver.url()).await;
        let event = app.publish(&account, "credits.low", credits_low(1)).await;
        let delivery = app.delivery_of(&account, &event.id, &endpoint.id).await["id"].as_str().unwrap().to_string();
        app.wait_for_delivery_status(&account, &delivery, "succeeded").await;
        let recovery = recovery_of(app, &account, &endpoint.id).await;
        let ids = Ids::from([
            ("account", account),
            ("endpoint", endpoint.id),
            ("event", event.id),
            ("delivery", delivery),
            ("recovery", recovery),
        ]);
        Self { ids, key, secret: endpoint.secret }
    }

    /// What would give this account away in an answer to anyone else.
    pub fn identifiers(&self) -> Vec<&str> {
        self.ids.values().map(String::as_str).chain([self.key.as_str(), self.secret.as_str()]).collect()
    }

    /// Everything of the account, as the admin reads it.
    pub async fn snapshot(&self, app: &TestApp) -> Vec<Value> {
        let account = &self.ids["account"];
        let mut seen = vec![app.get_json(&format!("/v1/accounts/{account}")).await];
        for list in ["endpoints", "events", "deliveries"] {
            seen.push(app.get_json(&format!("/v1/accounts/{account}/{list}?limit=500")).await);
        }
        seen.push(app.get_json(&format!("/v1/accounts/{account}/endpoints/{}/secret", self.ids["endpoint"])).await);
        seen.push(app.get_delivery(account, &self.ids["delivery"]).await);
        seen
    }
}
