//! The live stream (`GET /v1/accounts/{account}/events/stream`): events as
//! Server-Sent Events with the envelope exactly as delivered, filters by type
//! and by project or person, `Last-Event-ID` resuming with no gap and no
//! repeat (across reconnects, concurrent publishing and a restart),
//! keep-alive comments, and refusals naming the parameter at fault.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use tokio::task::JoinHandle;

use crate::{
    checks::{envelope_bytes, expect_json, expect_parameter_error, expect_problem},
    database::Engine,
    fixtures::{credits_low, project_completed},
    helpers::{spawn_app, spawn_app_with, Options, Published, Publisher},
    receiver::Receiver,
    sse::{Open, Stream, StreamEvent},
};

fn project_created(project_id: i64, person_id: i64) -> Value {
    json!({"project_id": project_id, "project_type": "scene_project", "person_id": person_id, "person_name": "Alex"})
}

fn project_processing(project_id: i64) -> Value {
    json!({"project_id": project_id, "project_type": "scene_project", "progress": 40})
}

/// Asserts the stream gave exactly these published events, as delivered.
fn assert_streamed(got: &[StreamEvent], published: &[&Published]) {
    let got_ids: Vec<&str> = got.iter().map(|e| e.id.as_str()).collect();
    let want_ids: Vec<&str> = published.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(got_ids, want_ids);
    for (event, published) in got.iter().zip(published) {
        assert_eq!(event.event, published.event["type"].as_str().unwrap());
        assert_eq!(
            String::from_utf8_lossy(&event.data),
            String::from_utf8_lossy(&envelope_bytes(&published.event)),
            "data is the envelope, byte for byte"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_key_follows_one_project_through_created_processing_and_completed() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let key = app.create_key(&account).await;
    let open = Open { token: &key, account: &account, query: "types=project.*&project_id=42", last_event_id: None };
    let mut stream = Stream::open_with(&app, open).await;

    let created = app.publish(&account, "project.created", project_created(42, 7)).await;
    app.publish(&account, "project.created", project_created(43, 7)).await;
    app.publish(&account, "credits.low", json!({"balance": 5, "threshold": 100, "project_id": 42})).await;
    let processing = app.publish(&account, "project.processing", project_processing(42)).await;
    let completed = app.publish(&account, "project.completed", project_completed(42)).await;

    assert_streamed(&stream.events(3).await, &[&created, &processing, &completed]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn types_patterns_and_a_person_filter_choose_the_events() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let open = Open {
        token: &app.admin_token,
        account: &account,
        query: "types=credits.low,voice_clone.*",
        last_event_id: None,
    };
    let mut by_type = Stream::open_with(&app, open).await;
    let open = Open { token: &app.admin_token, account: &account, query: "person_id=7", last_event_id: None };
    let mut by_person = Stream::open_with(&app, open).await;

    let created = app.publish(&account, "project.created", project_created(1, 7)).await;
    let low = app.publish(&account, "credits.low", credits_low(3)).await;
    let voice = json!({"person_id": 8, "voice_id": "v_1"});
    let cloned = app.publish(&account, "voice_clone.completed", voice).await;
    let failed = json!({"person_id": 7, "error_code": "E", "error_message": "no"});
    let clone_failed = app.publish(&account, "voice_clone.failed", failed).await;

    assert_streamed(&by_type.events(3).await, &[&low, &cloned, &clone_failed]);
    assert_streamed(&by_person.events(2).await, &[&created, &clone_failed]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_without_a_position_starts_with_the_events_committed_after_it_opened() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    app.publish(&account, "credits.low", credits_low(1)).await;
    let mut stream = Stream::open(&app, &account).await;

    let later = app.publish(&account, "credits.low", credits_low(2)).await;

    assert_streamed(&[stream.next_event().await], &[&later]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_event_id_resumes_right_after_that_event_from_the_header_or_the_query() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let mut e = Vec::new();
    for balance in 0..5 {
        e.push(app.publish(&account, "credits.low", credits_low(balance)).await);
    }

    let mut from_header = Stream::resume(&app, &account, &e[1].id).await;
    assert_streamed(&from_header.events(3).await, &[&e[2], &e[3], &e[4]]);
    let query = format!("last_event_id={}", e[2].id);
    let open = Open { token: &app.admin_token, account: &account, query: &query, last_event_id: None };
    let mut from_query = Stream::open_with(&app, open).await;
    assert_streamed(&from_query.events(2).await, &[&e[3], &e[4]]);
    let query = format!("last_event_id={}", e[0].id);
    let open = Open { token: &app.admin_token, account: &account, query: &query, last_event_id: Some(&e[3].id) };
    let mut header_wins = Stream::open_with(&app, open).await;

    let next = app.publish(&account, "credits.low", credits_low(5)).await;

    assert_streamed(&header_wins.events(2).await, &[&e[4], &next]);
    assert_streamed(&[from_header.next_event().await], &[&next]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_reconnects_with_its_last_id_misses_and_repeats_nothing_while_events_are_published() {
    const PUBLISHERS: i64 = 3;
    const EACH: i64 = 25;
    const RECONNECT_EVERY: usize = 7;
    let app = spawn_app().await;
    let account = app.create_account().await;
    let start = app.publish(&account, "credits.low", credits_low(-1)).await;
    let publishers: Vec<JoinHandle<Vec<String>>> =
        (0..PUBLISHERS).map(|who| spawn_publisher(app.publisher(), account.clone(), who, EACH)).collect();

    let total = (PUBLISHERS * EACH) as usize;
    let mut got: Vec<StreamEvent> = Vec::new();
    while got.len() < total {
        let position = got.last().map_or(start.id.clone(), |e| e.id.clone());
        let mut stream = Stream::resume(&app, &account, &position).await;
        let n = RECONNECT_EVERY.min(total - got.len());
        got.extend(stream.events(n).await);
    } // each stream is dropped mid-way: the connection closes with events still to come

    let mut accepted = BTreeSet::new();
    for handle in publishers {
        accepted.extend(handle.await.expect("a publisher does not panic"));
    }
    let got_ids: Vec<String> = got.iter().map(|e| e.id.clone()).collect();
    let polled: Vec<String> =
        app.events_after(&account, &start.id).await.iter().map(|e| e["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(got_ids, polled, "the stream gives every event once, in the order polling gives them");
    assert_eq!(got_ids.iter().cloned().collect::<BTreeSet<_>>(), accepted);
}

/// Publishes `count` events one after the other; `balance` says who and which.
fn spawn_publisher(publisher: Publisher, account: String, who: i64, count: i64) -> JoinHandle<Vec<String>> {
    tokio::spawn(async move {
        let mut ids = Vec::new();
        for n in 0..count {
            ids.push(publisher.publish(&account, "credits.low", credits_low(who * 1000 + n)).await.id);
        }
        ids
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_ends_at_a_restart_naming_its_position_and_resumes_after_it_with_nothing_lost() {
    let mut app = spawn_app().await;
    let account = app.create_account().await;
    let mut stream = Stream::open(&app, &account).await;
    let mut before = Vec::new();
    for balance in 0..3 {
        before.push(app.publish(&account, "credits.low", credits_low(balance)).await);
    }
    assert_streamed(&stream.events(3).await, &[&before[0], &before[1], &before[2]]);

    app.restart().await;
    let ended = stream.until_end().await;
    let mut after = Vec::new();
    for balance in 3..5 {
        after.push(app.publish(&account, "credits.low", credits_low(balance)).await);
    }
    let mut resumed = Stream::resume(&app, &account, &ended.resume_position()).await;

    assert!(ended.events.is_empty(), "nothing after the events read: {:?}", ended.events);
    assert_eq!(ended.resume_position(), before[2].id, "the final comment names the last event sent");
    assert_streamed(&resumed.events(2).await, &[&after[0], &after[1]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_opens_with_its_position_and_an_idle_one_gets_keep_alive_comments() {
    let app = spawn_app_with(Options::default().stream_heartbeat("50ms")).await;
    let account = app.create_account().await;
    let last = app.publish(&account, "credits.low", credits_low(1)).await;
    let mut stream = Stream::open(&app, &account).await;

    let opening = stream.next_frame().await.expect("an opening frame");
    let heartbeat = stream.next_frame().await.expect("a frame while idle");

    assert_eq!(opening.id.as_deref(), Some(last.id.as_str()), "the opening sets the position: {opening:?}");
    assert!(opening.data.is_none(), "the opening is no event: {opening:?}");
    assert_eq!(heartbeat.comments, ["keep-alive"], "{heartbeat:?}");
    assert!(heartbeat.id.is_none() && heartbeat.data.is_none(), "{heartbeat:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_events_sent_to_an_endpoint_are_not_streamed() {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &receiver.url()).await;
    let mut stream = Stream::open(&app, &account).await;

    let path = format!("/v1/accounts/{account}/endpoints/{}/test", endpoint.id);
    expect_json(app.post(&path, &json!({"type": "credits.low"})).await, 202).await;
    let real = app.publish(&account, "credits.low", credits_low(1)).await;

    assert_streamed(&[stream.next_event().await], &[&real]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_filters_and_positions_are_refused_naming_the_parameter() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let token = app.admin_token.clone();
    let cases = [
        ("types=Project.Created", None, "types"),
        ("types=project.complete", None, "types"),
        ("types=credits.low,,project.*", None, "types"),
        ("types=project*", None, "types"),
        ("project_id=forty-two", None, "project_id"),
        ("person_id=1.5", None, "person_id"),
        ("last_event_id=evt_123", None, "last_event_id"),
        ("", Some("not-an-event"), "Last-Event-ID"),
    ];
    for (query, header, parameter) in cases {
        let open = Open { token: &token, account: &account, query, last_event_id: header };
        expect_parameter_error(Stream::request(&app, &open).await, parameter).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_needs_a_token_and_another_accounts_stream_does_not_exist() {
    let app = spawn_app().await;
    let account = app.create_account().await;
    let other = app.create_account().await;
    let other_key = app.create_key(&other).await;

    let open = Open { token: "wrong", account: &account, query: "", last_event_id: None };
    expect_problem(Stream::request(&app, &open).await, 401).await;
    let open = Open { token: &other_key, account: &account, query: "", last_event_id: None };
    expect_problem(Stream::request(&app, &open).await, 404).await;
    let open = Open { token: &app.admin_token, account: "no-such-account", query: "", last_event_id: None };
    expect_problem(Stream::request(&app, &open).await, 404).await;
    let openapi = app.get_json("/openapi.json").await;
    assert!(openapi["paths"]["/v1/accounts/{account}/events/stream"]["get"].is_object(), "the route is documented");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_on_a_second_node_sees_the_events_published_through_the_first() {
    let a = spawn_app().await;
    if a.database.engine() != Engine::Postgres {
        println!("skipped: needs HERALD_TEST_ENGINE=postgres");
        return;
    }
    let b = a.second_node().await;
    let account = a.create_account().await;
    let mut on_b = Stream::open(&b, &account).await;

    let first = a.publish(&account, "credits.low", credits_low(1)).await;
    let second = a.publish(&account, "credits.low", credits_low(2)).await;

    assert_streamed(&on_b.events(2).await, &[&first, &second]);
}
