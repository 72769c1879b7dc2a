//! A delivery Herald really sent during a secret rotation's grace period, as a
//! receiver captured it (raw body and `X-Webhook-Signature`, one `v1` per
//! secret): what every verifier Herald ships or prints must accept with the
//! old secret, which a receiver still holds until it is told the new one, and
//! with the new secret alike.

use serde_json::json;

use crate::{fixtures::project_completed, helpers::spawn_app, receiver::Receiver, signature::assert_signed_by};

/// A secret that signed nothing of the delivery: every verifier refuses it.
pub const ANOTHER_SECRET: &str = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// The delivery and the secrets it was signed with.
pub struct RotatedDelivery {
    /// The endpoint's secret before the rotation: it still signs during the grace period.
    pub old_secret: String,
    /// The secret the rotation answered: the endpoint's current one.
    pub new_secret: String,
    /// The raw body, as received.
    pub body: Vec<u8>,
    /// The `X-Webhook-Signature` value, as received.
    pub signature: String,
}

/// Creates an endpoint at a real receiver, rotates its secret with an hour of
/// grace, publishes one event and returns the request the receiver got.
pub async fn a_delivery_signed_during_a_rotation() -> RotatedDelivery {
    let app = spawn_app().await;
    let receiver = Receiver::ok().await;
    let account = app.create_account().await;
    let endpoint = app.create_endpoint(&account, &receiver.url()).await;
    let rotated = app.endpoint_action(&account, &endpoint.id, "secret/rotate", json!({"grace_seconds": 3600})).await;
    let new_secret = rotated["secret"].as_str().expect("the new secret").to_string();
    app.publish(&account, "project.completed", project_completed(42)).await;

    let request = receiver.wait_for(1).await.remove(0);
    // Both secrets sign, the old one first: what a rotation's header looks like.
    assert_signed_by(&request, &[&endpoint.secret, &new_secret]);
    assert!(![&endpoint.secret, &new_secret].contains(&&ANOTHER_SECRET.to_string()), "another secret indeed");
    RotatedDelivery {
        old_secret: endpoint.secret,
        new_secret,
        body: request.body.to_vec(),
        signature: request.header("x-webhook-signature").to_string(),
    }
}
