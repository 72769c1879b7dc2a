//! Starting `herald serve`: a start that fails says why, and leaves nothing
//! behind that a user cannot see.

use std::{path::Path, process::Stdio};

use tokio::process::Command;

use crate::helpers::DEADLINE;

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
