//! Each account's share of the API (issue 19, fault 4;
//! `HERALD_ACCOUNT_RATE_LIMIT`): an account key sending far more than its
//! share is answered 429 with `Retry-After` and a problem that says so,
//! while another account's requests are all served; the account is served
//! again once it waits, and the admin token is never limited.

use std::time::{Duration, Instant};

use futures::future::join_all;
use reqwest::Method;

use crate::{
    checks::{expect_problem, Poll},
    helpers::{spawn_app_with, Options, TestApp},
};

/// The share in these tests: 20 requests a second, after a burst of 20.
const SHARE: u32 = 20;

/// `GET` of the account's endpoints with `key`: the status, the
/// `Retry-After` header, and how long the answer took.
async fn list_endpoints(app: &TestApp, key: &str, account: &str) -> (u16, Option<String>, Duration) {
    let started = Instant::now();
    let response = app.request_as(key, Method::GET, &format!("/v1/accounts/{account}/endpoints")).send().await.unwrap();
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    (response.status().as_u16(), retry_after, started.elapsed())
}

/// The median and largest of `times`, in milliseconds, for the figures.
fn median_and_max(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (ms(times[times.len() / 2]), ms(times[times.len() - 1]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_over_its_share_gets_429_with_retry_after_while_another_is_served() {
    let app = spawn_app_with(Options::default().account_rate_limit(SHARE)).await;
    let (greedy, modest) = (app.create_account().await, app.create_account().await);
    let (greedy_key, modest_key) = (app.create_key(&greedy).await, app.create_key(&modest).await);
    let mut before = Vec::new();
    for _ in 0..10 {
        before.push(list_endpoints(&app, &modest_key, &modest).await.2);
    }

    // Ten times the burst at once from one account, and the other account's
    // requests one after another meanwhile.
    let started = Instant::now();
    let flood = join_all((0..10 * SHARE).map(|_| list_endpoints(&app, &greedy_key, &greedy)));
    let others = async {
        let mut during = Vec::new();
        for _ in 0..10 {
            let (status, _, took) = list_endpoints(&app, &modest_key, &modest).await;
            assert_eq!(status, 200, "another account's request is served during the flood");
            during.push(took);
        }
        during
    };
    let (flooded, during) = tokio::join!(flood, others);
    let elapsed = started.elapsed().as_secs_f64();

    let served = flooded.iter().filter(|(status, ..)| *status == 200).count();
    let refused: Vec<_> = flooded.iter().filter(|(status, ..)| *status == 429).collect();
    assert_eq!(served + refused.len(), flooded.len(), "every answer is 200 or 429: {flooded:?}");
    let allowed = f64::from(SHARE) + f64::from(SHARE) * elapsed + 1.0;
    assert!(served >= SHARE as usize, "the burst is served: {served}");
    assert!((served as f64) <= allowed, "{served} served in {elapsed:.2} s; the share allows {allowed:.1}");
    for (_, retry_after, _) in &refused {
        let seconds: u64 = retry_after.as_deref().expect("a 429 says when to retry").parse().unwrap();
        assert!((1..=2).contains(&seconds), "Retry-After {seconds}");
    }

    // The refusal names itself; and after waiting, the account is served again.
    let response = app.request_as(&greedy_key, Method::GET, &format!("/v1/accounts/{greedy}/endpoints")).send().await;
    let poll = Poll::new("the greedy account to be served again");
    let mut last = response.unwrap();
    while last.status() == 429 {
        let problem = expect_problem(last, 429).await;
        assert_eq!(problem["type"], "urn:herald:problem:rate-limited", "{problem}");
        assert!(problem["detail"].as_str().unwrap().contains("20 requests a second"), "{problem}");
        poll.tick(&problem).await;
        last =
            app.request_as(&greedy_key, Method::GET, &format!("/v1/accounts/{greedy}/endpoints")).send().await.unwrap();
    }
    assert_eq!(last.status(), 200);

    let ((before_p50, before_max), (during_p50, during_max)) = (median_and_max(before), median_and_max(during));
    println!(
        "figures: {} requests from one account in {elapsed:.2} s: {served} served, {} answered 429; \
         another account's 10 requests all served, p50 {before_p50:.1} ms (max {before_max:.1}) before, \
         {during_p50:.1} ms (max {during_max:.1}) during",
        flooded.len(),
        refused.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_token_has_no_share_to_exceed() {
    let app = spawn_app_with(Options::default().account_rate_limit(SHARE)).await;
    let account = app.create_account().await;
    let statuses = join_all((0..10 * SHARE).map(|_| list_endpoints(&app, &app.admin_token, &account))).await;
    assert!(statuses.iter().all(|(status, ..)| *status == 200), "{statuses:?}");
}
