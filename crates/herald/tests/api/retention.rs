//! Retention: events older than `HERALD_RETENTION` go, with their deliveries
//! and attempts; younger ones stay.

use crate::checks::Poll;
use crate::fixtures::credits_low;
use crate::helpers::{spawn_app_with, Options};
use crate::receiver::Receiver;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_older_than_the_retention_period_are_deleted_with_their_deliveries() {
    let app = spawn_app_with(Options::default().retention("2s")).await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &receiver.url()).await;
    let old = app.publish(&account, "credits.low", credits_low(1)).await;
    let delivery = app.delivery_of(&account, &old.id, &endpoint.id).await;
    let delivery_id = delivery["id"].as_str().unwrap().to_owned();
    app.wait_for_delivery_status(&account, &delivery_id, "succeeded").await;

    let poll = Poll::new("the old event to be deleted");
    loop {
        let status = app.get(&format!("/v1/accounts/{account}/events/{}", old.id)).await.status().as_u16();
        if status == 404 {
            break;
        }
        poll.tick(&status).await;
    }
    let gone = app.get(&format!("/v1/accounts/{account}/deliveries/{delivery_id}")).await;
    assert_eq!(gone.status().as_u16(), 404, "the delivery and its attempts go with the event");
    let attempts_left =
        app.database.scalar_i64(&format!("SELECT COUNT(*) FROM attempts WHERE delivery_id = '{delivery_id}'")).await;
    assert_eq!(attempts_left, 0, "no attempt outlives its delivery");

    let young = app.publish(&account, "credits.low", credits_low(2)).await;
    let kept = app.get(&format!("/v1/accounts/{account}/events/{}", young.id)).await;
    assert_eq!(kept.status().as_u16(), 200, "an event younger than the retention period stays");
}
