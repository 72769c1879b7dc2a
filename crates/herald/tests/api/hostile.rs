//! Hostile receivers (contract §3): real misbehaving servers on loopback
//! (`hostile_servers`, `self_signed`) and what the attempt log says of each.
//! Every attempt ends within the delivery timeout with the error kind that
//! names what went wrong, Herald hangs up on the receiver, and none of them
//! holds up deliveries to a healthy endpoint. Herald runs in development mode
//! here, where loopback targets are allowed; the guard has its own tests in
//! `address_guard`.

use serde_json::Value;

use crate::{
    fixtures::credits_low,
    helpers::{spawn_app, spawn_app_with, Options, TestApp},
    hostile_servers::{Behaviour, HostileServer, FLOOD_BYTES, TRICKLE_BODY},
    receiver::{Receiver, Reply, Script},
    self_signed::SelfSignedReceiver,
};

/// Publishes one event to a new endpoint per URL (one account) and waits for
/// each delivery's first attempt to be logged; returns the deliveries in the
/// order of `urls`.
async fn first_attempts(app: &TestApp, urls: &[String]) -> Vec<Value> {
    let account = app.create_account().await;
    let mut endpoints = Vec::new();
    for url in urls {
        endpoints.push(app.create_endpoint(&account, url).await.id);
    }
    let published = app.publish(&account, "credits.low", credits_low(1)).await;
    let mut deliveries = Vec::new();
    for endpoint in &endpoints {
        let d = app.delivery_of(&account, &published.id, endpoint).await;
        deliveries.push(app.wait_for_first_attempt(&account, &d).await);
    }
    deliveries
}

/// The first attempt of a delivery.
fn first(d: &Value) -> &Value {
    &d["attempts"][0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_never_answers_times_out_at_the_delivery_timeout_and_is_hung_up_on() {
    let app = spawn_app_with(Options::default().timeout("1s")).await;
    let silent = HostileServer::start(Behaviour::Silent).await;

    let d = first_attempts(&app, &[silent.url()]).await.remove(0);

    assert_eq!(first(&d)["error"], "timeout", "{d:#}");
    assert_eq!(first(&d)["response_status"], Value::Null);
    assert!(first(&d)["duration_ms"].as_u64().unwrap() >= 1000, "a timeout never fires early: {d:#}");
    silent.wait_until("Herald hang up", |t| t.accepted >= 1 && t.closed_by_client >= 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_trickles_its_answer_times_out_whether_the_head_or_the_body_trickles() {
    let app = spawn_app_with(Options::default().timeout("1s")).await;
    let head = HostileServer::start(Behaviour::TrickleHead).await;
    let body = HostileServer::start(Behaviour::TrickleBody).await;

    let d = first_attempts(&app, &[head.url(), body.url()]).await;

    let (by_head, by_body) = (first(&d[0]), first(&d[1]));
    assert_eq!(by_head["error"], "timeout", "{by_head:#}");
    assert_eq!(by_head["response_status"], Value::Null, "the status line never completed");
    assert_eq!(by_body["error"], "timeout", "the body counts against the timeout too: {by_body:#}");
    assert_eq!(by_body["response_status"], 200, "the status that did arrive is kept");
    let kept = by_body["response_body"].as_str().unwrap().as_bytes();
    assert!(TRICKLE_BODY.starts_with(kept) && kept.len() < TRICKLE_BODY.len(), "kept {kept:?}");
    assert_ne!(d[1]["status"], "succeeded", "a 200 whose body never ends is not a success");
    for server in [&head, &body] {
        server.wait_until("Herald hang up", |t| t.closed_by_client >= 1).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_floods_its_answer_is_read_up_to_64_kib_then_cut_off() {
    let app = spawn_app().await;
    let flood = HostileServer::start(Behaviour::Flood).await;

    let d = first_attempts(&app, &[flood.url()]).await.remove(0);

    assert_eq!(first(&d)["response_status"], 200, "{:#}", first(&d)["error"]);
    assert_eq!(first(&d)["error"], Value::Null, "a long body does not fail the attempt");
    assert_eq!(first(&d)["response_body"].as_str().unwrap().len(), 64 * 1024, "exactly the 64 KiB the log keeps");
    let tally = flood.wait_until("Herald hang up", |t| t.closed_by_client >= 1).await;
    assert!(
        tally.flood_sent < FLOOD_BYTES / 4,
        "Herald stopped reading early: the flood got {} of its {FLOOD_BYTES} bytes out",
        tally.flood_sent
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_an_internal_address_fails_the_attempt_and_is_not_followed() {
    let app = spawn_app().await;
    let internal = Receiver::ok().await;
    let to_metadata = Receiver::start(Script::Always(Reply::redirect_to("http://169.254.169.254/latest/meta-data/")));
    let to_internal = Receiver::start(Script::Always(Reply::status(307).with_location(&internal.url())));
    let (to_metadata, to_internal) = (to_metadata.await, to_internal.await);

    let d = first_attempts(&app, &[to_metadata.url(), to_internal.url()]).await;

    for (delivery, status) in d.iter().zip([302, 307]) {
        assert_eq!(first(delivery)["response_status"], status, "the redirect itself is the answer: {delivery:#}");
        assert_eq!(first(delivery)["error"], "status");
        assert_ne!(delivery["status"], "succeeded");
    }
    assert_eq!(internal.count(), 0, "the redirect was not followed, not even the body-preserving 307");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_resets_the_connection_is_a_connect_error() {
    let app = spawn_app().await;
    let reset = HostileServer::start(Behaviour::Reset).await;

    let d = first_attempts(&app, &[reset.url()]).await.remove(0);

    assert_eq!(first(&d)["error"], "connect", "{d:#}");
    assert_eq!(first(&d)["response_status"], Value::Null);
    assert!(reset.tally().accepted >= 1, "the connection was made, then reset");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_with_a_self_signed_certificate_is_a_tls_error() {
    let app = spawn_app().await;
    let tls = SelfSignedReceiver::start().await;

    let d = first_attempts(&app, &[tls.url()]).await.remove(0);

    assert_eq!(first(&d)["error"], "tls", "{d:#}");
    assert_eq!(first(&d)["response_status"], Value::Null);
    let seen = tls.wait_for_a_refused_handshake().await;
    assert_eq!(seen.completed, 0, "Herald never accepted the certificate: {seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herald_offers_http2_and_http1_to_a_tls_receiver() {
    // A receiver that offers HTTP/2 in its handshake gets it: Herald's hello
    // lists `h2` first (the receiver picks), and HTTP/1.1 for the others.
    let app = spawn_app().await;
    let tls = SelfSignedReceiver::start().await;

    first_attempts(&app, &[tls.url()]).await;
    tls.wait_for_a_refused_handshake().await;

    assert_eq!(tls.offered_protocols(), Some(vec!["h2".to_owned(), "http/1.1".to_owned()]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_answers_garbage_instead_of_http_is_an_other_error() {
    let app = spawn_app().await;
    let garbage = HostileServer::start(Behaviour::Garbage).await;

    let d = first_attempts(&app, &[garbage.url()]).await.remove(0);

    assert_eq!(first(&d)["error"], "other", "{d:#}");
    assert_eq!(first(&d)["response_status"], Value::Null);
    garbage.wait_until("Herald hang up", |t| t.closed_by_client >= 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_endpoint_does_not_hold_up_a_healthy_one() {
    // A timeout far beyond the test's deadline: no attempt to the hanging
    // endpoint can end while the test runs.
    let app = spawn_app_with(Options::default().timeout("10m")).await;
    let hanging = HostileServer::start(Behaviour::Silent).await;
    let healthy = Receiver::ok().await;
    let account = app.create_account().await;
    let stuck = app.create_endpoint(&account, &hanging.url()).await;
    let fine = app.create_endpoint(&account, &healthy.url()).await;
    const N: usize = 20;

    for i in 0..N {
        app.publish(&account, "credits.low", credits_low(i as i64)).await;
    }

    healthy.wait_for(N).await;
    let all_succeeded = |list: &[Value]| list.len() == N && list.iter().all(|d| d["status"] == "succeeded");
    let poll = crate::checks::Poll::new("every delivery to the healthy endpoint to succeed");
    loop {
        let list = app.list_deliveries(&account, &format!("endpoint_id={}", fine.id)).await;
        if all_succeeded(&list) {
            break;
        }
        poll.tick(&list).await;
    }
    let held = hanging.wait_until("a connection held open", |t| t.open() >= 1).await;
    assert_eq!(held.closed_by_client, 0, "no attempt to the hanging endpoint has ended: {held:?}");
    let stuck_deliveries = app.list_deliveries(&account, &format!("endpoint_id={}", stuck.id)).await;
    assert_eq!(stuck_deliveries.len(), N);
    for d in &stuck_deliveries {
        assert_eq!(d["status"], "pending", "{d:#}");
        assert_eq!(d["attempt_count"], 0, "its attempts are still in flight, none logged: {d:#}");
    }
}
