//! Server-Sent Events framing: one event per stored envelope (`id:`, `event:`,
//! `data:`), comments, and the position line a stream opens with.

use bytes::Bytes;

use crate::{domain::EventId, store::StoredEvent};

/// The comment sent to keep an idle connection open.
pub const KEEP_ALIVE: &str = "keep-alive";

/// One event: `id:` the event id, `event:` its type, `data:` the envelope
/// bytes exactly as delivered (stored JSON holds no line breaks; were there
/// any, each line would get its own `data:`, which SSE joins back with `\n`).
pub fn event(event: &StoredEvent) -> Bytes {
    let mut out = Vec::with_capacity(event.payload.len() + 96);
    out.extend_from_slice(b"id: ");
    out.extend_from_slice(event.id.as_str().as_bytes());
    out.extend_from_slice(b"\nevent: ");
    out.extend_from_slice(event.event_type.as_str().as_bytes());
    out.push(b'\n');
    for line in lines(&event.payload) {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out.push(b'\n');
    Bytes::from(out)
}

/// A comment (`: text`), which readers ignore; one `:` line per line of text.
pub fn comment(text: &str) -> Bytes {
    let mut out = String::with_capacity(text.len() + 4);
    for line in text.lines() {
        out.push_str(": ");
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    Bytes::from(out)
}

/// The first frame: a comment for people and an `id:` with no data, which
/// sets an SSE client's last event id without dispatching an event. A client
/// that loses the connection before any event arrives resumes from here, so
/// the events published in between are not lost.
pub fn opening(position: &EventId) -> Bytes {
    Bytes::from(format!(": following the events after {position}\nid: {position}\n\n"))
}

/// The lines of a payload, split at `\r\n`, `\n` or `\r` as SSE reads them.
fn lines(payload: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < payload.len() {
        match payload[i] {
            b'\n' => {
                out.push(&payload[start..i]);
                start = i + 1;
            }
            b'\r' => {
                out.push(&payload[start..i]);
                if payload.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&payload[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EventType, Timestamp};

    fn stored(payload: &[u8]) -> StoredEvent {
        StoredEvent {
            id: EventId::parse("evt_01JQ8Z6X3M0000000000000000").unwrap(),
            event_type: EventType::parse("project.completed").unwrap(),
            created_at: Timestamp::now(),
            payload: payload.to_vec(),
        }
    }

    #[test]
    fn an_event_carries_its_id_type_and_envelope_bytes() {
        let frame = event(&stored(br#"{"id":"evt_01JQ8Z6X3M0000000000000000","data":{}}"#));
        assert_eq!(
            frame,
            "id: evt_01JQ8Z6X3M0000000000000000\nevent: project.completed\n\
             data: {\"id\":\"evt_01JQ8Z6X3M0000000000000000\",\"data\":{}}\n\n"
        );
    }

    #[test]
    fn line_breaks_become_data_lines() {
        assert_eq!(lines(b"a\nb\r\nc\rd"), vec![&b"a"[..], b"b", b"c", b"d"]);
        assert!(event(&stored(b"a\nb")).ends_with(b"data: a\ndata: b\n\n"));
    }

    #[test]
    fn comments_and_the_opening_are_ignored_by_readers_but_the_id_is_kept() {
        assert_eq!(comment("keep-alive"), ": keep-alive\n\n");
        assert_eq!(comment("one\ntwo"), ": one\n: two\n\n");
        let position = EventId::lower_bound(0);
        assert_eq!(opening(&position), format!(": following the events after {position}\nid: {position}\n\n"));
    }
}
