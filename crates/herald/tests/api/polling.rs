//! Polling (contract §5): a poller that passes the last event id it got as the
//! next `after` sees every event once, in the order they were committed, even
//! while other clients are publishing at the same time.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;
use tokio::task::JoinHandle;

use crate::{
    checks::Poll,
    fixtures::credits_low,
    helpers::{spawn_app, Publisher},
};

/// Publishing tasks running at once.
const PUBLISHERS: i64 = 4;

/// Events each of them publishes, one after the other.
const EACH: i64 = 30;

/// A small page, so that the poller turns many pages while events arrive.
const PAGE: usize = 7;

/// Publishes `EACH` events one after the other; `balance` says who and which.
fn spawn_publisher(publisher: Publisher, account: String, who: i64) -> JoinHandle<Vec<String>> {
    tokio::spawn(async move {
        let mut ids = Vec::new();
        for n in 0..EACH {
            ids.push(publisher.publish(&account, "credits.low", credits_low(who * 1000 + n)).await.id);
        }
        ids
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poller_following_after_sees_every_event_once_in_order_while_events_are_published() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let start = app.publish(&account, "credits.low", credits_low(-1)).await;
    let publishers: Vec<JoinHandle<Vec<String>>> =
        (0..PUBLISHERS).map(|who| spawn_publisher(app.publisher(), account.clone(), who)).collect();

    let mut seen: Vec<Value> = Vec::new();
    let mut after = start.id.clone();
    let poll = Poll::new("the poller to reach the end after every publisher finished");
    loop {
        // Read before polling: an empty page polled after every publish returned is the end.
        let all_published = publishers.iter().all(JoinHandle::is_finished);
        let page = app.get_json(&format!("/v1/accounts/{account}/events?after={after}&limit={PAGE}")).await;
        let data = page["data"].as_array().expect("a page of events").clone();
        if let Some(last) = data.last() {
            after = last["id"].as_str().expect("an event id").to_string();
        }
        let page_was_empty = data.is_empty();
        seen.extend(data);
        if page_was_empty {
            if all_published {
                break;
            }
            poll.tick(&seen.len()).await;
        }
    }

    let mut published: HashMap<i64, Vec<String>> = HashMap::new();
    for (who, handle) in publishers.into_iter().enumerate() {
        published.insert(who as i64, handle.await.expect("a publisher does not panic"));
    }
    let seen_ids: Vec<String> = seen.iter().map(|e| e["id"].as_str().unwrap().to_string()).collect();
    let unique: BTreeSet<&String> = seen_ids.iter().collect();
    assert_eq!(unique.len(), seen_ids.len(), "no event is seen twice: {seen_ids:?}");
    let accepted: BTreeSet<&String> = published.values().flatten().collect();
    assert_eq!(unique, accepted, "the poller saw exactly the accepted events");
    for (who, ids) in &published {
        let order: Vec<&String> = seen_ids.iter().filter(|id| ids.contains(id)).collect();
        assert_eq!(order, ids.iter().collect::<Vec<_>>(), "publisher {who}'s events in the order it published them");
    }
    for event in &seen {
        let balance = event["data"]["balance"].as_i64().unwrap();
        let who = balance / 1000;
        let id = event["id"].as_str().unwrap().to_string();
        assert_eq!(published[&who][(balance % 1000) as usize], id, "the event's data is what was published: {event}");
    }
    assert_eq!(app.events_after(&account, &start.id).await, seen, "a later poll from the start reads the same order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_after_an_id_the_account_does_not_hold_gives_the_events_made_after_it() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let other = app.create_account().await;
    let foreign = app.publish(&other, "credits.low", credits_low(0)).await;
    let mut published = Vec::new();
    for balance in 1..=3 {
        published.push(app.publish(&account, "credits.low", credits_low(balance)).await.event);
    }

    let from_foreign = app.events_after(&account, &foreign.id).await;
    let from_the_beginning = app.events_after(&account, "evt_00000000000000000000000000").await;

    assert_eq!(from_foreign, published, "another account's event stands only for its moment");
    assert_eq!(from_the_beginning, published);
}
