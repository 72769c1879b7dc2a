//! Starting `herald serve`: a start that fails says why, and leaves nothing
//! behind that a user cannot see. A SQLite file that fails its integrity
//! check (issue 19, fault 3), or is no database at all, is refused by name.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
};

use tokio::process::Command;

use crate::{
    database::TestDatabase,
    fixtures::credits_low,
    helpers::{spawn_app_on, Options, DEADLINE},
};

/// Runs `herald serve` with `args` and `env` in `folder` (no other Herald
/// setting from the test's environment), expecting it to refuse to start;
/// what it wrote on standard error.
async fn refused_start(folder: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_herald"));
    command.arg("serve").args(args);
    for name in ["HERALD_DATABASE_URL", "HERALD_ADMIN_TOKEN", "HERALD_DATA_DIR", "HERALD_DEV", "HERALD_ALLOW_TARGETS"] {
        command.env_remove(name);
    }
    let child = command
        .envs(env.iter().copied())
        .current_dir(folder)
        .kill_on_drop(true)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the herald binary starts");
    let output = tokio::time::timeout(DEADLINE, child.wait_with_output())
        .await
        .expect("herald stops at once")
        .expect("herald's output is read");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "herald refused to start: {stderr}");
    stderr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_on_a_port_already_in_use_fails_before_it_writes_a_database_or_an_admin_token() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port to hold");
    let port = taken.local_addr().expect("a bound address").port();
    let folder = tempfile::tempdir().unwrap();

    let stderr = refused_start(folder.path(), &["--dev", "--listen", &format!("127.0.0.1:{port}")], &[]).await;

    assert!(stderr.contains(&format!("Failed to listen on 127.0.0.1:{port}")), "the reason is given: {stderr}");
    let data = folder.path().join("herald-data");
    assert!(!data.join("herald.db").exists(), "no database was created");
    assert!(!data.join("admin-token").exists(), "no admin token was made that nobody was shown");
    drop(taken);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_allow_targets_entry_stops_herald_at_start_with_the_reason() {
    let folder = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}/herald.db", folder.path().display());

    let stderr = refused_start(
        folder.path(),
        &["--listen", "127.0.0.1:0", "--database-url", &database],
        &[("HERALD_ALLOW_TARGETS", "127.0.0.1/32,10.0.0.1/8")],
    )
    .await;

    assert!(stderr.contains("--allow-targets"), "the setting is named: {stderr}");
    assert!(stderr.contains("`10.0.0.1/8`") && stderr.contains("`10.0.0.0/8`"), "the fix is given: {stderr}");
    assert!(!folder.path().join("herald.db").exists(), "nothing was started");
}

/// A Herald database with events in it, written by a Herald that has
/// stopped, its WAL folded into the file: the file.
async fn a_herald_database(folder: &Path) -> PathBuf {
    let file = folder.join("herald.db");
    let mut app = spawn_app_on(TestDatabase::at(format!("sqlite://{}", file.display())), Options::default()).await;
    let account = app.create_account().await;
    for n in 0..50 {
        app.publish(&account, "credits.low", credits_low(n)).await;
    }
    app.stop().await;
    drop(app);
    let conn = rusqlite::Connection::open(&file).unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).unwrap();
    file
}

/// What `PRAGMA quick_check` says of the file: `ok`, its findings, or the error it stopped on.
fn quick_check(file: &Path) -> String {
    let conn = rusqlite::Connection::open(file).unwrap();
    let said = conn
        .prepare("PRAGMA quick_check")
        .and_then(|mut statement| statement.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>());
    said.map_or_else(|e| e.to_string(), |rows| rows.join("; "))
}

/// `herald serve` on the SQLite file `file`, expected to refuse; what it said.
async fn refused_start_on(file: &Path) -> String {
    let url = format!("sqlite://{}", file.display());
    refused_start(file.parent().unwrap(), &["--listen", "127.0.0.1:0", "--database-url", &url], &[]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_file_that_fails_its_integrity_check_refuses_to_start_with_a_clear_message() {
    let folder = tempfile::tempdir().unwrap();
    let file = a_herald_database(folder.path()).await;
    assert_eq!(quick_check(&file), "ok");
    // Garbage over the events table's root page: its b-tree no longer reads.
    let conn = rusqlite::Connection::open(&file).unwrap();
    let root: u64 =
        conn.query_row("SELECT rootpage FROM sqlite_master WHERE name = 'events'", [], |r| r.get(0)).unwrap();
    let page: u64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
    drop(conn);
    let mut bytes = std::fs::read(&file).unwrap();
    let at = usize::try_from((root - 1) * page).unwrap();
    for (i, byte) in bytes[at..at + usize::try_from(page).unwrap()].iter_mut().enumerate() {
        *byte = (i * 7 % 251) as u8;
    }
    std::fs::write(&file, &bytes).unwrap();
    let found = quick_check(&file);
    assert_ne!(found, "ok", "the file is damaged where quick_check looks");

    let stderr = refused_start_on(&file).await;

    assert!(stderr.contains(&file.display().to_string()), "the file is named: {stderr}");
    assert!(stderr.contains("failed its integrity check"), "the reason is given: {stderr}");
    assert!(stderr.contains(".recover") && stderr.contains("backup"), "what to do is said: {stderr}");
    assert_eq!(std::fs::read(&file).unwrap(), bytes, "the damaged file is left as it was");
    let said = stderr.lines().find(|line| line.contains("failed its integrity check")).unwrap_or_default();
    println!("figures: corrupt file: quick_check found `{found}`; herald said: {}", said.trim());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_is_not_a_database_refuses_to_start_naming_the_file() {
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("herald.db");
    std::fs::write(&file, "these are notes, not a database\n".repeat(500)).unwrap();

    let stderr = refused_start_on(&file).await;

    assert!(stderr.contains(&file.display().to_string()), "the file is named: {stderr}");
    assert!(stderr.contains("is not a SQLite database"), "the reason is given: {stderr}");
}
