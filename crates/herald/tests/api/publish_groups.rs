//! Publishes that arrive together: the store may commit them together (one
//! group of statements on PostgreSQL, one writer transaction on SQLite), and
//! each caller must still get exactly its own answer. Many publishes to two
//! accounts with different endpoints at once each get their own delivery
//! counts and statuses, positions that polling follows without a gap or a
//! repeat, and a publish to a missing account fails alone; many publishes with
//! one `Idempotency-Key` at once make one event, and the rest replay it or
//! are refused, whichever group they land in.

use std::collections::{HashMap, HashSet};

use futures::future::join_all;
use serde_json::{json, Value};

use crate::{
    checks::{expect_json, expect_problem},
    fixtures::{credits_low, mixed_event},
    helpers::{spawn_app, TestApp},
    idempotency::publish_with_key,
    receiver::Receiver,
};

/// Single-event publishes sent at once to each account.
const SINGLES: i64 = 20;
/// Batches of three sent at once to each account, among the singles.
const BATCHES: i64 = 2;

/// The body of the `n`-th batch: a credit, a project, a credit.
fn batch(n: i64) -> Value {
    json!([mixed_event(100 * n), mixed_event(100 * n + 1), mixed_event(100 * n + 2)])
}

/// Sends every publish of one account at once; the answers of the singles,
/// then the answers of the batches.
async fn publish_at_once(app: &TestApp, account: &str) -> (Vec<Value>, Vec<Value>) {
    let singles = join_all((0..SINGLES).map(|n| async move { app.post_publish(account, &mixed_event(n)).await }));
    let batch_path = &format!("/v1/accounts/{account}/events/batch");
    let batches = join_all((0..BATCHES).map(|n| async move { app.post(batch_path, &batch(n)).await }));
    let (singles, batches) = tokio::join!(singles, batches);
    let singles = join_all(singles.into_iter().map(|r| expect_json(r, 202))).await;
    let batches = join_all(batches.into_iter().map(|r| expect_json(r, 202))).await;
    (singles, batches)
}

/// An envelope as published, with the deliveries its answer counted (a
/// batch answers only its total: `None`).
type Envelope = (Value, Option<u64>);

/// Every envelope published by `singles` and `batches`; the ids of each
/// batch, in batch order.
fn envelopes(singles: &[Value], batches: &[Value]) -> (Vec<Envelope>, Vec<Vec<String>>) {
    let mut all: Vec<Envelope> = singles.iter().map(|s| (s["event"].clone(), s["deliveries"].as_u64())).collect();
    let mut orders = Vec::new();
    for b in batches {
        let events = b["events"].as_array().unwrap();
        orders.push(events.iter().map(|e| e["id"].as_str().unwrap().to_string()).collect());
        all.extend(events.iter().map(|e| (e.clone(), None)));
    }
    (all, orders)
}

/// Checks that polling from `start` returns every one of `published` once,
/// each batch's events one after the other in batch order, and that starting
/// from any event of that order gives exactly the rest of it.
async fn assert_polling_sees_each_once(
    app: &TestApp,
    account: &str,
    start: &str,
    published: &[Envelope],
    orders: &[Vec<String>],
) {
    let polled: Vec<String> =
        app.events_after(account, start).await.iter().map(|e| e["id"].as_str().unwrap().to_string()).collect();
    let expected: HashSet<&str> = published.iter().map(|(e, _)| e["id"].as_str().unwrap()).collect();
    assert_eq!(polled.len(), expected.len(), "every event once: {polled:#?}");
    assert_eq!(polled.iter().map(String::as_str).collect::<HashSet<_>>(), expected);
    for order in orders {
        let at = polled.iter().position(|id| *id == order[0]).unwrap();
        assert_eq!(&polled[at..at + order.len()], order.as_slice(), "a batch keeps its order, in one piece");
    }
    for cut in [polled.len() / 3, polled.len() / 2, polled.len() - 1] {
        let rest: Vec<String> = app
            .events_after(account, &polled[cut])
            .await
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(rest, polled[cut + 1..], "polling after the {cut}th event");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishes_sent_at_once_to_two_accounts_each_get_their_own_deliveries_and_positions() {
    let app = spawn_app().await;
    let (receiver_a, receiver_b) = (Receiver::ok().await, Receiver::ok().await);
    let (a, b) = (app.create_account().await, app.create_account().await);
    let every_a = app.create_endpoint(&a, &receiver_a.url()).await;
    let credits_a = app.create_endpoint_with(&a, json!({"url": receiver_a.url(), "event_types": ["credits.*"]})).await;
    let every_b = app.create_endpoint(&b, &receiver_b.url()).await;
    let off_b = app.create_endpoint(&b, &receiver_b.url()).await;
    app.endpoint_action(&b, &off_b.id, "disable", json!({})).await;
    let start_a = app.publish(&a, "credits.depleted", json!({"balance": 0})).await;
    let start_b = app.publish(&b, "credits.depleted", json!({"balance": 0})).await;
    let missing = "acc_01JQ8Z6X3M0000000000000000";

    let ((singles_a, batches_a), (singles_b, batches_b), refused) = tokio::join!(
        publish_at_once(&app, &a),
        publish_at_once(&app, &b),
        join_all((0..4).map(|n| {
            let app = &app;
            async move { app.post_publish(missing, &mixed_event(n)).await }
        })),
    );

    for response in refused {
        expect_problem(response, 404).await;
    }
    let credits = |e: &Value| e["type"].as_str().unwrap().starts_with("credits.");
    let (published_a, orders_a) = envelopes(&singles_a, &batches_a);
    let (published_b, orders_b) = envelopes(&singles_b, &batches_b);
    for (event, deliveries) in &published_a {
        if let Some(n) = deliveries {
            assert_eq!(*n, if credits(event) { 2 } else { 1 }, "account A: {event}");
        }
    }
    assert!(singles_b.iter().all(|s| s["deliveries"] == 2), "account B: one pending, one skipped each");
    assert!(batches_a.iter().all(|b| b["deliveries"] == 5), "a credit, a project, a credit on A");
    assert!(batches_b.iter().all(|b| b["deliveries"] == 6), "three events, two endpoints on B");
    for (account, published) in [(&a, &published_a), (&b, &published_b)] {
        for (event, _) in published {
            let read = app.get_json(&format!("/v1/accounts/{account}/events/{}", event["id"].as_str().unwrap())).await;
            assert_eq!(&read, event);
        }
    }

    let n_a = published_a.len() + 1;
    let n_credits_a = published_a.iter().filter(|(e, _)| credits(e)).count() + 1;
    let n_b = published_b.len() + 1;
    app.wait_for_deliveries(&a, &every_a.id, "succeeded", n_a).await;
    app.wait_for_deliveries(&a, &credits_a.id, "succeeded", n_credits_a).await;
    app.wait_for_deliveries(&b, &every_b.id, "succeeded", n_b).await;
    let skipped = app.list_deliveries(&b, &format!("endpoint_id={}&status=skipped", off_b.id)).await;
    assert_eq!(skipped.len(), n_b, "every event of B skips the disabled endpoint");
    assert_eq!(app.list_deliveries(&a, &format!("endpoint_id={}", credits_a.id)).await.len(), n_credits_a);
    assert_eq!(app.list_deliveries(&b, &format!("endpoint_id={}", off_b.id)).await.len(), n_b);
    let mut targets: HashMap<String, usize> = HashMap::new();
    for r in receiver_a.requests().iter().chain(receiver_b.requests().iter()) {
        *targets.entry(r.event_id()).or_default() += 1;
    }
    for (event, _) in &published_a {
        let expected = if credits(event) { 2 } else { 1 };
        assert_eq!(targets.get(event["id"].as_str().unwrap()), Some(&expected), "A's event {event}");
    }
    for (event, _) in &published_b {
        assert_eq!(targets.get(event["id"].as_str().unwrap()), Some(&1), "B's event {event}");
    }
    assert_polling_sees_each_once(&app, &a, &start_a.id, &published_a, &orders_a).await;
    assert_polling_sees_each_once(&app, &b, &start_b.id, &published_b, &orders_b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishes_sent_at_once_with_one_key_make_one_event_and_the_rest_replay_it_or_conflict() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    app.create_endpoint(&account, &receiver.url()).await;
    let seven = json!({"type": "credits.low", "data": credits_low(7)});
    let eight = json!({"type": "credits.low", "data": credits_low(8)});
    let bodies: Vec<&Value> = (0..12).map(|n| if n % 3 == 2 { &eight } else { &seven }).collect();

    // The publishes without a key go first: while the store writes the first
    // of them, the keyed ones queue up behind it and are mostly written
    // together, so the key is claimed and met again within one group.
    let (unkeyed, keyed) = tokio::join!(
        join_all((0..12).map(|n| {
            let body = json!({"type": "credits.low", "data": credits_low(n)});
            let (app, account) = (&app, &account);
            async move { app.post_publish(account, &body).await }
        })),
        join_all(bodies.iter().map(|body| publish_with_key(&app, &account, "one-key", body))),
    );

    let mut answers = Vec::new();
    for (response, body) in keyed.into_iter().zip(&bodies) {
        let status = response.status().as_u16();
        answers.push((status, response.json::<Value>().await.unwrap(), *body));
    }
    let created: Vec<&(u16, Value, &Value)> = answers.iter().filter(|(s, _, _)| *s == 202).collect();
    assert_eq!(created.len(), 1, "exactly one publish with the key creates: {answers:#?}");
    let (_, first, winner) = created[0];
    assert_eq!(first["event"]["data"], winner["data"]);
    assert_eq!(first["deliveries"], 1);
    for (status, answer, body) in &answers {
        match *status {
            202 => {}
            200 => {
                assert_eq!(*body, *winner, "a replay has the first's body");
                assert_eq!(answer, first, "a replay answers the first answer");
            }
            409 => assert_ne!(*body, *winner, "a conflict has another body: {answer}"),
            other => panic!("unexpected {other}: {answer}"),
        }
    }
    assert_eq!(
        answers.iter().filter(|(s, _, _)| *s == 200).count(),
        bodies.iter().filter(|b| **b == *winner).count() - 1
    );
    for response in unkeyed {
        expect_json(response, 202).await;
    }
    let events = app.list_events(&account).await;
    assert_eq!(events.len(), 13, "the keyed event once, and the twelve without a key");
    let keyed_event = first["event"]["id"].as_str().unwrap();
    assert_eq!(events.iter().filter(|e| e["id"] == keyed_event).count(), 1);
    assert_eq!(app.list_deliveries(&account, &format!("event_id={keyed_event}")).await.len(), 1);
    let arrived = receiver.wait_for(13).await;
    assert_eq!(arrived.iter().filter(|r| r.event_id() == keyed_event).count(), 1);
}
