//! The OpenAPI document against the server, operation by operation (the
//! operations read from `GET /openapi.json`, so a new one is covered
//! without anyone editing this): every answer's status is one its
//! operation documents, every refusal is `application/problem+json`, the
//! admin-only operations are exactly those whose security leaves out
//! account keys, and the parameters' documented ranges are the server's.

use reqwest::Response;
use serde_json::{json, Value};

use crate::{
    helpers::{spawn_app, TestApp},
    receiver::Receiver,
    routes::{documented_routes, Route},
    tenant::Tenant,
};

/// Asserts that `response` (to `what`) has a status `route` documents, and
/// that a refusal is a problem document; its status.
async fn assert_documented(route: &Route, what: &str, response: Response) -> u16 {
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let body = response.text().await.unwrap_or_default();
    let documented = &route.operation["responses"][status.to_string()];
    assert!(!documented.is_null(), "{} answered {status} to {what}, which it does not document: {body}", route.name());
    if status >= 400 {
        assert_eq!(content_type, "application/problem+json", "{} {status} to {what}: {body}", route.name());
        let media = documented["content"].as_object().map(|c| c.keys().cloned().collect::<Vec<_>>());
        assert_eq!(media, Some(vec!["application/problem+json".to_owned()]), "{} documents {status}", route.name());
    }
    status
}

/// A request to `route` at `tenant`'s objects, with `token` if any, and the route's example body.
fn request(
    app: &TestApp,
    route: &Route,
    tenant: &Tenant,
    token: Option<&str>,
    receiver: &str,
) -> reqwest::RequestBuilder {
    let mut request = app.client.request(route.method.clone(), app.url(&route.path(&tenant.ids)));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(example) = &route.example {
        let body = example.to_string().replace("https://example.com", receiver);
        request = request.header("content-type", "application/json").body(body);
    }
    request
}

/// Whether the operation lets an account key in.
fn takes_account_keys(route: &Route) -> bool {
    let security = route.operation["security"].as_array().cloned().unwrap_or_default();
    security.iter().any(|requirement| requirement.get("account_key").is_some())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_is_documented_and_account_keys_are_refused_exactly_where_the_document_says() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let tenant = Tenant::create(&app, &receiver).await;
    let routes = documented_routes(&app).await;
    let origin = format!("http://{}", receiver.addr);

    for route in routes.iter().filter(|r| !r.template.ends_with("/stream")) {
        let anonymous = request(&app, route, &tenant, None, &origin).send().await.expect("sent");
        assert_eq!(assert_documented(route, "no credentials", anonymous).await, 401, "{}", route.name());

        let keyed = request(&app, route, &tenant, Some(&tenant.key), &origin).send().await.expect("sent");
        let status = assert_documented(route, "the account's key", keyed).await;
        if takes_account_keys(route) {
            assert!(!matches!(status, 401 | 403), "{} refused the account's key with {status}", route.name());
        } else {
            assert_eq!(status, 403, "{} is admin-only by its document", route.name());
        }
        let admin = request(&app, route, &tenant, Some(&app.admin_token), &origin).send().await.expect("sent");
        assert_documented(route, "the admin token", admin).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documented_ranges_are_the_servers_and_a_body_that_is_not_json_is_a_documented_400() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let tenant = Tenant::create(&app, &receiver).await;
    let origin = format!("http://{}", receiver.addr);

    for route in documented_routes(&app).await.iter().filter(|r| !r.template.ends_with("/stream")) {
        let parameters = route.operation["parameters"].as_array().cloned().unwrap_or_default();
        for parameter in parameters.iter().filter(|p| p["in"] == "query") {
            let (name, schema) = (parameter["name"].as_str().expect("a name"), &parameter["schema"]);
            let (Some(min), Some(max)) = (schema["minimum"].as_i64(), schema["maximum"].as_i64()) else { continue };
            for (value, expected) in [(min - 1, 400), (max + 1, 400), (min, 200), (max, 200)] {
                let path = format!("{}?{name}={value}", route.path(&tenant.ids));
                let response = app.request(route.method.clone(), &path).send().await.expect("sent");
                let status = assert_documented(route, &format!("{name}={value}"), response).await;
                assert_eq!(status, expected, "{} with {name}={value}", route.name());
            }
        }
        if route.example.is_some() {
            let malformed = request(&app, route, &tenant, Some(&app.admin_token), &origin).body("{not json");
            let status =
                assert_documented(route, "a body that is not JSON", malformed.send().await.expect("sent")).await;
            assert_eq!(status, 400, "{}", route.name());
        }
    }
}

/// The documented schema of a route's body (of its items, for an array),
/// resolved in `document`; of a body that is one of several (a publish, one
/// per catalog type), the one its example is.
fn body_schema<'a>(document: &'a Value, route: &Route, example: &Value) -> &'a Value {
    let mut schema = &route.operation["requestBody"]["content"]["application/json"]["schema"];
    if schema["type"] == "array" {
        schema = &schema["items"];
    }
    let reference = schema["$ref"].as_str().unwrap_or_else(|| panic!("{}: a named body schema", route.name()));
    let name = reference.rsplit('/').next().expect("a schema name");
    let schema = &document["components"]["schemas"][name];
    let Some(alternatives) = schema["oneOf"].as_array() else {
        return schema;
    };
    let item = example.as_array().and_then(|items| items.first()).unwrap_or(example);
    let found = alternatives.iter().find(|a| a["properties"]["type"]["const"] == item["type"]);
    found.unwrap_or_else(|| panic!("{}: no alternative for its example {example}", route.name()))
}

/// The example body with `field` set to `value` (in its first item, for a batch).
fn with_field(example: &Value, field: &str, value: Value) -> Value {
    let mut body = example.clone();
    let object = match &mut body {
        Value::Array(items) => items.first_mut().expect("an item"),
        other => other,
    };
    object[field] = value;
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_body_field_is_read_and_any_other_is_refused() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let tenant = Tenant::create(&app, &receiver).await;
    let document: Value = app.get_json("/openapi.json").await;
    let origin = format!("http://{}", receiver.addr);

    for route in documented_routes(&app).await.iter().filter(|r| r.example.is_some()) {
        let example = route.example.clone().expect("an example");
        let schema = body_schema(&document, route, &example);
        assert_eq!(schema["additionalProperties"], false, "{}: unknown fields are refused", route.name());
        let properties = schema["properties"].as_object().expect("documented properties");
        for field in properties.keys().map(String::as_str).chain(["zz_unknown"]) {
            let value = example.get(field).cloned().unwrap_or(Value::Null);
            let body = with_field(&example, field, value).to_string().replace("https://example.com", &origin);
            let path = route.path(&tenant.ids);
            let response = app
                .request(route.method.clone(), &path)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("sent");
            let status = response.status().as_u16();
            let answer: Value = response.json().await.unwrap_or_default();
            let unknown = answer["errors"].as_array().into_iter().flatten().any(|e| {
                e["pointer"].as_str().is_some_and(|p| p.ends_with(&format!("/{field}")))
                    && e["message"] == "is not a known field"
            });
            let expected = field == "zz_unknown";
            assert_eq!(unknown, expected, "{} with `{field}` answered {status}: {answer}", route.name());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_names_its_three_ways_in_and_each_parameter_with_a_known_rule_carries_it() {
    let app = spawn_app().await;
    let document: Value = app.get_json("/openapi.json").await;

    let schemes = document["components"]["securitySchemes"].as_object().expect("security schemes");
    let mut names: Vec<&String> = schemes.keys().collect();
    names.sort();
    assert_eq!(names, ["account_key", "admin_token", "portal_csrf", "portal_session"]);
    assert_eq!(schemes["portal_session"]["in"], "cookie");
    let deliveries = &document["paths"]["/v1/accounts/{account}/deliveries"]["get"]["parameters"];
    let status = deliveries.as_array().expect("parameters").iter().find(|p| p["name"] == "status").expect("status");
    assert_eq!(status["schema"]["enum"], json!(["pending", "succeeded", "failed", "skipped"]));
    let limit = deliveries.as_array().expect("parameters").iter().find(|p| p["name"] == "limit").expect("limit");
    assert_eq!((limit["schema"]["minimum"].as_i64(), limit["schema"]["maximum"].as_i64()), (Some(1), Some(500)));
}

/// `clients/openapi.json`, the document the client libraries generate their types from.
const CLIENTS_DOCUMENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../clients/openapi.json");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_the_clients_are_generated_from_is_the_one_herald_serves() {
    let app = spawn_app().await;
    let served: Value = app.get_json("/openapi.json").await;
    if std::env::var_os("HERALD_UPDATE_CLIENTS_DOCUMENT").is_some() {
        let text = serde_json::to_string_pretty(&served).expect("JSON") + "\n";
        std::fs::write(CLIENTS_DOCUMENT, text).expect("clients/openapi.json written");
    }
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(CLIENTS_DOCUMENT).expect("clients/openapi.json"))
            .expect("clients/openapi.json is JSON");
    assert!(
        committed == served,
        "clients/openapi.json is not the document Herald serves: run \
         `HERALD_UPDATE_CLIENTS_DOCUMENT=1 cargo nextest run -p herald --test api contract::the_document_the_clients`, \
         then regenerate each client's types (clients/python: scripts/generate.py; clients/typescript: npm run generate)"
    );
}
