//! The API's routes as the server's own OpenAPI document (`GET
//! /openapi.json`, generated from the handlers) lists them, so that tests
//! generated from it cover a new route without anyone remembering to: its
//! method, path template and parameters, and the example of its request body.
//! A path parameter is filled in by name from [`Ids`]; one the tests cannot
//! make fails loudly.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::Value;

use crate::{checks::expect_json, helpers::TestApp};

/// The methods a route may have.
pub const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Ids to put in a path, by parameter name (`account`, `endpoint`, …).
pub type Ids = BTreeMap<&'static str, String>;

/// One method of one documented path.
#[derive(Clone, Debug)]
pub struct Route {
    /// The method.
    pub method: Method,
    /// The path template: `/v1/accounts/{account}/endpoints/{endpoint}`.
    pub template: String,
    /// The names of its path parameters, in order.
    pub params: Vec<String>,
    /// Query parameters whose value is an object id, with the kind of id
    /// (`endpoint_id` → `endpoint`).
    pub id_queries: Vec<(String, String)>,
    /// The example of its JSON request body; `None` when it takes none.
    pub example: Option<Value>,
    /// Whether it may be called without credentials.
    pub public: bool,
    /// The operation as the document gives it: its responses, parameters and security.
    pub operation: Value,
}

impl Route {
    /// `METHOD /template`, for messages.
    pub fn name(&self) -> String {
        format!("{} {}", self.method, self.template)
    }

    /// The path with every parameter replaced by the id of its name.
    pub fn path(&self, ids: &Ids) -> String {
        let mut path = self.template.clone();
        for param in &self.params {
            path = path.replace(&format!("{{{param}}}"), id_for(ids, param, &self.name()));
        }
        path
    }

    /// Whether a path parameter other than `{account}` names an object.
    pub fn takes_object_ids(&self) -> bool {
        self.params.iter().any(|p| p != "account")
    }
}

/// The id for a parameter, or a failure saying what to teach the tests.
pub fn id_for<'a>(ids: &'a Ids, param: &str, route: &str) -> &'a str {
    ids.get(param).unwrap_or_else(|| {
        panic!(
            "{route} takes `{param}`, an id the tenancy test cannot make yet: teach `Tenant::create` \
             (tests/api/tenancy.rs) to create a real `{param}`, so that this route is covered"
        )
    })
}

/// Every route of the document the server serves.
pub async fn documented_routes(app: &TestApp) -> Vec<Route> {
    let response = app.client.get(app.url("/openapi.json")).send().await.expect("GET /openapi.json");
    let doc = expect_json(response, 200).await;
    let secured_by_default = doc["security"].as_array().is_some_and(|s| !allows_anonymous(s));
    let paths = doc["paths"].as_object().expect("the document lists paths");
    let mut routes = Vec::new();
    for (template, item) in paths {
        for method in METHODS {
            let Some(operation) = item.get(method) else { continue };
            let name = format!("{} {template}", method.to_uppercase());
            let security = operation.get("security").and_then(Value::as_array);
            routes.push(Route {
                method: Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method"),
                template: template.clone(),
                params: template_params(template),
                id_queries: id_queries(operation),
                example: example(operation, &name),
                public: security.map_or(!secured_by_default, |s| allows_anonymous(s)),
                operation: operation.clone(),
            });
        }
    }
    assert!(
        routes.iter().any(|r| r.params.iter().any(|p| p == "account")),
        "the document lists no route under an account; is it the API's? {doc:#}"
    );
    routes
}

/// `{name}` segments of a template, in order.
fn template_params(template: &str) -> Vec<String> {
    template.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}')).map(str::to_owned).collect()
}

/// A security requirement list that lets a caller without credentials in.
fn allows_anonymous(requirements: &[Value]) -> bool {
    requirements.is_empty() || requirements.iter().any(|r| r.as_object().is_some_and(|o| o.is_empty()))
}

/// Query parameters named `<kind>_id` that hold an object id (a string;
/// `project_id=42` filters on event data, not on an object of Herald's), with
/// their kind; `last_event_id` names an event.
fn id_queries(operation: &Value) -> Vec<(String, String)> {
    let params = operation["parameters"].as_array().map(Vec::as_slice).unwrap_or_default();
    params
        .iter()
        .filter(|p| p["in"] == "query" && p["schema"]["type"] != "integer")
        .filter_map(|p| p["name"].as_str())
        .filter_map(|name| {
            let kind = name.strip_suffix("_id")?;
            Some((name.to_owned(), kind.strip_prefix("last_").unwrap_or(kind).to_owned()))
        })
        .collect()
}

/// The example of the JSON request body; a body without one fails the test,
/// because the tests send it.
fn example(operation: &Value, route: &str) -> Option<Value> {
    let body = operation.get("requestBody")?;
    let example = body["content"]["application/json"]["example"].clone();
    assert!(
        !example.is_null(),
        "{route} takes a JSON body, but its `request_body` in the OpenAPI document has no example: add \
         `example = json!(…)` to its `#[utoipa::path]` (the tenancy tests send it)"
    );
    Some(example)
}
