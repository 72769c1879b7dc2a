//! The Rust client (`herald-client`) against a real Herald: every call it
//! makes answers its typed body, refusals come back as typed problems, lists
//! are read across pages with each item once, polling and the live stream
//! give every event once (`rust_client_events`),
//! and `verify` accepts what Herald signs.

use std::collections::{BTreeMap, BTreeSet};

use herald_client::{
    events::{CreditsLow, ProjectCompleted, ProjectCreated},
    Client, DeliveryFilter, DeliveryStatus, DisabledCause, EndpointPatch, Error, Event, EventFilter, ListOptions,
    NewAccount, NewEndpoint, PortalLinkOptions, RawEvent, RecoverRange, RecoveryStatus, RotateSecret,
};
use serde_json::json;

use crate::{
    checks::Poll,
    helpers::{spawn_app, TestApp},
    receiver::Receiver,
};

/// A client of the app with the admin token.
pub fn admin(app: &TestApp) -> Client {
    Client::new(&app.address, &app.admin_token).unwrap()
}

/// A new account, through the client.
pub async fn account(herald: &Client) -> String {
    herald.create_account(&NewAccount::named("Client test")).await.unwrap().id
}

fn project_completed(project_id: i64) -> ProjectCompleted {
    ProjectCompleted {
        project_id,
        project_type: "scene_project".into(),
        video_url: format!("https://storage.twin.actor/videos/project_{project_id}_final.mp4"),
        duration_seconds: 50.5,
        credits_used: 500,
        person_name: Some("Alex Chen".into()),
        ..ProjectCompleted::default()
    }
}

/// The refusal of a call that must fail.
pub fn refusal<T: std::fmt::Debug>(outcome: Result<T, Error>) -> herald_client::ApiError {
    match outcome {
        Err(Error::Api(api)) => *api,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Waits until the delivery has this status; returns it with its attempts.
async fn delivery_with_status(
    herald: &Client,
    account: &str,
    delivery: &str,
    status: DeliveryStatus,
) -> herald_client::DeliveryDetail {
    let poll = Poll::new(format!("delivery {delivery} {status:?}"));
    loop {
        let detail = herald.get_delivery(account, delivery).await.unwrap();
        if detail.status == status {
            return detail;
        }
        poll.tick(&detail).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_event_is_published_and_a_repeat_with_its_idempotency_key_answers_the_first_answer() {
    let app = spawn_app().await;
    let herald = admin(&app);
    let receiver = Receiver::ok().await;
    let account = account(&herald).await;
    herald.create_endpoint(&account, &NewEndpoint::new(receiver.url())).await.unwrap();
    let data = project_completed(42);

    let first = herald.publish_idempotent(&account, &data, "order-42").await.unwrap();
    let repeat = herald.publish_idempotent(&account, &data, "order-42").await.unwrap();
    let other = herald.publish_idempotent(&account, &data, "order-43").await.unwrap();

    assert!(!first.replayed && repeat.replayed && !other.replayed, "{first:?} {repeat:?} {other:?}");
    assert_eq!(repeat.event, first.event);
    assert_eq!((first.deliveries, repeat.deliveries), (1, 1));
    assert_ne!(other.event.id, first.event.id);
    assert_eq!(first.event.event_type, "project.completed");
    assert_eq!(first.event.data_as::<ProjectCompleted>().unwrap(), data);
    assert_eq!(first.event.to_event().unwrap(), Event::ProjectCompleted(data.clone()));
    let arrived = receiver.wait_for(2).await;
    assert_eq!(arrived[0].json()["data"], serde_json::to_value(&data).unwrap());
    let changed = ProjectCompleted { project_id: 43, ..data };
    let conflict = refusal(herald.publish_idempotent(&account, &changed, "order-42").await);
    assert_eq!(conflict.status, 409, "{conflict:?}");
    let raw = herald.publish(&account, &RawEvent::new("credits.low", json!({"balance": 1, "threshold": 9}))).await;
    assert_eq!(raw.unwrap().event.data, json!({"balance": 1, "threshold": 9}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_stored_in_the_order_given_and_one_bad_item_refuses_it_all_at_its_index() {
    let app = spawn_app().await;
    let herald = admin(&app);
    let account = account(&herald).await;
    let created = ProjectCreated { project_id: 7, project_type: "scene_project".into(), ..Default::default() };
    let events =
        vec![Event::from(CreditsLow { balance: 3, threshold: 10 }), Event::from(created), project_completed(7).into()];

    let batch = herald.publish_batch(&account, &events).await.unwrap();

    let types: Vec<&str> = batch.events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["credits.low", "project.created", "project.completed"]);
    assert_eq!(batch.deliveries, 0);
    let bad =
        [RawEvent::new("credits.low", json!({"balance": 1, "threshold": 2})), RawEvent::new("credits.low", json!({}))];
    let refused = refusal(herald.publish_batch(&account, &bad).await);
    assert_eq!(refused.status, 422);
    assert!(
        refused.problem.errors.iter().any(|e| e.pointer.as_deref().is_some_and(|p| p.starts_with("/1/data"))),
        "{refused:?}"
    );
    let listed = herald.list_events(&account, &EventFilter::default(), &ListOptions::default()).await.unwrap();
    assert_eq!(listed.data.len(), 3, "nothing of the refused batch was stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_come_back_as_typed_problems() {
    let app = spawn_app().await;
    let herald = admin(&app);
    let account = account(&herald).await;
    let key = herald.create_key(&account).await.unwrap().key;
    let with_key = Client::new(&app.address, key).unwrap();

    let invalid =
        refusal(herald.publish(&account, &RawEvent::new("credits.low", json!({"balance": "x", "threshold": 1}))).await);
    let missing = refusal(herald.get_endpoint(&account, "ep_01J00000000000000000000000").await);
    let anonymous = refusal(Client::new(&app.address, "wrong").unwrap().list_accounts(&ListOptions::default()).await);
    let forbidden = refusal(with_key.create_portal_link(&account, &PortalLinkOptions::default()).await);
    let taken = refusal(herald.create_account(&NewAccount::with_id(&account, "Again")).await);
    let bad_limit = refusal(herald.list_deliveries(&account, &DeliveryFilter::default(), &ListOptions::limit(0)).await);

    assert_eq!(invalid.status, 422);
    assert_eq!(invalid.problem.status, 422);
    assert!(invalid.problem.at_pointer("/data/balance").is_some(), "{invalid:?}");
    assert!(invalid.problem.problem_type.starts_with("urn:herald:problem:"), "{invalid:?}");
    assert_eq!((missing.status, anonymous.status, forbidden.status, taken.status), (404, 401, 403, 409));
    assert_eq!(bad_limit.status, 400);
    assert!(bad_limit.problem.at_parameter("limit").is_some(), "{bad_limit:?}");
    for refused in [&invalid, &missing, &anonymous, &forbidden, &taken] {
        assert!(!refused.problem.title.is_empty() && !refused.problem.detail.is_empty(), "{refused:?}");
        assert_eq!(refused.retry_after, None);
    }
    let unreachable = Client::new(&format!("http://127.0.0.1:{}", crate::fixtures::free_port()), "t").unwrap();
    let error = unreachable.event_types().await.unwrap_err();
    assert!(matches!(error, Error::Transport { .. }) && error.is_retryable(), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_keys_and_endpoints_are_created_listed_read_changed_and_deleted() {
    let app = spawn_app().await;
    let herald = admin(&app);
    let id = format!("acme-{}", crate::fixtures::unix_millis());
    let made = herald.create_account(&NewAccount::with_id(&id, "Acme Studios")).await.unwrap();
    let key = herald.create_key(&id).await.unwrap();
    let with_key = Client::new(&app.address, &key.key).unwrap();

    assert_eq!((made.id.as_str(), made.name.as_str()), (id.as_str(), "Acme Studios"));
    assert_eq!(with_key.get_account(&id).await.unwrap(), made);
    let all = herald.accounts(ListOptions::limit(1)).collect_all().await.unwrap();
    assert!(all.contains(&made), "{all:?}");
    let publish = refusal(with_key.publish(&id, &CreditsLow { balance: 1, threshold: 2 }).await);
    assert_eq!(publish.status, 403, "an account key does not publish");

    let a = with_key.create_endpoint(&id, &NewEndpoint::new("http://127.0.0.1:9/a")).await.unwrap();
    let b = with_key
        .create_endpoint(&id, &NewEndpoint::new("http://127.0.0.1:9/b").event_types(["project.*"]))
        .await
        .unwrap();
    assert!(a.secret.starts_with("whsec_"));
    assert_eq!(with_key.endpoint_secret(&id, &a.id).await.unwrap(), a.secret);
    assert_eq!(b.event_types.as_deref(), Some(&["project.*".to_owned()][..]));
    let listed: BTreeSet<String> =
        with_key.endpoints(&id, ListOptions::limit(1)).collect_all().await.unwrap().into_iter().map(|e| e.id).collect();
    assert_eq!(listed, BTreeSet::from([a.id.clone(), b.id.clone()]));
    let patch =
        EndpointPatch { url: Some("http://127.0.0.1:9/c".into()), event_types: Some(None), ..Default::default() };
    let changed = with_key.update_endpoint(&id, &b.id, &patch).await.unwrap();
    assert_eq!((changed.url.as_str(), changed.event_types.as_ref()), ("http://127.0.0.1:9/c", None));
    with_key.delete_endpoint(&id, &a.id).await.unwrap();
    assert_eq!(refusal(with_key.get_endpoint(&id, &a.id).await).status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_delivery_pager_gives_each_of_seven_deliveries_once_two_a_page() {
    let app = spawn_app().await;
    let herald = admin(&app);
    let receiver = Receiver::ok().await;
    let account = account(&herald).await;
    let endpoint = herald.create_endpoint(&account, &NewEndpoint::new(receiver.url())).await.unwrap();
    let mut events = BTreeSet::new();
    for balance in 0..7 {
        events.insert(herald.publish(&account, &CreditsLow { balance, threshold: 100 }).await.unwrap().event.id);
    }

    let filter = DeliveryFilter { endpoint_id: Some(endpoint.id.clone()), ..Default::default() };
    let mut pager = herald.deliveries(&account, &filter, ListOptions::limit(2));
    let mut pages = Vec::new();
    while let Some(page) = pager.next_page().await.unwrap() {
        pages.push(page);
    }
    let streamed: Vec<_> = {
        use futures::TryStreamExt;
        herald.deliveries(&account, &filter, ListOptions::limit(2)).into_stream().try_collect().await.unwrap()
    };

    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 2, 1]);
    let ids: Vec<&str> = pages.iter().flatten().map(|d| d.id.as_str()).collect();
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), 7, "each delivery once: {ids:?}");
    assert_eq!(pages.iter().flatten().map(|d| d.event_id.clone()).collect::<BTreeSet<_>>(), events);
    assert_eq!(streamed.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ids, "the stream gives the same, in order");
    let one_event = DeliveryFilter { event_id: events.first().cloned(), ..Default::default() };
    let page = herald.list_deliveries(&account, &one_event, &ListOptions::default()).await.unwrap();
    assert_eq!(page.data.len(), 1);
    assert_eq!(page.next_cursor, None);
    let typed = DeliveryFilter { event_type: Some("project.completed".into()), ..Default::default() };
    assert!(herald.list_deliveries(&account, &typed, &ListOptions::default()).await.unwrap().data.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_reads_with_its_attempts_and_a_retry_makes_one_more() {
    let app = spawn_app().await;
    let herald = admin(&app);
    let receiver = Receiver::ok().await;
    let account = account(&herald).await;
    herald.create_endpoint(&account, &NewEndpoint::new(receiver.url())).await.unwrap();
    let event = herald.publish(&account, &CreditsLow { balance: 1, threshold: 10 }).await.unwrap().event;
    let filter = DeliveryFilter { event_id: Some(event.id.clone()), ..Default::default() };
    let delivery = herald.list_deliveries(&account, &filter, &ListOptions::default()).await.unwrap().data.remove(0);
    delivery_with_status(&herald, &account, &delivery.id, DeliveryStatus::Succeeded).await;

    let retried = herald.retry_delivery(&account, &delivery.id).await.unwrap();

    assert_eq!(retried.id, delivery.id);
    let arrived = receiver.wait_for(2).await;
    assert_eq!(arrived[1].attempt(), 2);
    let poll = Poll::new("the retry's attempt in the log");
    let detail = loop {
        let detail = herald.get_delivery(&account, &delivery.id).await.unwrap();
        if detail.attempts.len() == 2 {
            break detail;
        }
        poll.tick(&detail).await;
    };
    assert_eq!(detail.attempts.iter().map(|a| a.n).collect::<Vec<_>>(), [1, 2]);
    assert!(detail.attempts.iter().all(|a| a.response_status == Some(200) && a.error.is_none()), "{detail:?}");
    assert_eq!(detail.event_type, "credits.low");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_endpoint_skips_events_and_enabling_with_redeliver_missed_sends_them() {
    let app = spawn_app().await;
    let herald = admin(&app);
    let receiver = Receiver::ok().await;
    let account = account(&herald).await;
    let endpoint = herald.create_endpoint(&account, &NewEndpoint::new(receiver.url())).await.unwrap();

    let disabled = herald.disable_endpoint(&account, &endpoint.id).await.unwrap();
    let published = herald.publish(&account, &CreditsLow { balance: 2, threshold: 10 }).await.unwrap();
    let skipped = DeliveryFilter { status: Some(DeliveryStatus::Skipped), ..Default::default() };
    let missed = herald.list_deliveries(&account, &skipped, &ListOptions::default()).await.unwrap().data;
    let retry = refusal(herald.retry_delivery(&account, &missed[0].id).await);
    let enabled = herald.enable_endpoint(&account, &endpoint.id, true).await.unwrap();

    assert!(!disabled.enabled);
    assert_eq!(disabled.disabled_cause, Some(DisabledCause::Manual));
    assert_eq!(missed.len(), 1);
    assert_eq!(missed[0].event_id, published.event.id);
    assert_eq!(retry.status, 409, "no retry while disabled: {retry:?}");
    assert!(enabled.enabled && enabled.disabled_cause.is_none(), "{enabled:?}");
    assert_eq!(receiver.wait_for(1).await[0].event_id(), published.event.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoint_settings_are_kept_read_back_and_cleared() {
    let app = spawn_app().await;
    let herald = admin(&app);
    let receiver = Receiver::ok().await;
    let account = account(&herald).await;
    let headers = BTreeMap::from([("Authorization".to_owned(), "Bearer gateway".to_owned())]);
    let new = NewEndpoint {
        description: Some("scene projects only".into()),
        filter: Some(r#"data.project_type == "scene_project""#.into()),
        rate_limit: Some(50),
        headers: Some(headers.clone()),
        ordered: Some(true),
        ..NewEndpoint::new(receiver.url()).event_types(["project.*"])
    };

    let endpoint = herald.create_endpoint(&account, &new).await.unwrap();
    let scene = herald.publish(&account, &project_completed(1)).await.unwrap();
    let other = ProjectCompleted { project_type: "voice_project".into(), ..project_completed(2) };
    let filtered = herald.publish(&account, &other).await.unwrap();

    let read = herald.get_endpoint(&account, &endpoint.id).await.unwrap();
    assert_eq!(read.description, "scene projects only");
    assert_eq!(read.filter.as_deref(), new.filter.as_deref());
    assert_eq!((read.rate_limit, read.ordered), (Some(50), true));
    assert_eq!(read.header_names, ["Authorization"]);
    assert_eq!(herald.endpoint_headers(&account, &endpoint.id).await.unwrap(), headers);
    assert_eq!((scene.deliveries, filtered.deliveries), (1, 0), "the filter keeps the scene project only");
    let arrived = receiver.wait_for(1).await;
    assert_eq!(arrived[0].header("authorization"), "Bearer gateway");

    let clear = EndpointPatch {
        filter: Some(None),
        rate_limit: Some(None),
        headers: Some(None),
        ordered: Some(false),
        description: Some("everything".into()),
        ..Default::default()
    };
    let cleared = herald.update_endpoint(&account, &endpoint.id, &clear).await.unwrap();
    assert_eq!((cleared.filter, cleared.rate_limit, cleared.ordered), (None, None, false));
    assert!(cleared.header_names.is_empty());
    assert_eq!(cleared.description, "everything");
    assert!(herald.endpoint_headers(&account, &endpoint.id).await.unwrap().is_empty());
    let bad = EndpointPatch { filter: Some(Some("data.no_such_field == 1".into())), ..Default::default() };
    assert!(refusal(herald.update_endpoint(&account, &endpoint.id, &bad).await)
        .problem
        .at_pointer("/filter")
        .is_some());
    let reserved =
        EndpointPatch { headers: Some(Some(BTreeMap::from([("Host".into(), "x".into())]))), ..Default::default() };
    assert!(refusal(herald.update_endpoint(&account, &endpoint.id, &reserved).await)
        .problem
        .at_pointer("/headers/Host")
        .is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_rotation_deliveries_verify_with_the_old_secret_and_the_new() {
    let app = spawn_app().await;
    let herald = admin(&app);
    let receiver = Receiver::ok().await;
    let account = account(&herald).await;
    let endpoint = herald.create_endpoint(&account, &NewEndpoint::new(receiver.url())).await.unwrap();

    let new = herald
        .rotate_secret(&account, &endpoint.id, &RotateSecret { grace_seconds: Some(600), secret: None })
        .await
        .unwrap();
    herald.publish(&account, &CreditsLow { balance: 4, threshold: 10 }).await.unwrap();

    assert_ne!(new, endpoint.secret);
    assert_eq!(herald.endpoint_secret(&account, &endpoint.id).await.unwrap(), new);
    let delivery = receiver.wait_for(1).await.remove(0);
    let header = delivery.header("x-webhook-signature");
    assert_eq!(herald_client::verify(&endpoint.secret, header, &delivery.body), Ok(()));
    assert_eq!(herald_client::verify(&new, header, &delivery.body), Ok(()));
    assert!(herald_client::verify(&new, header, b"{}").is_err());
    let too_long = RotateSecret { grace_seconds: Some(31 * 86_400), secret: None };
    assert!(refusal(herald.rotate_secret(&account, &endpoint.id, &too_long).await)
        .problem
        .at_pointer("/grace_seconds")
        .is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recovery_sends_the_skipped_deliveries_of_its_range_again() {
    let app = spawn_app().await;
    let herald = admin(&app);
    let receiver = Receiver::ok().await;
    let account = account(&herald).await;
    let endpoint = herald.create_endpoint(&account, &NewEndpoint::new(receiver.url())).await.unwrap();
    let since = herald.publish(&account, &CreditsLow { balance: 0, threshold: 10 }).await.unwrap().event.created_at;
    receiver.wait_for(1).await;
    herald.disable_endpoint(&account, &endpoint.id).await.unwrap();
    let mut skipped = BTreeSet::new();
    for balance in 1..3 {
        skipped.insert(herald.publish(&account, &CreditsLow { balance, threshold: 10 }).await.unwrap().event.id);
    }
    let range = RecoverRange { since, until: None };

    let while_disabled = refusal(herald.recover(&account, &endpoint.id, &range).await);
    herald.enable_endpoint(&account, &endpoint.id, false).await.unwrap();
    let recovery = herald.recover(&account, &endpoint.id, &range).await.unwrap();

    assert_eq!(while_disabled.status, 409);
    assert!(recovery.id.starts_with("rcv_"), "{recovery:?}");
    let poll = Poll::new("the recovery to finish");
    let done = loop {
        let now = herald.get_recovery(&account, &endpoint.id, &recovery.id).await.unwrap();
        if now.status == RecoveryStatus::Done {
            break now;
        }
        poll.tick(&now).await;
    };
    assert_eq!(done.queued, 2);
    let arrived: BTreeSet<String> = receiver.wait_for(3).await[1..].iter().map(|r| r.event_id()).collect();
    assert_eq!(arrived, skipped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_event_reaches_its_endpoint_and_counts_in_its_stats() {
    let app = spawn_app().await;
    let herald = admin(&app);
    let receiver = Receiver::ok().await;
    let account = account(&herald).await;
    let endpoint = herald.create_endpoint(&account, &NewEndpoint::new(receiver.url())).await.unwrap();

    let test = herald.send_test(&account, &endpoint.id, "project.completed").await.unwrap();

    assert_eq!((test.endpoint_id.as_str(), test.event_type.as_str()), (endpoint.id.as_str(), "project.completed"));
    let arrived = receiver.wait_for(1).await;
    assert_eq!(arrived[0].event_id(), test.event_id);
    let event = herald.get_event(&account, &test.event_id).await.unwrap();
    assert!(matches!(event.to_event().unwrap(), Event::ProjectCompleted(_)), "{event:?}");
    let poll = Poll::new("the attempt in the stats");
    let stats = loop {
        let stats = herald.endpoint_stats(&account, &endpoint.id).await.unwrap();
        if stats.succeeded == 1 {
            break stats;
        }
        poll.tick(&stats).await;
    };
    assert_eq!((stats.hours.len(), stats.failed, stats.success_rate), (24, 0, Some(1.0)));
    assert_eq!(stats.hours.iter().map(|h| h.succeeded).sum::<u64>(), 1);
    assert_eq!(refusal(herald.send_test(&account, &endpoint.id, "no.such_type").await).status, 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_portal_link_and_the_catalog_read_as_types() {
    let app = spawn_app().await;
    let herald = admin(&app);
    let account = account(&herald).await;

    let link = herald.create_portal_link(&account, &PortalLinkOptions { expires_in_seconds: Some(60) }).await.unwrap();
    let catalog = herald.event_types().await.unwrap();

    assert!(link.url.starts_with(&format!("{}/portal/login?token=", app.address)), "{link:?}");
    assert!(!link.expires_at.is_empty());
    let publishable: BTreeSet<&str> =
        catalog.iter().filter(|t| !t.operational).map(|t| t.event_type.as_str()).collect();
    assert_eq!(publishable, Event::TYPES.iter().copied().collect(), "one Event variant per catalog type");
    for entry in catalog.iter().filter(|t| !t.operational) {
        let event = Event::from_parts(&entry.event_type, entry.example.clone());
        assert_eq!(
            event.unwrap().event_type(),
            entry.event_type,
            "the example of {} reads as typed data",
            entry.event_type
        );
    }
    assert!(catalog.iter().any(|t| t.operational && t.event_type == "endpoint.disabled"));
}
