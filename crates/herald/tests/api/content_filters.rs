//! Filters on content: an endpoint's `filter` (`data.project_type ==
//! "scene_project"`, `data.balance <= 10`, `in`, `exists`, `and`, `or`) is
//! applied at publish, so an event that does not match makes no delivery row
//! at all; it is checked against the catalog's schemas, and refused at
//! `/filter` when it reads a field no type has or does not parse, with
//! nothing stored.

use reqwest::Method;
use serde_json::{json, Value};

use crate::{
    checks::{expect_json, expect_problem},
    helpers::{spawn_app, TestApp},
    receiver::Receiver,
};

fn project(id: i64, project_type: &str) -> Value {
    json!({"project_id": id, "project_type": project_type})
}

async fn filtered_endpoint(app: &TestApp, account: &str, url: &str, types: Value, filter: &str) -> String {
    let body = json!({"url": url, "event_types": types, "filter": filter});
    let endpoint = app.create_endpoint_with(account, body).await;
    assert_eq!(endpoint.body["filter"], filter);
    endpoint.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_that_does_not_match_makes_no_delivery_and_one_that_does_is_delivered() {
    let app = spawn_app().await;
    let (scenes, everything) = (Receiver::ok().await, Receiver::ok().await);
    let account = app.create_account().await;
    let filter = r#"data.project_type == "scene_project""#;
    let scenes_only = filtered_endpoint(&app, &account, &scenes.url(), json!(["project.*"]), filter).await;
    app.create_endpoint(&account, &everything.url()).await;

    let avatar = app.publish(&account, "project.created", project(1, "avatar")).await;
    let scene = app.publish(&account, "project.created", project(2, "scene_project")).await;
    let batch = app
        .publisher()
        .publish_batch(
            &account,
            &[("project.created", project(3, "scene_project")), ("project.created", project(4, "avatar"))],
        )
        .await;

    assert_eq!(avatar.deliveries, 1, "only the unfiltered endpoint");
    assert_eq!(scene.deliveries, 2);
    let arrived: Vec<String> = scenes.wait_for(2).await.iter().map(|r| r.event_id()).collect();
    everything.wait_for(4).await;
    assert_eq!(arrived, [scene.id.clone(), batch[0]["id"].as_str().unwrap().to_string()]);
    let rows = app.list_deliveries(&account, &format!("endpoint_id={scenes_only}")).await;
    assert_eq!(rows.len(), 2, "no row for an event that does not match: {rows:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comparisons_lists_exists_and_connectives_choose_the_events() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    let filter =
        r#"(data.balance exists and data.balance <= 10 and data.threshold in [50, 100]) or not data.threshold < 1000"#;
    filtered_endpoint(&app, &account, &receiver.url(), json!(["credits.low"]), filter).await;

    let cases = [
        (json!({"balance": 10, "threshold": 50}), true),
        (json!({"balance": 11, "threshold": 50}), false),
        (json!({"balance": 3, "threshold": 70}), false),
        (json!({"balance": 900, "threshold": 1000}), true),
        (json!({"balance": 900, "threshold": 999}), false),
    ];
    let mut wanted = Vec::new();
    for (data, matches) in cases {
        let published = app.publish(&account, "credits.low", data).await;
        assert_eq!(published.deliveries, u64::from(matches), "{:?}", published.event);
        if matches {
            wanted.push(published.id);
        }
    }
    let arrived: Vec<String> = receiver.wait_for(2).await.iter().map(|r| r.event_id()).collect();
    assert_eq!(arrived, wanted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_is_checked_against_the_catalogs_schemas() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let endpoints = format!("/v1/accounts/{account}/endpoints");
    let url = Receiver::ok().await.url();
    let refusals = [
        (json!(["credits.low"]), json!("data.project_typo == \"x\""), "data.project_typo"),
        (Value::Null, json!("data.no_such_field exists"), "data.no_such_field"),
        (Value::Null, json!("data.balance.cents > 1"), "data.balance.cents"),
        (json!(["credits.*"]), json!("data.balance <= "), "character"),
        (json!(["credits.*"]), json!("balance <= 10"), "data.<name>"),
        (json!(["credits.*"]), json!(10), "must be a filter"),
        (json!(["credits.*"]), json!(""), "empty"),
    ];
    for (types, filter, says) in refusals {
        let body = json!({"url": url, "event_types": types, "filter": filter});
        let problem = expect_problem(app.post(&endpoints, &body).await, 422).await;
        assert_eq!(problem["errors"][0]["pointer"], "/filter", "{body}: {problem}");
        let message = problem["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(says), "{body}: {message}");
    }
    assert_eq!(app.get_json(&endpoints).await["data"], json!([]), "nothing refused is stored");

    // A field of any type of the catalog is accepted, whatever the endpoint's types.
    let mixed = json!({"url": url, "event_types": ["credits.low"], "filter": "data.project_id == 1"});
    let endpoint = app.create_endpoint_with(&account, mixed).await;
    let one = format!("{endpoints}/{}", endpoint.id);
    let patch = |body: Value| app.request(Method::PATCH, &one).json(&body).send();
    let changed = expect_json(patch(json!({"event_types": ["project.*"]})).await.expect("sent"), 200).await;
    assert_eq!(changed["filter"], "data.project_id == 1");

    // A PATCH checks the filter it is given, and leaves the endpoint as it was when refused.
    let refused = expect_problem(patch(json!({"filter": "data.thresold > 1"})).await.expect("sent"), 422).await;
    assert_eq!(refused["errors"][0]["pointer"], "/filter", "{refused}");
    assert_eq!(app.get_json(&one).await["filter"], "data.project_id == 1");
    let removed =
        expect_json(patch(json!({"filter": null, "event_types": ["credits.*"]})).await.expect("sent"), 200).await;
    assert_eq!(removed["filter"], Value::Null);
}
