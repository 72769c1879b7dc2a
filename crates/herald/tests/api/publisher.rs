//! Publishing through the API from the tests: a cloneable client for tasks
//! of their own, and the publish answer as the tests read it.

use serde_json::{json, Value};

use crate::checks::expect_json;

/// Publishes through the API from a task of its own (cloneable, `'static`).
#[derive(Clone)]
pub struct Publisher {
    client: reqwest::Client,
    address: String,
    token: String,
}

impl Publisher {
    /// Publishes to the Herald at `address` with the admin `token`.
    pub fn new(client: reqwest::Client, address: String, token: String) -> Self {
        Self { client, address, token }
    }

    /// Publishes one event, expecting `202`.
    pub async fn publish(&self, account: &str, event_type: &str, data: Value) -> Published {
        let response = self
            .client
            .post(format!("{}/v1/accounts/{account}/events", self.address))
            .bearer_auth(&self.token)
            .json(&json!({"type": event_type, "data": data}))
            .send()
            .await
            .expect("POST …/events sent");
        Published::from_body(&expect_json(response, 202).await)
    }

    /// Publishes events in one batch, expecting `202`; returns their envelopes.
    pub async fn publish_batch(&self, account: &str, events: &[(&str, Value)]) -> Vec<Value> {
        let body: Vec<Value> = events.iter().map(|(t, data)| json!({"type": t, "data": data})).collect();
        let response = self
            .client
            .post(format!("{}/v1/accounts/{account}/events/batch", self.address))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("POST …/events/batch sent");
        expect_json(response, 202).await["events"].as_array().expect("the batch's events").clone()
    }
}

/// The answer to a publish.
#[derive(Debug)]
pub struct Published {
    /// The envelope.
    pub event: Value,
    /// `event.id`.
    pub id: String,
    /// How many deliveries were created.
    pub deliveries: u64,
}

impl Published {
    /// Reads a `202`/`200` publish answer.
    pub fn from_body(body: &Value) -> Self {
        let event = body["event"].clone();
        Self {
            id: event["id"].as_str().expect("an event id").to_string(),
            deliveries: body["deliveries"].as_u64().expect("a delivery count"),
            event,
        }
    }
}
