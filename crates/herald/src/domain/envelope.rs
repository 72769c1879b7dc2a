//! The event envelope: the exact bytes every attempt of every endpoint sends.

use serde_json::Value;

use super::{time::Timestamp, EventId, EventType};

/// Serialises `{"id","type","created_at","data"}` in that order, with no
/// whitespace. Called once per event, at publish; attempts send these bytes.
pub fn envelope_bytes(id: &EventId, event_type: &EventType, created_at: Timestamp, data: &Value) -> Vec<u8> {
    let data = serde_json::to_string(data).expect("a JSON value always serialises");
    let mut out = Vec::with_capacity(data.len() + 128);
    out.extend_from_slice(b"{\"id\":\"");
    out.extend_from_slice(id.as_str().as_bytes());
    out.extend_from_slice(b"\",\"type\":\"");
    out.extend_from_slice(event_type.as_str().as_bytes());
    out.extend_from_slice(b"\",\"created_at\":\"");
    out.extend_from_slice(created_at.to_rfc3339_seconds().as_bytes());
    out.extend_from_slice(b"\",\"data\":");
    out.extend_from_slice(data.as_bytes());
    out.push(b'}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_has_the_published_shape() {
        let id = EventId::parse("evt_01HV3K8Z6X3M9Q7R2T5W8Y1B4C").unwrap();
        let t = EventType::parse("credits.low").unwrap();
        let at = Timestamp::from_millis(1_710_929_700_000);
        let data = serde_json::json!({"balance": 10, "threshold": 100});
        let bytes = envelope_bytes(&id, &t, at, &data);
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            r#"{"id":"evt_01HV3K8Z6X3M9Q7R2T5W8Y1B4C","type":"credits.low","created_at":"2024-03-20T10:15:00Z","data":{"balance":10,"threshold":100}}"#
        );
    }
}
