//! The Rust client's readers of events against a real Herald: the poller
//! and the live stream give every event once, in commit order (the stream
//! across a restart of the server too), and the README's example runs.

use herald_client::{
    events::{CreditsLow, ProjectCreated},
    Client, PollOptions, StreamOptions, FIRST_POSITION,
};

use crate::{
    helpers::spawn_app,
    rust_client::{account, admin, refusal},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poller_gives_every_event_once_in_commit_order_and_then_nothing_until_the_next() {
    let app = spawn_app().await;
    let herald = admin(&app);
    let account = account(&herald).await;
    let mut published = Vec::new();
    for balance in 0..3 {
        published.push(herald.publish(&account, &CreditsLow { balance, threshold: 10 }).await.unwrap().event.id);
    }
    let mut poller = herald.poll_events(&account, FIRST_POSITION, PollOptions { limit: Some(2), ..Default::default() });

    let mut got = Vec::new();
    while let Some(event) = poller.next().await.unwrap() {
        got.push(event.id);
    }
    let later = herald.publish(&account, &CreditsLow { balance: 9, threshold: 10 }).await.unwrap().event.id;

    assert_eq!(got, published);
    assert_eq!(poller.after(), published[2]);
    assert_eq!(poller.next_page().await.unwrap().into_iter().map(|e| e.id).collect::<Vec<_>>(), [later.as_str()]);
    assert!(poller.next().await.unwrap().is_none(), "up to date");
    assert_eq!(herald.newest_event_id(&account).await.unwrap(), later);
    let only = PollOptions { event_type: Some("project.completed".into()), limit: None };
    assert!(herald.poll_events(&account, FIRST_POSITION, only).next().await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_reader_resumes_after_a_restart_with_nothing_lost_and_nothing_twice() {
    let mut app = spawn_app().await;
    let herald = admin(&app);
    let account = account(&herald).await;
    let key = herald.create_key(&account).await.unwrap().key;
    let options = StreamOptions { types: vec!["credits.*".into()], ..Default::default() };
    let mut stream = Client::new(&app.address, key).unwrap().stream_events(&account, options);
    let mut published = Vec::new();
    herald
        .publish(&account, &ProjectCreated { project_id: 1, project_type: "p".into(), ..Default::default() })
        .await
        .unwrap();
    for balance in 0..3 {
        published.push(herald.publish(&account, &CreditsLow { balance, threshold: 10 }).await.unwrap().event.id);
    }

    let nothing_yet = tokio::time::timeout(std::time::Duration::from_millis(300), stream.next_event()).await;
    assert!(nothing_yet.is_err(), "without a position the stream starts with the events to come");
    let opening = stream.last_event_id().expect("the opening's position is kept").to_owned();
    assert_eq!(opening, published[2]);
    for balance in 3..5 {
        published.push(herald.publish(&account, &CreditsLow { balance, threshold: 10 }).await.unwrap().event.id);
    }
    let mut got = vec![stream.next_event().await.unwrap()];
    app.restart_on_same_port().await;
    for balance in 5..7 {
        published.push(herald.publish(&account, &CreditsLow { balance, threshold: 10 }).await.unwrap().event.id);
    }
    while got.len() < 4 {
        got.push(tokio::time::timeout(crate::helpers::DEADLINE, stream.next_event()).await.unwrap().unwrap());
    }

    let ids: Vec<&str> = got.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, published[3..].iter().map(String::as_str).collect::<Vec<_>>());
    for event in &got {
        let envelope = event.envelope().unwrap();
        assert_eq!(
            (envelope.id.as_str(), envelope.event_type.as_str()),
            (event.id.as_str(), event.event_type.as_str())
        );
    }
    let refused = Client::new(&app.address, "wrong")
        .unwrap()
        .stream_events(&account, StreamOptions::default())
        .next_event()
        .await;
    assert_eq!(refusal(refused).status, 401);
}

/// The README's example (`crates/herald-client/examples/quickstart.rs`),
/// built by `scripts/test` (`cargo build --workspace --all-targets`; a test
/// cannot build it: `cargo test` holds the build folder's lock).
fn quickstart_example() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    // <target>/<profile>/deps/api-<hash>  ->  <target>/<profile>/examples/quickstart
    let profile =
        exe.parent().and_then(std::path::Path::parent).expect("the test binary lies in <target>/<profile>/deps");
    let example = profile.join("examples").join(format!("quickstart{}", std::env::consts::EXE_SUFFIX));
    assert!(
        example.exists(),
        "the client's README example is not built at {}: run `cargo build -p herald-client --examples` \
         (scripts/test builds every target first)",
        example.display()
    );
    example
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_example_runs_against_herald() {
    let app = spawn_app().await;
    let mut command = std::process::Command::new(quickstart_example());
    command.env("HERALD_URL", &app.address).env("HERALD_TOKEN", &app.admin_token);
    let output = tokio::task::spawn_blocking(move || command.output()).await.unwrap().expect("the example runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    for said in ["endpoint ep_", "published evt_", "retried dlv_"] {
        assert!(stdout.contains(said), "the example says `{said}…`:\n{stdout}");
    }
}
