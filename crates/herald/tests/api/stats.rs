//! An endpoint's success rate over the last 24 hours (`…/endpoints/{id}/stats`),
//! the numbers behind the portal's chart.

use serde_json::Value;

use crate::{
    checks::{expect_problem, Poll},
    fixtures::{credits_low, project_completed},
    helpers::{spawn_app_with, Options},
    receiver::Receiver,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_count_an_endpoints_answered_and_failed_attempts_by_hour() {
    let app = spawn_app_with(Options::default().schedule("0s,0s")).await;
    let good = Receiver::ok().await;
    let bad = Receiver::failing().await;
    let account = app.create_account().await;
    let healthy = app.create_endpoint(&account, &good.url()).await;
    let broken = app.create_endpoint(&account, &bad.url()).await;

    for balance in [1, 2, 3] {
        app.publish(&account, "credits.low", credits_low(balance)).await;
    }
    let published = app.publish(&account, "project.completed", project_completed(7)).await;
    app.wait_for_endpoint(&account, &broken.id, "disabled", |e| e["enabled"] == false).await;
    let last_good = app.delivery_of(&account, &published.id, &healthy.id).await;
    app.wait_for_delivery_status(&account, last_good["id"].as_str().unwrap(), "succeeded").await;
    let poll = Poll::new("the broken endpoint's deliveries to settle");
    loop {
        let pending = app.list_deliveries(&account, &format!("endpoint_id={}&status=pending", broken.id)).await;
        if pending.is_empty() {
            break;
        }
        poll.tick(&pending).await;
    }

    let stats = app.get_json(&format!("/v1/accounts/{account}/endpoints/{}/stats", healthy.id)).await;
    assert_eq!((stats["succeeded"].as_u64(), stats["failed"].as_u64()), (Some(4), Some(0)), "{stats:#}");
    assert_eq!(stats["success_rate"], 1.0);
    let hours = stats["hours"].as_array().unwrap();
    assert_eq!(hours.len(), 24);
    assert_eq!(hours[23]["succeeded"], 4, "this hour holds every attempt: {stats:#}");

    // The broken endpoint: its first delivery failed both attempts and disabled it;
    // the later ones were stopped without an attempt, and those stops are not attempts.
    let stats = app.get_json(&format!("/v1/accounts/{account}/endpoints/{}/stats", broken.id)).await;
    assert_eq!(stats["succeeded"], 0, "{stats:#}");
    assert!(stats["failed"].as_u64().unwrap() >= 2, "{stats:#}");
    assert_eq!(stats["success_rate"], 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_endpoint_has_no_rate_and_other_accounts_endpoints_have_no_stats() {
    let app = spawn_app_with(Options::default()).await;
    let account = app.create_account().await;
    let other = app.create_account().await;
    let endpoint = app.create_endpoint(&account, "http://127.0.0.1:9/hooks").await;

    let stats = app.get_json(&format!("/v1/accounts/{account}/endpoints/{}/stats", endpoint.id)).await;
    assert_eq!(stats["success_rate"], Value::Null);
    assert_eq!(stats["hours"].as_array().map(Vec::len), Some(24));

    let key = app.create_key(&other).await;
    let foreign = app
        .request_as(&key, reqwest::Method::GET, &format!("/v1/accounts/{account}/endpoints/{}/stats", endpoint.id))
        .send()
        .await
        .unwrap();
    expect_problem(foreign, 404).await;
    let misplaced = app.get(&format!("/v1/accounts/{other}/endpoints/{}/stats", endpoint.id)).await;
    expect_problem(misplaced, 404).await;
    let made_up = app.get(&format!("/v1/accounts/{account}/endpoints/ep_nope/stats")).await;
    expect_problem(made_up, 404).await;
}
