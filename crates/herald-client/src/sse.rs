//! A Server-Sent Events parser: bytes in, whole items out, as the SSE
//! specification parses them (`data:` lines joined, one leading space
//! dropped, comments kept, `id:` remembered across events). No I/O: the
//! live stream (`live.rs`) feeds it the chunks it reads.

/// One thing a stream said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Item {
    /// An event: the last event id in force, its type (`message` if none), and its data bytes.
    Event {
        /// The last `id:` seen, in this event or before it.
        id: Option<String>,
        /// The `event:` field.
        event: String,
        /// The `data:` lines joined with `\n`, as bytes.
        data: Vec<u8>,
    },
    /// An `id:` with no data: a position to resume from, and no event.
    Position(String),
    /// A comment line (`: text`), without the colon and its space.
    Comment(String),
}

/// The parser's state between chunks.
#[derive(Debug, Default)]
pub(crate) struct Reader {
    /// The bytes of the line being read.
    line: Vec<u8>,
    /// Whether the last byte was a `\r`, so that a `\n` right after it ends nothing.
    after_cr: bool,
    /// The event being gathered.
    event: String,
    /// Its data lines, joined with `\n`.
    data: Vec<u8>,
    /// Whether it has a data line at all.
    has_data: bool,
    /// Whether it set the id.
    set_id: bool,
    /// The last event id in force.
    last_id: Option<String>,
}

impl Reader {
    /// Reads one chunk; returns what it completed.
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Vec<Item> {
        let mut items = Vec::new();
        for &byte in chunk {
            let after_cr = std::mem::replace(&mut self.after_cr, byte == b'\r');
            match byte {
                b'\n' if after_cr => {}
                b'\n' | b'\r' => {
                    let line = std::mem::take(&mut self.line);
                    items.extend(self.line_ended(&line));
                }
                _ => self.line.push(byte),
            }
        }
        items
    }

    /// Handles one complete line.
    fn line_ended(&mut self, line: &[u8]) -> Option<Item> {
        if line.is_empty() {
            return self.dispatch();
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(0) => return Some(Item::Comment(text(strip_space(&line[1..])))),
            Some(i) => (&line[..i], strip_space(&line[i + 1..])),
            None => (line, &[][..]),
        };
        match field {
            b"event" => self.event = text(value),
            b"data" => {
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value);
                self.has_data = true;
            }
            b"id" if !value.contains(&0) => {
                self.last_id = Some(text(value)).filter(|id| !id.is_empty());
                self.set_id = true;
            }
            _ => {} // `retry:` and unknown fields are of no use to the tools
        }
        None
    }

    /// A blank line: the gathered event, if it has data; else the position it set, if any.
    fn dispatch(&mut self) -> Option<Item> {
        let event = std::mem::take(&mut self.event);
        let data = std::mem::take(&mut self.data);
        let has_data = std::mem::replace(&mut self.has_data, false);
        let set_id = std::mem::replace(&mut self.set_id, false);
        if has_data {
            let event = if event.is_empty() { "message".to_owned() } else { event };
            return Some(Item::Event { id: self.last_id.clone(), event, data });
        }
        if set_id {
            return self.last_id.clone().map(Item::Position);
        }
        None
    }
}

/// A field's value without the one space SSE allows after the colon.
fn strip_space(value: &[u8]) -> &[u8] {
    value.strip_prefix(b" ").unwrap_or(value)
}

/// Field text; SSE is UTF-8, and anything else is replaced rather than refused.
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, event: &str, data: &str) -> Item {
        Item::Event { id: Some(id.into()), event: event.into(), data: data.as_bytes().to_vec() }
    }

    #[test]
    fn events_positions_and_comments_come_out_whole() {
        let mut reader = Reader::default();
        let items = reader.push(b": hello\nid: evt_0\n\nid: evt_1\nevent: credits.low\ndata: {\"a\":1}\n\n");
        assert_eq!(
            items,
            vec![
                Item::Comment("hello".into()),
                Item::Position("evt_0".into()),
                event("evt_1", "credits.low", "{\"a\":1}")
            ]
        );
    }

    #[test]
    fn chunks_may_split_anything_and_line_ends_may_be_cr_lf() {
        let stream = b"id: evt_1\r\nevent: a.b\r\ndata: x\r\ndata:y\r\n\r\n";
        let mut reader = Reader::default();
        let mut items = Vec::new();
        for byte in stream {
            items.extend(reader.push(std::slice::from_ref(byte)));
        }
        assert_eq!(items, vec![event("evt_1", "a.b", "x\ny")]);
    }

    #[test]
    fn the_id_stays_in_force_until_changed() {
        let mut reader = Reader::default();
        let items = reader.push(b"id: evt_1\n\ndata: x\n\n");
        assert_eq!(items, vec![Item::Position("evt_1".into()), event("evt_1", "message", "x")]);
    }

    #[test]
    fn heralds_opening_is_a_comment_and_a_position_then_events_and_keep_alives() {
        let mut reader = Reader::default();
        let stream = b": following the events after evt_0\nid: evt_0\n\nid: evt_1\nevent: credits.low\n\
            data: {\"id\":\"evt_1\"}\n\n: keep-alive\n\n";
        assert_eq!(
            reader.push(stream),
            vec![
                Item::Comment("following the events after evt_0".into()),
                Item::Position("evt_0".into()),
                event("evt_1", "credits.low", "{\"id\":\"evt_1\"}"),
                Item::Comment("keep-alive".into()),
            ]
        );
    }
}
