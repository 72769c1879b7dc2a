//! `log-queries`: fills a fresh store with events fanned out to ten
//! endpoints (a million deliveries by default), settles most of them as a
//! live system would (succeeded, some failed, a few pending), then starts
//! Herald on that store and times the list queries of the API.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use herald::{
    domain::{
        envelope::envelope_bytes, AccountId, EndpointId, EndpointUrl, EventId, EventType, TargetPolicy, Timestamp,
        TypeFilter,
    },
    store::{self, Account, NewEndpoint, NewEvent, SharedStore},
    Application, Config,
};
use herald_client::{Client, DeliveryFilter, DeliveryStatus, EventFilter, ListOptions, PollOptions};
use serde_json::{json, Value};

use crate::report::{self, Timings};

/// Options of the scenario.
#[derive(Debug, Parser)]
pub struct Args {
    /// The store to fill; a fresh SQLite file in a temporary folder by default.
    #[arg(long)]
    database_url: Option<String>,
    /// Events to publish; each fans out to every endpoint.
    #[arg(long, default_value_t = 100_000)]
    events: usize,
    /// Endpoints of the account.
    #[arg(long, default_value_t = 10)]
    endpoints: usize,
    /// Timed runs of each query (after three untimed ones).
    #[arg(long, default_value_t = 30)]
    runs: usize,
}

const TYPES: [(&str, &str); 4] = [
    ("credits.low", r#"{"balance":10,"threshold":100}"#),
    ("project.created", r#"{"project_id":42,"project_type":"scene_project"}"#),
    ("project.processing", r#"{"project_id":42,"project_type":"scene_project","progress":50}"#),
    ("voice_clone.completed", r#"{"person_id":1,"voice_id":"voice_abc123"}"#),
];
const TOKEN: &str = "bench-admin-token";

/// Runs the scenario.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url =
        args.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", dir.path().join("herald.db").display()));
    let engine = if url.starts_with("sqlite:") {
        "sqlite"
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        "postgres"
    } else {
        bail!("give a sqlite:// or postgres:// URL");
    };
    let store = store::open(&url, store::Sealer::plain(), store::StoreSettings::default()).await?;
    let started = Instant::now();
    let (account, endpoints) = fill(&store, &args).await?;
    let filled = started.elapsed();
    settle(&url).await?;
    eprintln!("filled {} deliveries in {:.1}s", args.events * args.endpoints, filled.as_secs_f64());

    let config = Config::try_parse_from([
        "herald",
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        &url,
        "--admin-token",
        TOKEN,
        "--dev",
        "true",
    ])?;
    let app = Application::build(config).await?;
    let client = Client::new(&format!("http://127.0.0.1:{}", app.port()), TOKEN)?;
    let handle = app.shutdown_handle();
    let server = tokio::spawn(app.run_until_stopped());
    let rows = time_queries(&client, account.as_str(), &endpoints, args.runs).await;
    handle.shutdown();
    server.await??;
    let rows = rows?;
    let context = json!({"deliveries": args.events * args.endpoints, "events": args.events, "endpoints": args.endpoints, "engine": engine, "fill_seconds": filled.as_secs_f64()});
    report::print("log-queries", context, &rows);
    Ok(())
}

/// Publishes `events` events to an account with `endpoints` endpoints, a thousand per commit.
async fn fill(store: &SharedStore, args: &Args) -> anyhow::Result<(AccountId, Vec<EndpointId>)> {
    let account = AccountId::parse("bench")?;
    let now = Timestamp::now();
    store.create_account(&Account { id: account.clone(), name: "Bench".into(), created_at: now }).await?;
    let mut endpoints = Vec::new();
    for i in 0..args.endpoints {
        let new = NewEndpoint {
            id: EndpointId::generate(),
            url: EndpointUrl::parse(&format!("http://127.0.0.1:9/{i}"), &TargetPolicy::development())?,
            description: String::new(),
            event_types: TypeFilter::all(),
            content_filter: None,
            secret: herald::domain::EndpointSecret::generate(),
            rate_limit: None,
            ordered: false,
            headers: Default::default(),
        };
        endpoints.push(store.create_endpoint(&account, &new, u32::MAX, now).await?.id);
    }
    let datas: Vec<(EventType, Value)> = TYPES
        .iter()
        .map(|(t, d)| Ok((EventType::parse(t)?, serde_json::from_str(d)?)))
        .collect::<anyhow::Result<_>>()?;
    let mut published = 0;
    while published < args.events {
        let batch = (args.events - published).min(1000);
        let events = (published..published + batch)
            .map(|i| {
                let (t, data) = &datas[i % datas.len()];
                let id = EventId::generate();
                NewEvent { payload: envelope_bytes(&id, t, now, data), id, event_type: t.clone(), created_at: now }
            })
            .collect();
        store.publish(&account, events, None, now, None).await.context("Failed to publish a batch")?;
        published += batch;
    }
    Ok((account, endpoints))
}

/// Settles deliveries as a running system would have: 97% succeeded, 2% failed, 1% pending later.
async fn settle(url: &str) -> anyhow::Result<()> {
    let later = Timestamp::now().plus(Duration::from_secs(86_400)).millis();
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await?;
        sqlx::query(
            "UPDATE deliveries SET attempt_count = 1, last_response_status = 200, status = CASE
                 WHEN abs(random()) % 100 < 97 THEN 'succeeded' WHEN abs(random()) % 3 < 2 THEN 'failed' ELSE 'pending' END",
        )
        .execute(&pool)
        .await?;
        sqlx::query("UPDATE deliveries SET next_attempt_at = CASE WHEN status = 'pending' THEN ? END")
            .bind(later)
            .execute(&pool)
            .await?;
        sqlx::query("ANALYZE").execute(&pool).await?;
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(url).await?;
        sqlx::query(
            "UPDATE deliveries SET attempt_count = 1, last_response_status = 200, status = CASE
                 WHEN random() < 0.97 THEN 'succeeded' WHEN random() < 0.67 THEN 'failed' ELSE 'pending' END",
        )
        .execute(&pool)
        .await?;
        sqlx::query("UPDATE deliveries SET next_attempt_at = CASE WHEN status = 'pending' THEN $1 END")
            .bind(later)
            .execute(&pool)
            .await?;
        sqlx::query("VACUUM ANALYZE deliveries").execute(&pool).await?;
        sqlx::query("ANALYZE events").execute(&pool).await?;
        pool.close().await;
    }
    Ok(())
}

/// One list query of the API, as the client asks it.
enum Query {
    /// `GET …/deliveries` with these filters and this page.
    Deliveries(DeliveryFilter, ListOptions),
    /// `GET …/events` with this filter and this page.
    Events(EventFilter, ListOptions),
    /// `GET …/events?after=`: one page of polling.
    After(String),
}

impl Query {
    /// Asks it once; how many items it answered.
    async fn run(&self, client: &Client, account: &str) -> anyhow::Result<usize> {
        Ok(match self {
            Self::Deliveries(filter, page) => client.list_deliveries(account, filter, page).await?.data.len(),
            Self::Events(filter, page) => client.list_events(account, filter, page).await?.data.len(),
            Self::After(after) => client.poll_events(account, after, PollOptions::default()).next_page().await?.len(),
        })
    }
}

/// Times each list query of the API.
async fn time_queries(
    client: &Client,
    account: &str,
    endpoints: &[EndpointId],
    runs: usize,
) -> anyhow::Result<Vec<Timings>> {
    let (all, page) = (DeliveryFilter::default(), ListOptions::default());
    let first = client.list_deliveries(account, &all, &page).await?;
    let cursor = first.next_cursor.clone().context("a second page of deliveries")?;
    let event = first.data.first().context("a delivery")?.event_id.clone();
    let events = client.list_events(account, &EventFilter::default(), &ListOptions::limit(500)).await?;
    let middle = events.data.get(250).context("500 events")?.id.clone();
    let endpoint = Some(endpoints.first().context("an endpoint")?.to_string());
    let deliveries = |filter: DeliveryFilter| Query::Deliveries(filter, ListOptions::default());
    let status = |status| DeliveryFilter { status: Some(status), ..DeliveryFilter::default() };
    let of_endpoint = DeliveryFilter { endpoint_id: endpoint.clone(), ..DeliveryFilter::default() };
    let queries = [
        ("deliveries, newest first", deliveries(all.clone())),
        (
            "deliveries, second page by cursor",
            Query::Deliveries(all.clone(), ListOptions { limit: None, cursor: Some(cursor) }),
        ),
        ("deliveries of one endpoint", deliveries(of_endpoint.clone())),
        ("deliveries with status=failed", deliveries(status(DeliveryStatus::Failed))),
        ("deliveries with status=pending", deliveries(status(DeliveryStatus::Pending))),
        (
            "deliveries of one endpoint, failed",
            deliveries(DeliveryFilter { status: Some(DeliveryStatus::Failed), ..of_endpoint }),
        ),
        ("deliveries of one event", deliveries(DeliveryFilter { event_id: Some(event), ..DeliveryFilter::default() })),
        ("deliveries, 500 per page", Query::Deliveries(all, ListOptions::limit(500))),
        ("events, newest first", Query::Events(EventFilter::default(), page.clone())),
        ("events of one type", Query::Events(EventFilter { event_type: Some("credits.low".into()) }, page)),
        ("events after one (polling)", Query::After(middle)),
    ];
    let mut rows = Vec::new();
    for (name, query) in queries {
        for _ in 0..3 {
            query.run(client, account).await?;
        }
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let start = Instant::now();
            query.run(client, account).await?;
            times.push(start.elapsed());
        }
        rows.push(Timings::new(name, times));
    }
    Ok(rows)
}
