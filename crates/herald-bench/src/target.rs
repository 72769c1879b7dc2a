//! The Herald under test: a child process of this binary (`herald-bench
//! server`, Herald's own `Application` on the given store) so that its memory
//! is its own, or a Herald already running elsewhere (`--url`).

use std::{process::Stdio, time::Duration};

use anyhow::Context;
use clap::Args as ClapArgs;
use herald_client::{NewAccount, NewEndpoint};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

const TOKEN: &str = "bench-admin-token";

/// Where the Herald under test runs.
#[derive(Debug, Clone, ClapArgs)]
pub struct TargetArgs {
    /// A running Herald to measure instead of starting one (its admin token in --admin-token).
    #[arg(long)]
    pub url: Option<String>,
    /// The admin token of the Herald at --url.
    #[arg(long, env = "HERALD_ADMIN_TOKEN")]
    pub admin_token: Option<String>,
    /// The store of the Herald this starts: a fresh SQLite file by default, or a postgres:// URL.
    #[arg(long)]
    pub database_url: Option<String>,
}

/// A Herald to measure, and an admin client for it.
pub struct Target {
    /// `http://host:port`.
    pub base: String,
    /// Admin token.
    token: String,
    /// The child process, when this started it.
    child: Option<Child>,
    /// The fresh SQLite folder, removed at the end.
    _dir: Option<tempfile::TempDir>,
    /// Which store it runs on, for the report.
    pub engine: String,
    /// The store's URL, when this started the Herald.
    database_url: Option<String>,
    /// The raw HTTP client of the publishing hot path (`publish_request`):
    /// the load generators post pre-built bodies at full speed, and a typed
    /// client's serialising and decoding would be measured with Herald.
    client: reqwest::Client,
    /// The Herald client of everything else: accounts, endpoints, lists.
    pub herald: herald_client::Client,
}

impl Target {
    /// Starts (or attaches to) the Herald under test. `env` adds `HERALD_*`
    /// settings to a started one (a retry schedule, a timeout).
    pub async fn start(args: &TargetArgs, env: &[(&str, &str)]) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;
        if let Some(url) = &args.url {
            let token = args.admin_token.clone().context("--url needs --admin-token (or HERALD_ADMIN_TOKEN)")?;
            let base = url.trim_end_matches('/').to_owned();
            return Ok(Self {
                herald: herald_client::Client::new(&base, &token)?,
                base,
                token,
                child: None,
                _dir: None,
                engine: "external".into(),
                database_url: None,
                client,
            });
        }
        let dir = tempfile::tempdir()?;
        let database_url =
            args.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", dir.path().join("herald.db").display()));
        let engine = if database_url.starts_with("sqlite:") { "sqlite" } else { "postgres" }.to_owned();
        let mut command = Command::new(std::env::current_exe()?);
        command
            .arg("server")
            .env("HERALD_LISTEN", "127.0.0.1:0")
            .env("HERALD_DATABASE_URL", &database_url)
            .env("HERALD_DATA_DIR", dir.path())
            .env("HERALD_ADMIN_TOKEN", TOKEN)
            .env("HERALD_DEV", "true")
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().context("Failed to start the Herald under test")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let port = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .context("the Herald under test did not start within a minute")??
            .and_then(|line| line.strip_prefix("listening ").map(str::to_owned))
            .context("the Herald under test did not say where it listens")?;
        let base = format!("http://127.0.0.1:{port}");
        Ok(Self {
            herald: herald_client::Client::new(&base, TOKEN)?,
            base,
            token: TOKEN.into(),
            child: Some(child),
            _dir: Some(dir),
            engine,
            database_url: Some(database_url),
            client,
        })
    }

    /// A publish request (`path` under the account), not yet sent: raw, for
    /// the measured hot path (see [`Target::client`]).
    pub fn publish_request(&self, account: &str, path: &str) -> reqwest::RequestBuilder {
        self.client.post(format!("{}/v1/accounts/{account}/{path}", self.base)).bearer_auth(&self.token)
    }

    /// A new account with endpoints at `urls`; returns the account and endpoint ids.
    pub async fn account_with(&self, urls: &[String]) -> anyhow::Result<(String, Vec<String>)> {
        let account = self.herald.create_account(&NewAccount::named("bench")).await?.id;
        let mut endpoints = Vec::new();
        for url in urls {
            endpoints.push(self.herald.create_endpoint(&account, &NewEndpoint::new(url)).await?.endpoint.id);
        }
        Ok((account, endpoints))
    }

    /// The process id of a started Herald, for what `/proc` says about it.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref()?.id()
    }

    /// The store's URL, when this started the Herald.
    pub fn database_url(&self) -> Option<&str> {
        self.database_url.as_deref()
    }

    /// The SQLite database file of a started Herald (its `-wal` file lies beside it).
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        let url = self.database_url.as_deref()?;
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
        Some(path.split('?').next().unwrap_or(path).into())
    }

    /// The peak resident memory of the Herald under test so far, in MiB (Linux only).
    pub fn peak_rss_mib(&self) -> Option<f64> {
        crate::server_watch::peak_rss_mib(self.child.as_ref()?.id()?)
    }

    /// CPU time the Herald under test has used so far (user and system, all
    /// threads), in seconds (Linux only; `/proc` counts in ticks of 1/100 s).
    pub fn cpu_seconds(&self) -> Option<f64> {
        let pid = self.child.as_ref()?.id()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // The fields after the command name, which is in parentheses and may hold spaces.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
        // utime and stime: fields 14 and 15 of the line, 12 and 13 after the name.
        Some((ticks(11)? + ticks(12)?) / 100.0)
    }

    /// Stops a started Herald.
    pub async fn stop(mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill().await;
        }
    }
}

/// `herald-bench server`: Herald's application, configured by `HERALD_*`,
/// printing `listening <port>` once it is ready.
pub async fn serve() -> anyhow::Result<()> {
    use clap::Parser;
    let config = herald::Config::try_parse_from(["herald"])?;
    let app = herald::Application::build(config).await?;
    println!("listening {}", app.port());
    app.run_until_stopped().await
}
