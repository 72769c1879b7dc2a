//! The README's example: an account, an endpoint, a `project.completed`,
//! the delivery log, and a retry. Against a Herald started with
//! `cargo run --release -- serve --dev`, from the repository's root:
//!
//! ```sh
//! HERALD_TOKEN=$(cat herald-data/admin-token) cargo run -p herald-client --example quickstart
//! ```

use herald_client::{events::ProjectCompleted, Client, DeliveryFilter, ListOptions, NewAccount, NewEndpoint};

#[tokio::main]
async fn main() -> Result<(), herald_client::Error> {
    let url = std::env::var("HERALD_URL").unwrap_or_else(|_| "http://127.0.0.1:8090".into());
    let token = std::env::var("HERALD_TOKEN").unwrap_or_default();
    let herald = Client::new(&url, token)?;

    // A customer of the platform, and the endpoint where it takes its webhooks.
    let account = herald.create_account(&NewAccount::named("Acme Studios")).await?;
    let endpoint = herald
        .create_endpoint(
            &account.id,
            &NewEndpoint::new("http://127.0.0.1:9000/webhooks/twin-actor").event_types(["project.*"]),
        )
        .await?;
    println!("endpoint {} signs with {}", endpoint.id, endpoint.secret);

    // An event, its data typed as the catalog has it.
    let completed = ProjectCompleted {
        project_id: 42,
        project_type: "scene_project".into(),
        video_url: "https://storage.twin.actor/videos/project_42_final.mp4".into(),
        duration_seconds: 50.0,
        credits_used: 500,
        ..ProjectCompleted::default()
    };
    let published = herald.publish_idempotent(&account.id, &completed, "project-42-completed").await?;
    println!("published {} to {} endpoint(s)", published.event.id, published.deliveries);

    // The delivery log, read to its end, and one delivery sent again now.
    let mut deliveries = herald.deliveries(&account.id, &DeliveryFilter::default(), ListOptions::limit(50));
    while let Some(delivery) = deliveries.next().await? {
        println!(
            "{} {} {:?} after {} attempt(s)",
            delivery.id, delivery.event_type, delivery.status, delivery.attempt_count
        );
        let retried = herald.retry_delivery(&account.id, &delivery.id).await?;
        println!("retried {}: {:?}", retried.id, retried.status);
    }
    Ok(())
}
