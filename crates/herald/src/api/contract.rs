//! What the OpenAPI document says of every operation beyond its own
//! annotation, written once from what the server does for all of them:
//! - errors are `application/problem+json` ([`Problem`](super::error::Problem));
//! - the statuses an operation of its shape can answer: `401` and `403` from
//!   the caller check, `400` for a query string or a body (not JSON, a
//!   parameter out of range), `413` and `422` for a body, `404` for a path
//!   with ids;
//! - each parameter's constraints, from the rules and constants its parser uses;
//! - who may call it: the admin token, an account key, or the developer
//!   portal's session with its CSRF header;
//! - the server's event catalog: a publish body is one of its types, each
//!   with the schema of its `data`, and a type an endpoint subscribes to or
//!   a test sends is one of them (or a `prefix.*` pattern);
//! - where a created resource's id leads (`links.rs`).

use serde_json::{json, Map, Value};

use super::{events::MAX_BATCH, query::Params};
use crate::{
    domain::{
        Catalog, ContentFilter, CustomHeaders, DeliveryId, DeliveryStatus, EndpointId, EndpointUrl, EventId, EventType,
        RecoveryId,
    },
    web::{COOKIE, CSRF_HEADER},
};

/// The operations only the admin token may call: an account key or a
/// portal session is refused with `403` (each handler's `require_admin`).
pub const ADMIN_ONLY: [(&str, &str); 6] = [
    ("get", "/v1/accounts"),
    ("post", "/v1/accounts"),
    ("post", "/v1/accounts/{account}/keys"),
    ("post", "/v1/accounts/{account}/events"),
    ("post", "/v1/accounts/{account}/events/batch"),
    ("post", "/v1/accounts/{account}/portal-links"),
];

/// The HTTP methods an OpenAPI path item may hold.
const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// The document, finished: the rules above applied to every operation,
/// with `catalog`, what the platform publishes.
pub fn finish(document: &utoipa::openapi::OpenApi, catalog: &Catalog) -> Value {
    let mut document = serde_json::to_value(document).unwrap_or_else(|_| json!({}));
    add_security_schemes(&mut document);
    add_catalog(&mut document["components"]["schemas"], catalog);
    add_header_rules(&mut document["components"]["schemas"]);
    add_custom_formats(&mut document["components"]["schemas"]);
    if let Some(schemas) = document["components"]["schemas"].as_object_mut() {
        schemas.values_mut().for_each(no_nul_in_body_strings);
        for (name, schema) in schemas.iter_mut() {
            if name.ends_with("View") || name.starts_with("List_") {
                every_field_answered(schema);
                times_are_date_times(schema);
            }
        }
    }
    let schemas = document["components"]["schemas"].clone();
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            for method in METHODS {
                if let Some(operation) = item.get_mut(method).and_then(Value::as_object_mut) {
                    finish_operation(method, path, operation);
                    optional_if_blank_will_do(operation, &schemas);
                    bound_batch(operation);
                }
            }
        }
    }
    super::links::add_links(&mut document);
    document
}

/// The format of an endpoint's `filter`: a grammar JSON Schema cannot
/// state, so it is named, and described, for generators to know.
pub const FILTER_FORMAT: &str = "herald-filter";

/// The format of an endpoint's `url`: the WHATWG URL rules and the address
/// policy (`EndpointUrl::parse`), named and described for the same reason.
pub const URL_FORMAT: &str = "herald-endpoint-url";

/// Endpoint bodies' `url` and `filter`, each a string of its named format,
/// with nothing else beside the format: their rules (length and no NUL
/// among them) are the format's, which its description states.
fn add_custom_formats(schemas: &mut Value) {
    let url = |body: &str| {
        json!({
            "type": "string",
            "format": URL_FORMAT,
            "description": format!(
                "{} An absolute `https://` URL (`http://` too in development mode) of at most {} \
                 characters once normalised, with no user name, password or `#fragment`, and no IP \
                 address outside the public internet unless the operator trusts it \
                 (`HERALD_ALLOW_TARGETS`), else `422`.",
                if body == "NewEndpointBody" { "Where attempts are POSTed." } else { "Where attempts are POSTed; null leaves it as it is." },
                EndpointUrl::MAX_LEN,
            ),
        })
    };
    let filter = json!({"type": "string", "format": FILTER_FORMAT});
    for body in ["NewEndpointBody", "EndpointPatchBody"] {
        let patch = body == "EndpointPatchBody";
        let properties = &mut schemas[body]["properties"];
        properties["url"] = if patch { json!({"anyOf": [url(body), {"type": "null"}]}) } else { url(body) };
        properties["filter"] = json!({
            "anyOf": [filter, {"type": "null"}],
            "description": format!(
                "A filter on the event's data; null for none. `data.<field>` (dots reach into objects) \
                 compared with `==` or `!=` to a JSON string, number, boolean or null, with `<`, `<=`, \
                 `>` or `>=` to a string or a number, `in [..]` a list of one or more such values, or \
                 `exists`; joined with `and`, `or`, `not` and \
                 parentheses ({} deep at most), at most {} characters. Each field must be in the \
                 `data` schema of some type of the catalog (`GET /v1/event-types`), else `422`.",
                ContentFilter::MAX_DEPTH,
                ContentFilter::MAX_LEN
            ),
        });
    }
}

/// An answer carries every field of its view, null where there is no
/// value (no view skips one), so each is `required`: nested objects too.
fn every_field_answered(schema: &mut Value) {
    if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        let names: Vec<Value> = properties.keys().cloned().map(Value::from).collect();
        properties.values_mut().for_each(every_field_answered);
        schema["required"] = Value::Array(names);
    }
    if let Some(items) = schema.get_mut("items") {
        every_field_answered(items);
    }
}

/// Whether a property's type is string, or string among others (`["string", "null"]`).
fn may_be_string(property: &Value) -> bool {
    property["type"] == "string" || property["type"].as_array().is_some_and(|t| t.contains(&json!("string")))
}

/// An answer's times (`…_at`, and `since`, `until` and `start` of ranges)
/// are RFC 3339, which the document says with `format: date-time`.
fn times_are_date_times(schema: &mut Value) {
    if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        for (name, property) in properties.iter_mut() {
            if may_be_string(property)
                && (name.ends_with("_at") || ["since", "until", "start"].contains(&name.as_str()))
            {
                property["format"] = json!("date-time");
            }
            times_are_date_times(property);
        }
    }
    if let Some(items) = schema.get_mut("items") {
        times_are_date_times(items);
    }
}

/// A request body's string fields never hold NUL (`Fields` refuses it:
/// PostgreSQL's text cannot), so those without a pattern of their own get one.
fn no_nul_in_body_strings(schema: &mut Value) {
    let is_body = schema["additionalProperties"] == false;
    let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut).filter(|_| is_body) else {
        return;
    };
    for property in properties.values_mut() {
        if may_be_string(property) && property.get("pattern").is_none() {
            property["pattern"] = json!("^[^\\u0000]*$");
        }
    }
}

/// A body whose fields are all optional may be left out: a blank body
/// reads as `{}` (`api/body.rs`).
fn optional_if_blank_will_do(operation: &mut Map<String, Value>, schemas: &Value) {
    let Some(body) = operation.get_mut("requestBody") else {
        return;
    };
    let schema = &body["content"]["application/json"]["schema"];
    let name = schema["$ref"].as_str().and_then(|r| r.rsplit('/').next()).unwrap_or_default();
    let (fields, required) = (&schemas[name]["properties"], &schemas[name]["required"]);
    if fields.is_object() && required.as_array().is_none_or(Vec::is_empty) {
        body["required"] = json!(false);
    }
}

/// The catalog's types where bodies name them: each publish is one of the
/// catalog's types with its `data` schema; tests and subscriptions name one
/// of them (subscriptions may use a `prefix.*` pattern).
fn add_catalog(schemas: &mut Value, catalog: &Catalog) {
    let publishes: Vec<Value> = catalog
        .entries()
        .map(|entry| {
            json!({
                "type": "object",
                "title": entry.event_type.as_str(),
                "description": entry.description,
                "required": ["type", "data"],
                "additionalProperties": false,
                "properties": {
                    "type": {"type": "string", "const": entry.event_type.as_str()},
                    "data": entry.schema.clone().map_or_else(|| json!({"type": "object"}), uris_not_empty)
                }
            })
        })
        .collect();
    let description = schemas["PublishBody"]["description"].clone();
    schemas["PublishBody"] = json!({"description": description, "oneOf": publishes});
    // The platform's types. The operational account's endpoints take
    // Herald's own types instead, which `GET /v1/event-types` lists.
    let types: Vec<&str> = catalog.entries().map(|e| e.event_type.as_str()).collect();
    schemas["TestEventBody"]["properties"]["type"]["enum"] = json!(types);
    let subscribed = json!({"anyOf": [
        {"type": "string", "enum": types},
        {"type": "string", "maxLength": EventType::MAX_LEN + 2, "pattern": "^(\\*|[a-z0-9_]+(\\.[a-z0-9_]+)*\\.\\*)$"}
    ]});
    for body in ["NewEndpointBody", "EndpointPatchBody"] {
        schemas[body]["properties"]["event_types"]["items"] = subscribed.clone();
    }
}

/// The rules of custom headers (`CustomHeaders::parse`) where the endpoint
/// bodies take them: token names, none reserved, and header-safe values.
/// (Their total size, 16 KiB, is checked beside these and not shown.)
fn add_header_rules(schemas: &mut Value) {
    // Case-insensitive, spelt out: JSON Schema's patterns take no flags.
    let any_case = |text: &str| -> String {
        text.chars()
            .map(|c| match c {
                c if c.is_ascii_alphabetic() => format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase()),
                '.' | '-' => format!("\\{c}"),
                c => c.to_string(),
            })
            .collect()
    };
    let reserved: Vec<Value> = CustomHeaders::RESERVED_NAMES
        .iter()
        .map(|name| json!({"pattern": format!("^{}$", any_case(name))}))
        .chain(
            CustomHeaders::RESERVED_PREFIXES.iter().map(|prefix| json!({"pattern": format!("^{}", any_case(prefix))})),
        )
        .collect();
    let names = json!({
        "minLength": 1,
        "maxLength": CustomHeaders::MAX_NAME,
        "pattern": "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$",
        "not": {"anyOf": reserved}
    });
    let values =
        json!({"type": "string", "maxLength": CustomHeaders::MAX_VALUE, "pattern": "^([!-~]([\\t -~]*[!-~])?)?$"});
    for body in ["NewEndpointBody", "EndpointPatchBody"] {
        let headers = &mut schemas[body]["properties"]["headers"];
        headers["propertyNames"] = names.clone();
        headers["additionalProperties"] = values.clone();
        headers["maxProperties"] = json!(CustomHeaders::MAX_COUNT);
        headers["description"] = json!(format!(
            "Headers sent with each attempt; null or `{{}}` for none. At most {} names and values in all \
             (bytes), else `422` at `/headers`: the one rule here that JSON Schema cannot state.",
            CustomHeaders::MAX_TOTAL
        ));
    }
}

/// A body that is an array (a batch of events) holds as many items as
/// `publish_batch` takes.
fn bound_batch(operation: &mut Map<String, Value>) {
    if let Some(body) = operation.get_mut("requestBody") {
        let schema = &mut body["content"]["application/json"]["schema"];
        if schema["type"] == "array" {
            schema["minItems"] = json!(1);
            schema["maxItems"] = json!(MAX_BATCH);
        }
    }
}

/// A catalog schema with `minLength: 1` on each `format: uri` string: the
/// format already refuses the empty string, but generators read the length.
fn uris_not_empty(mut schema: Value) -> Value {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(object) => {
                if object.get("format") == Some(&json!("uri")) {
                    object.entry("minLength").or_insert(json!(1));
                }
                object.values_mut().for_each(walk);
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut schema);
    schema
}

/// The three ways to call the API, as security schemes.
fn add_security_schemes(document: &mut Value) {
    let schemes = json!({
        "admin_token": {"type": "http", "scheme": "bearer",
            "description": "The admin token (HERALD_ADMIN_TOKEN): every operation, on every account."},
        "account_key": {"type": "http", "scheme": "bearer", "bearerFormat": "hk_…",
            "description": "An account key (POST /v1/accounts/{account}/keys): its own account's operations, not the admin-only ones."},
        "portal_session": {"type": "apiKey", "in": "cookie", "name": COOKIE,
            "description": "The developer portal's session cookie, for the portal's own pages: what an account key may do."},
        "portal_csrf": {"type": "apiKey", "in": "header", "name": CSRF_HEADER,
            "description": "The portal session's CSRF token, sent with the cookie on every request."}
    });
    document["components"]["securitySchemes"] = schemes;
    document["security"] = json!([{"admin_token": []}]);
}

fn finish_operation(method: &str, path: &str, operation: &mut Map<String, Value>) {
    let admin_only = ADMIN_ONLY.contains(&(method, path));
    operation.insert("security".into(), security(admin_only));
    let has_query = parameters(operation).any(|p| p["in"] == "query" || p["in"] == "header");
    let has_body = operation.contains_key("requestBody");
    let has_ids = path.contains('{');
    if let Some(parameters) = operation.get_mut("parameters").and_then(Value::as_array_mut) {
        for parameter in parameters {
            constrain(parameter, path);
        }
    }
    let responses = operation.entry("responses").or_insert_with(|| json!({}));
    let Some(responses) = responses.as_object_mut() else {
        return;
    };
    let forbidden = if admin_only {
        "an account key or portal session: this operation is the admin token's alone"
    } else {
        "a portal session without its CSRF token (X-CSRF-Token)"
    };
    add(responses, "401", "no valid admin token, account key or portal session");
    add(responses, "403", forbidden);
    if has_query || has_body {
        add(responses, "400", "a query parameter or header is wrong, or the body is not JSON (`errors` names it)");
    }
    if has_body {
        add(responses, "408", "the body did not arrive within `HERALD_BODY_READ_TIMEOUT` (30 s by default); the connection is closed and nothing is stored");
        add(responses, "413", "the body is larger than 256 KiB");
        add(responses, "422", "the body's fields are not acceptable (`errors` gives each one's JSON pointer)");
    }
    if has_ids {
        add(responses, "404", "no such resource for this caller (another account's are not found either)");
    }
    let retry_after = json!({
        "Retry-After": {"description": "seconds to wait before trying again", "schema": {"type": "integer", "minimum": 1}}
    });
    if !admin_only {
        add(responses, "429", "an account key or portal session over its account's share of requests (`HERALD_ACCOUNT_RATE_LIMIT`, 100 a second by default; the admin token has none): try again after `Retry-After` seconds");
        responses["429"]["headers"] = retry_after.clone();
    }
    add(responses, "503", "the database does not answer, or the disk that holds it is full (`urn:herald:problem:disk-full`); nothing was stored: try again after `Retry-After` seconds");
    responses["503"]["headers"] = retry_after;
    for (status, response) in responses.iter_mut() {
        if status.starts_with('4') || status.starts_with('5') {
            response["content"] = json!({
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            });
        }
    }
}

/// Who may call an operation.
fn security(admin_only: bool) -> Value {
    if admin_only {
        json!([{"admin_token": []}])
    } else {
        json!([{"admin_token": []}, {"account_key": []}, {"portal_session": [], "portal_csrf": []}])
    }
}

fn parameters(operation: &Map<String, Value>) -> impl Iterator<Item = &Value> {
    operation.get("parameters").and_then(Value::as_array).into_iter().flatten()
}

/// A response the annotation did not list, described.
fn add(responses: &mut Map<String, Value>, status: &str, description: &str) {
    responses.entry(status).or_insert_with(|| json!({"description": description}));
}

/// A prefixed ULID id, as `DeliveryId::parse` and its kin accept it.
fn id_pattern(prefix: &str) -> String {
    format!("^{prefix}[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{{26}}$")
}

/// An event type, as `EventType::parse` accepts it.
const EVENT_TYPE_PATTERN: &str = "^[a-z0-9_]+(\\.[a-z0-9_]+)*$";

/// A query parameter given empty counts as not given (`Params::get`): its
/// pattern lets the empty string through.
fn or_empty(pattern: &str) -> String {
    let inner = pattern.trim_start_matches('^').trim_end_matches('$');
    format!("^({inner})?$")
}

/// The kind of id a list's `cursor` is: that of the items it lists.
fn cursor_schema(path: &str) -> Value {
    let prefix =
        [("/events", EventId::PREFIX), ("/endpoints", EndpointId::PREFIX), ("/deliveries", DeliveryId::PREFIX)]
            .into_iter()
            .find_map(|(list, prefix)| path.ends_with(list).then_some(prefix));
    match prefix {
        Some(prefix) => json!({"type": "string", "pattern": id_pattern(prefix)}),
        None => account_schema(),
    }
}

/// An account id, as `AccountId::parse` accepts it.
fn account_schema() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9_-]+$"})
}

/// A parameter's schema, with the constraints its parser applies (`path`
/// is its operation's).
fn constrain(parameter: &mut Value, path: &str) {
    let name = parameter["name"].as_str().unwrap_or_default();
    let statuses: Vec<&str> = DeliveryStatus::ALL.iter().map(|s| s.as_str()).collect();
    let schema = match name {
        "limit" => {
            json!({"type": "integer", "minimum": 1, "maximum": Params::MAX_LIMIT, "default": Params::DEFAULT_LIMIT})
        }
        "status" => json!({"type": "string", "enum": statuses}),
        "type" | "event_type" => {
            json!({"type": "string", "maxLength": EventType::MAX_LEN, "pattern": EVENT_TYPE_PATTERN})
        }
        "event_id" | "after" | "last_event_id" | "Last-Event-ID" | "event" => {
            json!({"type": "string", "pattern": id_pattern(EventId::PREFIX)})
        }
        "endpoint_id" | "endpoint" => json!({"type": "string", "pattern": id_pattern(EndpointId::PREFIX)}),
        "delivery" => json!({"type": "string", "pattern": id_pattern(DeliveryId::PREFIX)}),
        "recovery" => json!({"type": "string", "pattern": id_pattern(RecoveryId::PREFIX)}),
        "account" => account_schema(),
        "cursor" => cursor_schema(path),
        "project_id" | "person_id" => json!({"type": "integer", "format": "int64"}),
        "Idempotency-Key" => {
            json!({"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]([ -~]*[!-~])?$"})
        }
        _ => return,
    };
    parameter["schema"] = schema;
    if parameter["in"] == "query" {
        if let Some(pattern) = parameter["schema"]["pattern"].as_str().map(or_empty) {
            parameter["schema"]["pattern"] = json!(pattern);
        }
        if let Some(schema) = parameter["schema"].as_object_mut() {
            schema.remove("minLength");
        }
    }
}
