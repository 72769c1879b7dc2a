//! The nesting limit of request bodies: one cheap pass over the raw bytes,
//! before any parser recurses, that finds where a body nests arrays and
//! objects deeper than allowed and names that place by JSON pointer.
//!
//! It is not a validator: malformed JSON is scanned without panicking and left
//! to the parser to refuse. Its stack never holds more than the limit.

/// The deepest nesting of arrays and objects accepted in a request body, the
/// body itself being level 1 (an event's `data` is level 2).
pub const MAX_DEPTH: usize = 32;

/// One open array or object.
enum Frame {
    /// An array, and the index of the element being read.
    Array(usize),
    /// An object: the byte range of the last key read (quotes included), and
    /// whether the next string is a key.
    Object { key: Option<(usize, usize)>, expect_key: bool },
}

/// The JSON pointer of the first array or object of `bytes` that opens more
/// than `max` levels deep; `None` when none does.
pub fn too_deep(bytes: &[u8], max: usize) -> Option<String> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                let end = string_end(bytes, i);
                if let Some(Frame::Object { key, expect_key: expect_key @ true }) = stack.last_mut() {
                    *key = Some((i, end));
                    *expect_key = false;
                }
                i = end;
                continue;
            }
            b'[' | b'{' if stack.len() >= max => return Some(pointer(bytes, &stack)),
            b'[' => stack.push(Frame::Array(0)),
            b'{' => stack.push(Frame::Object { key: None, expect_key: true }),
            b']' | b'}' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array(index)) => *index += 1,
                Some(Frame::Object { expect_key, .. }) => *expect_key = true,
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    None
}

/// The index just past the string whose opening quote is at `start` (the
/// end of the input if it never closes).
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The pointer of the place the innermost open container is reading.
fn pointer(bytes: &[u8], stack: &[Frame]) -> String {
    let mut out = String::new();
    for frame in stack {
        out.push('/');
        match frame {
            Frame::Array(index) => out.push_str(&index.to_string()),
            Frame::Object { key: Some((start, end)), .. } => {
                let key = decode_key(bytes.get(*start..*end).unwrap_or_default());
                out.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            // Malformed: a value where a key should be.
            Frame::Object { key: None, .. } => {}
        }
    }
    out
}

/// A key's text, escapes resolved; lossily when the key is not valid JSON.
fn decode_key(raw: &[u8]) -> String {
    serde_json::from_slice::<String>(raw).unwrap_or_else(|_| {
        let inner = raw.strip_prefix(b"\"").unwrap_or(raw);
        String::from_utf8_lossy(inner.strip_suffix(b"\"").unwrap_or(inner)).into_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(levels: usize) -> String {
        format!("{}{}", "[".repeat(levels), "]".repeat(levels))
    }

    #[test]
    fn the_limit_itself_is_accepted_and_one_more_level_is_not() {
        assert_eq!(too_deep(nested(MAX_DEPTH).as_bytes(), MAX_DEPTH), None);
        let pointer = too_deep(nested(MAX_DEPTH + 1).as_bytes(), MAX_DEPTH).unwrap();
        assert_eq!(pointer, "/0".repeat(MAX_DEPTH));
    }

    #[test]
    fn the_pointer_names_keys_and_indexes_with_escapes() {
        let body = br#"{"type":"x","data":{"a/b":[1,{"c~":{"d\"e":[[]]}}]}}"#;
        assert_eq!(too_deep(body, 5).as_deref(), Some("/data/a~1b/1/c~0/d\"e"));
        assert_eq!(too_deep(body, 7), None);
    }

    #[test]
    fn brackets_inside_strings_do_not_count() {
        let body = format!(r#"{{"s":"{}\"{}"}}"#, "[".repeat(100), "{".repeat(100));
        assert_eq!(too_deep(body.as_bytes(), 2), None);
    }

    #[test]
    fn malformed_input_is_scanned_without_panicking() {
        for body in [&b"\"\\"[..], b"{\"a", b"]]]]}}}{", b"{[[[", b"\xff\xfe{\"\xff\":[", b""] {
            let _ = too_deep(body, 2);
        }
        assert_eq!(too_deep(b"{[[[", 2).as_deref(), Some("//0"));
    }
}
