//! The platform's published receiver sample (`tests/conformance/seed_receiver.py`)
//! as a child process: python3 and Flask, holding one secret, logging every
//! request it gets and whether it accepted it.

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

use serde_json::Value;
use tempfile::TempDir;

use crate::checks::Poll;

/// Where the sample and the platform's vectors are kept.
pub const CONFORMANCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance");

/// The sample receiver as a child process, killed when dropped.
pub struct Sample {
    child: Child,
    port: u16,
    log: PathBuf,
    stderr: PathBuf,
    _dir: TempDir,
}

impl Sample {
    /// Starts the sample holding `secret` on `port` and waits until it accepts connections.
    pub async fn start(secret: &str, port: u16) -> Self {
        require_python_with_flask();
        let dir = tempfile::tempdir().expect("a folder for the sample's files");
        let log = dir.path().join("received.jsonl");
        let stderr = dir.path().join("stderr.txt");
        let child = Command::new("python3")
            .arg(Path::new(CONFORMANCE).join("seed_receiver.py"))
            .env("WEBHOOK_SECRET", secret)
            .env("PORT", port.to_string())
            .env("LOG", &log)
            .stdin(Stdio::null())
            .stdout(fs::File::create(dir.path().join("stdout.txt")).unwrap())
            .stderr(fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("python3 starts the sample receiver");
        let mut sample = Self { child, port, log, stderr, _dir: dir };
        let poll = Poll::new(format!("the sample receiver to listen on port {port}"));
        loop {
            if let Some(status) = sample.child.try_wait().expect("the child's state") {
                panic!(
                    "the sample receiver exited ({status}) before listening:\n{}",
                    fs::read_to_string(&sample.stderr).unwrap_or_default()
                );
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return sample;
            }
            poll.tick(&"connection refused").await;
        }
    }

    /// Where it takes webhooks.
    pub fn url(&self) -> String {
        sample_url(self.port)
    }

    /// Waits until the sample logged at least `n` requests; returns the log lines.
    pub async fn wait_for_lines(&self, n: usize) -> Vec<Value> {
        let poll = Poll::new(format!("{n} requests in the sample's log"));
        loop {
            let text = fs::read_to_string(&self.log).unwrap_or_default();
            let complete: Vec<&str> = text.split_inclusive('\n').filter(|l| l.ends_with('\n')).collect();
            if complete.len() >= n {
                return complete.iter().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
            }
            poll.tick(&text).await;
        }
    }
}

impl Drop for Sample {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the sample takes webhooks when listening on `port`.
pub fn sample_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}/webhooks/twin-actor")
}

/// Fails the test, loudly, where the sample cannot run: never a silent skip.
fn require_python_with_flask() {
    let probe = Command::new("python3").args(["-c", "import flask"]).output().unwrap_or_else(|e| {
        panic!("the conformance test needs python3 on PATH ({e}); run scripts/test, which installs what it needs")
    });
    assert!(
        probe.status.success(),
        "the conformance test needs Flask for python3 (`python3 -m pip install flask`, done by scripts/test): {}",
        String::from_utf8_lossy(&probe.stderr)
    );
}
