//! The disk under a SQLite database fills (issue 19, fault 3): Herald runs
//! on a file in a small tmpfs of the test's own, and a filler file takes
//! the last free byte. Meanwhile publishes are refused with 503,
//! `Retry-After` and a `disk-full` problem (never a 500, never a hang: the
//! client gives up after 30 s), reads are still served, and nothing refused
//! is stored. When the filler goes, publishing comes back by itself, every
//! accepted event is delivered, and the file passes `PRAGMA integrity_check`.
//!
//! It makes its own SQLite file whatever the engine of the run, so it runs
//! in the SQLite run only; and it needs root, to mount the tmpfs.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use serde_json::json;

use crate::{
    checks::{each_accepted_event_delivered, expect_json, expect_problem, Poll},
    database::{Engine, TestDatabase},
    fixtures::credits_low,
    helpers::{spawn_app_on, Options, TestApp, DEADLINE, POLL_EVERY},
    receiver::Receiver,
};

/// The tmpfs's size: Herald's new database and its WAL take well under a
/// MiB, and filling the rest takes a few milliseconds.
const SIZE_MIB: u32 = 8;

/// Attempts at the receiver when the disk fills, answered once it is full.
const IN_FLIGHT: usize = 5;

/// How long the receiver takes to answer: far longer than filling the disk.
const ANSWER_AFTER: Duration = Duration::from_secs(1);

/// How long the disk stays full once the answers of the attempts in flight
/// are in: longer than the recorder's quick retries (1.3 s), well within the
/// lease margin, so the outcomes it holds are recorded afterwards and
/// nothing is sent twice.
const HELD_AFTER_ANSWERS: Duration = Duration::from_secs(2);

/// How long a lease outlives the delivery timeout (2 s), and so how long
/// the recorder keeps outcomes it cannot record.
const LEASE_MARGIN: Duration = Duration::from_secs(10);

/// A tmpfs mounted on a temporary folder, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts one of [`SIZE_MIB`], or says aloud why not (not root, no
    /// `mount`) and gives `None`.
    fn mount() -> Option<Self> {
        let dir = tempfile::tempdir().expect("a mount point");
        let size = format!("size={SIZE_MIB}m");
        match Command::new("mount").args(["-t", "tmpfs", "-o", &size, "tmpfs"]).arg(dir.path()).output() {
            Ok(out) if out.status.success() => Some(Self { dir }),
            Ok(out) => {
                println!(
                    "SKIPPED: the full-disk test needs a tmpfs of its own and could not mount one (run as root): {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                None
            }
            Err(e) => {
                println!("SKIPPED: the full-disk test needs `mount` to make a tmpfs of its own: {e}");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazy: a Herald still running after a failed assertion lets go later.
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

/// Writes a file in `dir` until the file system has not one byte left; its path.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).expect("the filler file");
    let chunk = vec![0x46_u8; 64 * 1024];
    loop {
        match file.write(&chunk) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
            Err(e) => panic!("filling the disk: {e}"),
        }
    }
    path
}

/// One publish's answer: the event id if it was accepted; panics on anything
/// but `202` or a `503` that says the disk is full, with `Retry-After`.
async fn publish(app: &TestApp, account: &str, n: usize) -> Option<String> {
    let body = json!({"type": "credits.low", "data": credits_low(n as i64)});
    let response = app.post(&format!("/v1/accounts/{account}/events"), &body).await;
    if response.status().as_u16() == 202 {
        return Some(expect_json(response, 202).await["event"]["id"].as_str().unwrap().to_owned());
    }
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap_or("").to_owned());
    let problem = expect_problem(response, 503).await;
    assert_eq!(problem["type"], "urn:herald:problem:disk-full", "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("disk"), "the detail says so: {problem}");
    assert!(retry_after.is_some_and(|s| s.parse::<u32>().is_ok_and(|n| n > 0)), "a Retry-After in seconds");
    None
}

/// Publishes until one is answered `want_accepted`; the ids accepted on the
/// way, and how many were refused.
async fn publish_until(app: &TestApp, account: &str, from: usize, want_accepted: bool) -> (Vec<String>, usize) {
    let (mut accepted, mut refused) = (Vec::new(), 0);
    let deadline = Instant::now() + DEADLINE;
    for n in from.. {
        assert!(Instant::now() < deadline, "a publish {}", if want_accepted { "accepted" } else { "refused" });
        match publish(app, account, n).await {
            Some(id) => {
                accepted.push(id);
                if want_accepted {
                    break;
                }
            }
            None if !want_accepted => {
                refused += 1;
                break;
            }
            None => refused += 1,
        }
    }
    (accepted, refused)
}

/// What SQLite's full check says of the file at `path`.
fn integrity_check(path: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).expect("the database file opens");
    let mut statement = conn.prepare("PRAGMA integrity_check").unwrap();
    let rows = statement.query_map([], |r| r.get::<_, String>(0)).unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

/// `herald_attempts_total{outcome="succeeded"}` as `/metrics` says it now:
/// attempts whose answer Herald has, recorded or not.
async fn attempts_answered(app: &TestApp) -> u64 {
    app.metric(r#"herald_attempts_total{outcome="succeeded"}"#).await as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_publishes_with_503_keeps_what_was_accepted_and_recovers_when_space_is_freed() {
    if Engine::of_this_run() != Engine::Sqlite {
        println!("skipped here: runs in the SQLite run, on a file of its own in a tmpfs");
        return;
    }
    let Some(tmpfs) = Tmpfs::mount() else { return };
    let file = tmpfs.path().join("herald.db");
    let database = TestDatabase::at(format!("sqlite://{}", file.display()));
    let mut app =
        spawn_app_on(database, Options::default().lease_margin(&format!("{}s", LEASE_MARGIN.as_secs()))).await;
    let receiver = Receiver::slow(ANSWER_AFTER).await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &receiver.url()).await;
    let mut ids = Vec::new();
    for n in 0..IN_FLIGHT {
        ids.push(app.publish(&account, "credits.low", credits_low(n as i64)).await.id);
    }
    // Their attempts are at the receiver, which answers them once the disk is full.
    receiver.wait_for(IN_FLIGHT).await;

    let filler = fill(tmpfs.path());
    let filled = Instant::now();
    let (mut while_full, mut refused) = publish_until(&app, &account, 100, false).await;
    let refused_after = filled.elapsed();
    // Reads go on while the disk is full: the database still answers.
    expect_json(app.get(&format!("/v1/accounts/{account}/events")).await, 200).await;
    expect_json(app.get("/readyz").await, 200).await;
    let poll = Poll::new("the answers of the attempts in flight");
    while attempts_answered(&app).await < IN_FLIGHT as u64 {
        poll.tick(&"fewer").await;
    }
    // The fault lasts: every publish meanwhile is accepted or refused as full.
    let answered = Instant::now();
    while answered.elapsed() < HELD_AFTER_ANSWERS {
        tokio::time::sleep(POLL_EVERY).await;
        let (accepted, more) = publish_until(&app, &account, 200 + refused, false).await;
        while_full.extend(accepted);
        refused += more;
    }
    ids.extend(while_full.iter().cloned());

    std::fs::remove_file(&filler).expect("the filler goes");
    let (freed, full_for) = (Instant::now(), filled.elapsed());
    let (first, refused_later) = publish_until(&app, &account, 1000, true).await;
    let recovered = freed.elapsed();
    ids.extend(first);
    for n in 0..5 {
        ids.push(app.publish(&account, "credits.low", credits_low(2000 + n)).await.id);
    }
    app.wait_for_deliveries(&account, &endpoint.id, "succeeded", ids.len()).await;
    let duplicates = each_accepted_event_delivered(&app, &account, (&receiver, 0), &ids).await;
    let delivered = freed.elapsed();
    assert_eq!(duplicates, 0, "the outcomes answered while the disk was full were recorded later, not sent again");

    app.stop().await;
    assert_eq!(integrity_check(&file), ["ok"], "the file is sound after the full disk");
    println!(
        "figures: disk full (SQLite on a {SIZE_MIB} MiB tmpfs, full for {full_for:?}): accepted {}, of which {} \
         while the disk was full; refused {} (503 disk-full, none stored); delivered {}, lost 0, duplicates \
         {duplicates} ({IN_FLIGHT} answered while the disk was full, recorded after); the first refusal \
         {refused_after:?} after the disk filled; publishing again {recovered:?} after the filler was deleted \
         ({refused_later} refused meanwhile), every event delivered {delivered:?} after; integrity_check ok",
        ids.len(),
        while_full.len(),
        refused + refused_later,
        ids.len(),
    );
    drop(tmpfs);
}
