//! A PostgreSQL cluster of one test's own, made with `initdb` and run with
//! `pg_ctl` from Debian's packages on a free port in a temporary folder, so
//! that the test can stop it, start it again, and pause it (SIGSTOP of the
//! server and every backend: a database that stalls, connections open).
//! As root, each command runs as the `postgres` user (PostgreSQL refuses
//! root). Removed, server and files, when dropped.

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use tempfile::TempDir;

use crate::fixtures::free_port;

/// A running (or stopped, or paused) private cluster.
pub struct PrivateCluster {
    dir: TempDir,
    port: u16,
    bin: PathBuf,
}

impl PrivateCluster {
    /// Makes and starts a cluster, or `None`, said aloud, where PostgreSQL's
    /// server programs are not installed (`scripts/test` installs them).
    pub fn start() -> Option<Self> {
        let Some(bin) = server_programs() else {
            let line = "#".repeat(80);
            eprintln!("{line}\nSKIPPED: initdb and pg_ctl are not installed (Debian's postgresql package)\n{line}");
            println!("SKIPPED: initdb and pg_ctl are not installed");
            return None;
        };
        let dir = tempfile::tempdir().expect("a folder for the cluster");
        if is_root() {
            let status = Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()).status();
            assert!(status.is_ok_and(|s| s.success()), "chown of the cluster's folder to postgres");
        }
        let cluster = Self { port: free_port(), bin, dir };
        cluster.run("initdb", &["-D", &cluster.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
        cluster.start_again();
        Some(cluster)
    }

    /// Its `postgres` database, as Herald is given it.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the stopped server, and waits until it takes connections.
    pub fn start_again(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log").display().to_string();
        self.run("pg_ctl", &["-D", &self.data(), "-l", &log, "-o", &options, "-w", "-t", "60", "start"]);
    }

    /// Stops the server at once, as a crash or a killed container would
    /// (`pg_ctl stop -m immediate`: no checkpoint, connections cut).
    pub fn stop(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"]);
    }

    /// Freezes the server and every backend (SIGSTOP): connections stay open
    /// and nothing answers, as on a stalled host.
    pub fn pause(&self) {
        assert!(self.signal("-STOP"), "the server took SIGSTOP");
    }

    /// Thaws what [`Self::pause`] froze (SIGCONT).
    pub fn resume(&self) {
        assert!(self.signal("-CONT"), "the server took SIGCONT");
    }

    /// Sends `signal` to each child of the postmaster (a backend that has
    /// just ended is no matter), then to the postmaster; whether it took it.
    fn signal(&self, signal: &str) -> bool {
        let Some(pid) = fs::read_to_string(Path::new(&self.data()).join("postmaster.pid"))
            .ok()
            .and_then(|text| text.lines().next().map(str::to_owned))
        else {
            return false;
        };
        for child in children(&pid) {
            let _ = Command::new("kill").args([signal, &child]).output();
        }
        Command::new("kill").args([signal, &pid]).output().is_ok_and(|o| o.status.success())
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// One of the server programs, to run as `postgres` when this is root.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    }

    /// Runs one of the server programs; fails with its output.
    fn run(&self, program: &str, args: &[&str]) {
        let output =
            self.command(program).args(args).output().unwrap_or_else(|e| panic!("{program} could not start: {e}"));
        assert!(
            output.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        // Thawed first, or a paused server would not stop.
        if Path::new(&self.data()).join("postmaster.pid").exists() {
            self.signal("-CONT");
            let _ = self.command("pg_ctl").args(["-D", &self.data(), "-m", "immediate", "-w", "stop"]).output();
        }
    }
}

/// The folder of `initdb` and `pg_ctl`: Debian keeps them under
/// `/usr/lib/postgresql/<version>/bin`, off the PATH.
fn server_programs() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
        .collect();
    versions.sort();
    versions.pop()
}

/// The pids whose parent is `parent`, read from /proc.
fn children(parent: &str) -> Vec<String> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let pid = e.file_name().to_string_lossy().into_owned();
            let stat = fs::read_to_string(e.path().join("stat")).ok()?;
            // `pid (comm) state ppid …`: the name may hold spaces, so read after its `)`.
            let ppid = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.to_owned();
            (ppid == parent).then_some(pid)
        })
        .collect()
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}
