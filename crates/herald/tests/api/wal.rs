//! SQLite's `-wal` file stays bounded under a steady load of publishes and
//! attempts while readers (a live stream, the delivery log) keep reading:
//! the writer catches up with the checkpointer when the file passes a
//! quarter of `HERALD_SQLITE_WAL_LIMIT`, shrunk here to 4 MiB.

use std::{
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use crate::{
    database::Engine,
    fixtures::credits_low,
    helpers::{spawn_app_with, Options},
    receiver::Receiver,
    sse::Stream,
};

const LIMIT: u64 = 4 * 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_stays_under_its_limit_while_events_are_published_delivered_and_read() {
    let app = spawn_app_with(Options::default().sqlite_wal_limit("4MiB")).await;
    if app.database.engine() != Engine::Sqlite {
        println!("skipped: the -wal file is SQLite's (HERALD_TEST_ENGINE=sqlite)");
        return;
    }
    let wal = PathBuf::from(format!("{}-wal", app.database.url().trim_start_matches("sqlite://")));
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    app.create_endpoint(&account, &receiver.url()).await;
    let mut stream = Stream::open(&app, &account).await;

    // The largest size the file reaches, sampled while the load runs.
    let (peak, done) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicBool::new(false)));
    let sampler = tokio::spawn({
        let (peak, done, wal) = (peak.clone(), done.clone(), wal.clone());
        async move {
            while !done.load(Ordering::Relaxed) {
                let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
                peak.fetch_max(size, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
    });
    let publisher = app.publisher();
    let events: Vec<_> = (0..100).map(|i| ("credits.low", credits_low(i))).collect();
    let mut published = 0;
    for batch in 0..100 {
        published += publisher.publish_batch(&account, &events).await.len();
        // The readers: the stream (which must keep up), and now and then the log's newest page.
        if batch % 10 == 0 {
            app.list_deliveries(&account, "limit=50").await;
        }
    }
    for _ in 0..published {
        stream.next_event().await;
    }
    receiver.wait_for(published).await;
    done.store(true, Ordering::Relaxed);
    sampler.await.expect("the sampler ends");

    let peak = peak.load(Ordering::Relaxed);
    println!("peak -wal size: {peak} bytes for {published} events (limit {LIMIT})");
    assert!(peak > 0, "the store runs in WAL mode");
    assert!(peak <= LIMIT, "the -wal file reached {peak} bytes, over its limit of {LIMIT}");
}
