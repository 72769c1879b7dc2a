//! A check that the OpenAPI document lists every API route: axum's own route
//! table (read from its debug output, the one place it shows) against the
//! document's paths. A route added beside `utoipa_axum`'s `routes!` (a plain
//! `.route(…)`) would escape the document, and with it every test generated
//! from the document (the black-box tenancy tests); this fails first.

use std::collections::BTreeSet;

/// Paths outside the API, which the document does not list: the operations
/// routes. (The developer portal's pages are a router of their own.)
const OUTSIDE_THE_API: [&str; 4] = ["/healthz", "/readyz", "/metrics", "/openapi.json"];

/// Every quoted string of a router's debug dump that looks like a route
/// path, up to its fallback router (which routes `/` and a catch-all to the
/// fallback, not to a handler).
fn routed_paths(debug: &str) -> BTreeSet<String> {
    let routes = debug.split("fallback_router").next().unwrap_or_default();
    routes
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| s.starts_with('/') && !s.contains("__private__axum"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_routed_api_path_is_in_the_openapi_document() {
    let (_, document) = super::routes::api_router();
    let documented: BTreeSet<String> = document.paths.paths.keys().cloned().collect();
    let routed = routed_paths(&format!("{:?}", super::routes()));

    let missing: Vec<&String> = documented.iter().filter(|p| !routed.contains(*p)).collect();
    assert!(
        missing.is_empty(),
        "axum's route table could not be read (its debug output changed?); not found: {missing:?}"
    );
    let undocumented: Vec<&String> = routed
        .iter()
        .filter(|p| !documented.contains(*p) && !OUTSIDE_THE_API.iter().any(|o| p.starts_with(o)))
        .collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the OpenAPI document (add them with `utoipa_axum::routes!` and a `#[utoipa::path]`): {undocumented:?}"
    );
}
