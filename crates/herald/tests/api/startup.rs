//! Starting `herald serve`: a start that fails leaves nothing behind that a
//! user cannot see.

use std::process::Stdio;

use tokio::process::Command;

use crate::helpers::DEADLINE;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_on_a_port_already_in_use_fails_before_it_writes_a_database_or_an_admin_token() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port to hold");
    let port = taken.local_addr().expect("a bound address").port();
    let folder = tempfile::tempdir().unwrap();
    let data = folder.path().join("herald-data");
    let child = Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(["serve", "--dev", "--listen", &format!("127.0.0.1:{port}")])
        .env_remove("HERALD_DATABASE_URL")
        .env_remove("HERALD_ADMIN_TOKEN")
        .env_remove("HERALD_DATA_DIR")
        .current_dir(folder.path())
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

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "herald refused to start: {stderr}");
    assert!(stderr.contains(&format!("Failed to listen on 127.0.0.1:{port}")), "the reason is given: {stderr}");
    assert!(!data.join("herald.db").exists(), "no database was created");
    assert!(!data.join("admin-token").exists(), "no admin token was made that nobody was shown");
    drop(taken);
}
