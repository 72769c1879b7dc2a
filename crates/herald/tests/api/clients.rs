//! The client libraries of `clients/`, Python and TypeScript, each running
//! its own test suite (which runs its README's example too) against this
//! test's Herald, on SQLite or PostgreSQL as the suite runs. They need what
//! scripts/test installs: pytest and Flask (the seed receiver) for Python;
//! `npm ci` and the build in `clients/typescript` for TypeScript. The Rust
//! client is tested in `rust_client`.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use crate::helpers::{spawn_app_with, Options, TestApp};

/// `clients/` in this repository.
const CLIENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../clients");

/// A client's folder.
fn client(name: &str) -> PathBuf {
    Path::new(CLIENTS).join(name)
}

/// A Herald as `herald serve --dev` runs by default, with the published
/// retry schedule: the suites, written against one, expect a failed
/// attempt to be retried minutes later, not at once.
async fn herald() -> TestApp {
    spawn_app_with(Options::default().schedule("0s,1m,5m,15m,1h,2h")).await
}

/// Runs `command` with the variables a client's suite reads to find this
/// Herald; fails with its output unless it succeeds.
async fn passes_against(app: &TestApp, what: &str, mut command: Command) {
    command.env("HERALD_URL", &app.address).env("HERALD_ADMIN_TOKEN", &app.admin_token);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the suite's thread")
        .unwrap_or_else(|e| panic!("{what} could not start: {e}"));
    assert!(
        output.status.success(),
        "{what} failed against this Herald ({}):\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Fails, saying what to run, unless `probe` succeeds.
fn require(probe: &mut Command, missing: &str) {
    let ok = probe.output().is_ok_and(|o| o.status.success());
    assert!(ok, "{missing} (scripts/test does it)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_client_passes_its_tests_against_herald() {
    require(
        Command::new("python3").args(["-c", "import pytest, flask"]),
        "the Python client's tests need pytest and Flask: `python3 -m pip install pytest flask`",
    );
    let app = herald().await;
    let mut command = Command::new("python3");
    command
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"])
        .current_dir(client("python"))
        .env("PYTHONPATH", client("python").join("src"));
    passes_against(&app, "the Python client's tests", command).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_typescript_client_passes_its_tests_against_herald() {
    let built = client("typescript").join("dist/index.js");
    assert!(
        built.exists(),
        "the TypeScript client is not built at {}: run `npm ci && npm run build` in clients/typescript",
        built.display()
    );
    let app = herald().await;
    let mut command = Command::new("node");
    command.args(["--test", "--test-force-exit", "--test-concurrency=1", "test/"]).current_dir(client("typescript"));
    passes_against(&app, "the TypeScript client's tests", command).await;
}
