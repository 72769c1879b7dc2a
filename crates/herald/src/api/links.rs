//! The OpenAPI document's links: where the id a creating operation answers
//! with leads (the account, endpoint, event, recovery or test delivery it
//! made, and every operation on it), so that a client generator or a
//! stateful test follows create → read → change → delete without knowing
//! the API.

use serde_json::{json, Map, Value};

/// Each creating operation (by `operationId`), where the new id is in its
/// answer (a JSON pointer), and the path of the resource it names; every
/// operation at that path, or below it, is linked.
const CREATED: [(&str, &str, &str); 5] = [
    ("create_account", "/id", "/v1/accounts/{account}"),
    ("create_endpoint", "/id", "/v1/accounts/{account}/endpoints/{endpoint}"),
    ("publish", "/event/id", "/v1/accounts/{account}/events/{event}"),
    ("recover", "/id", "/v1/accounts/{account}/endpoints/{endpoint}/recoveries/{recovery}"),
    ("send_test", "/id", "/v1/accounts/{account}/deliveries/{delivery}"),
];

/// The HTTP methods an OpenAPI path item may hold.
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Adds the links of [`CREATED`] to the creating operations' success answers.
pub fn add_links(document: &mut Value) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (creator, pointer, resource) in CREATED {
        let Some(creator_path) = path_of(paths, creator) else { continue };
        let links = links_to(paths, &creator_path, pointer, resource);
        if let Some(response) = success_of(paths, creator) {
            response["links"] = Value::Object(links);
        }
    }
}

/// The path of the operation with this `operationId`.
fn path_of(paths: &Map<String, Value>, operation_id: &str) -> Option<String> {
    paths
        .iter()
        .find_map(|(path, item)| METHODS.iter().any(|m| item[*m]["operationId"] == operation_id).then(|| path.clone()))
}

/// A link to each operation at `resource` or below it whose path takes
/// nothing but the new id (its last parameter) and the creating request's
/// own path parameters.
fn links_to(paths: &Map<String, Value>, creator_path: &str, pointer: &str, resource: &str) -> Map<String, Value> {
    let new_id = resource.rsplit_once('{').map_or("", |(_, p)| p.trim_end_matches('}'));
    let known: Vec<&str> = path_parameters(creator_path).chain([new_id]).collect();
    let mut links = Map::new();
    let below = |p: &str| p == resource || p.starts_with(&format!("{resource}/"));
    for (path, item) in paths.iter().filter(|(p, _)| below(p) && path_parameters(p).all(|n| known.contains(&n))) {
        for method in METHODS {
            let Some(operation_id) = item[method]["operationId"].as_str() else { continue };
            let parameters: Map<String, Value> = path_parameters(path)
                .map(|name| {
                    let from = if name == new_id {
                        format!("$response.body#{pointer}")
                    } else {
                        format!("$request.path.{name}")
                    };
                    (name.to_owned(), json!(from))
                })
                .collect();
            links.insert(operation_id.to_owned(), json!({"operationId": operation_id, "parameters": parameters}));
        }
    }
    links
}

/// The `{name}` parameters of a path template.
fn path_parameters(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
}

/// The success answer (the first 2xx) of the operation with this `operationId`.
fn success_of<'a>(paths: &'a mut Map<String, Value>, operation_id: &str) -> Option<&'a mut Value> {
    let operation = paths
        .values_mut()
        .flat_map(|item| item.as_object_mut().into_iter().flat_map(|m| m.values_mut()))
        .find(|operation| operation["operationId"] == operation_id)?;
    let responses = operation.get_mut("responses")?.as_object_mut()?;
    responses.iter_mut().find(|(status, _)| status.starts_with('2')).map(|(_, response)| response)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The document as served, with the built-in catalog.
    fn document() -> Value {
        let (_, openapi) = super::super::routes::api_router();
        super::super::contract::finish(&openapi, &crate::domain::Catalog::builtin())
    }

    #[test]
    fn every_creating_operation_links_to_its_resource_and_every_link_fills_each_path_parameter() {
        let document = document();
        let mut targets = std::collections::HashMap::new();
        for (path, item) in document["paths"].as_object().expect("paths") {
            for method in METHODS {
                if let Some(id) = item[method]["operationId"].as_str() {
                    targets.insert(id.to_owned(), path.clone());
                }
            }
        }
        for (creator, _, resource) in CREATED {
            assert!(targets.contains_key(creator), "`{creator}` is an operation of the document");
            let creator_path = &targets[creator];
            let response = document["paths"][creator_path]
                .as_object()
                .and_then(|item| item.values().find(|op| op["operationId"] == creator))
                .and_then(|op| op["responses"].as_object())
                .and_then(|responses| responses.iter().find(|(s, _)| s.starts_with('2')).map(|(_, r)| r.clone()))
                .expect("a success answer");
            let links = response["links"].as_object().expect("links");
            assert!(
                links.values().any(|l| targets[l["operationId"].as_str().expect("an id")] == resource),
                "{creator}"
            );
            for link in links.values() {
                let target = &targets[link["operationId"].as_str().expect("an operation id")];
                let mut given: Vec<&String> = link["parameters"].as_object().expect("parameters").keys().collect();
                let mut needed: Vec<String> = path_parameters(target).map(str::to_owned).collect();
                given.sort();
                needed.sort();
                assert_eq!(given, needed.iter().collect::<Vec<_>>(), "{creator} → {target}");
                for name in path_parameters(target).filter(|n| !resource.ends_with(&format!("{{{n}}}"))) {
                    assert!(path_parameters(creator_path).any(|p| p == name), "{creator} has `{name}` to pass on");
                }
            }
        }
    }
}
