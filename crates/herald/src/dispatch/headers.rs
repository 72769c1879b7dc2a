//! The headers of one webhook request (contract §2), built in one place: the
//! sender's attempts and `herald listen`'s forwards carry exactly these.

/// The `User-Agent` of every request: `Herald/<version>`.
pub fn user_agent() -> String {
    format!("Herald/{}", env!("CARGO_PKG_VERSION"))
}

/// What one request's headers are made of.
#[derive(Debug, Clone, Copy)]
pub struct WebhookRequest<'a> {
    /// `X-Webhook-ID` and `webhook-id`: the event id.
    pub event_id: &'a str,
    /// `X-Webhook-Event`: the event type.
    pub event_type: &'a str,
    /// `X-Webhook-Delivery`: the delivery id.
    pub delivery_id: &'a str,
    /// `X-Webhook-Attempt`: this attempt's number in the delivery's log.
    pub attempt: u32,
    /// The secrets in force, the current one last.
    pub secrets: &'a [&'a str],
    /// `t`: when this request is sent, in Unix seconds.
    pub timestamp: i64,
    /// The envelope bytes, as stored and as sent.
    pub body: &'a [u8],
}

/// Every header of the request, names as the contract spells them. A secret
/// that is not base64 cannot key the Standard Webhooks signature: then
/// `webhook-signature` is left out (with a warning) and the rest still goes.
pub fn webhook_headers(request: &WebhookRequest<'_>) -> Vec<(&'static str, String)> {
    let WebhookRequest { event_id, event_type, delivery_id, attempt, secrets, timestamp, body } = *request;
    let mut headers = vec![
        ("Content-Type", "application/json".to_owned()),
        ("User-Agent", user_agent()),
        ("X-Webhook-ID", event_id.to_owned()),
        ("X-Webhook-Event", event_type.to_owned()),
        ("X-Webhook-Signature", herald_signature::signature_header(secrets, timestamp, body)),
        ("X-Webhook-Attempt", attempt.to_string()),
        ("X-Webhook-Delivery", delivery_id.to_owned()),
        ("webhook-id", event_id.to_owned()),
        ("webhook-timestamp", timestamp.to_string()),
    ];
    match herald_signature::standard::signature_header(secrets, event_id, timestamp, body) {
        Ok(signature) => headers.push(("webhook-signature", signature)),
        Err(e) => {
            tracing::warn!(delivery = delivery_id, error = %e, "secret is not base64; webhook-signature left out")
        }
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    fn request<'a>(secrets: &'a [&'a str]) -> WebhookRequest<'a> {
        WebhookRequest {
            event_id: "evt_01JQ8Z6X3M0000000000000000",
            event_type: "project.completed",
            delivery_id: "dlv_01JQ8Z6X3M0000000000000001",
            attempt: 2,
            secrets,
            timestamp: 1_710_929_700,
            body: br#"{"id":"evt_01JQ8Z6X3M0000000000000000"}"#,
        }
    }

    fn get<'h>(headers: &'h [(&'static str, String)], name: &str) -> Option<&'h str> {
        headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn every_contract_header_is_there_with_both_signatures() {
        let r = request(&[SECRET]);
        let headers = webhook_headers(&r);
        assert_eq!(get(&headers, "X-Webhook-ID"), Some(r.event_id));
        assert_eq!(get(&headers, "webhook-id"), Some(r.event_id));
        assert_eq!(get(&headers, "X-Webhook-Event"), Some("project.completed"));
        assert_eq!(get(&headers, "X-Webhook-Attempt"), Some("2"));
        assert_eq!(get(&headers, "X-Webhook-Delivery"), Some(r.delivery_id));
        assert_eq!(get(&headers, "webhook-timestamp"), Some("1710929700"));
        let signature = get(&headers, "X-Webhook-Signature").unwrap();
        assert!(herald_signature::verify(SECRET, signature, r.body, herald_signature::DEFAULT_TOLERANCE, r.timestamp)
            .is_ok());
        let standard = get(&headers, "webhook-signature").unwrap();
        let t = r.timestamp.to_string();
        let tolerance = herald_signature::DEFAULT_TOLERANCE;
        assert!(herald_signature::standard::verify(SECRET, r.event_id, &t, standard, r.body, tolerance, r.timestamp)
            .is_ok());
    }

    #[test]
    fn a_secret_that_is_not_base64_leaves_only_the_standard_signature_out() {
        let headers = webhook_headers(&request(&["whsec_not base64!"]));
        assert!(get(&headers, "X-Webhook-Signature").is_some());
        assert!(get(&headers, "webhook-signature").is_none());
    }
}
