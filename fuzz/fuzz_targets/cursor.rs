//! List cursors: any text given as `?cursor=` is answered (an id, or
//! refused); a cursor gives its id back to the list it came from and to no
//! other account's.

#![no_main]

use herald::api::query::{decode_cursor, encode_cursor, MAX_CURSOR_LEN};
use libfuzzer_sys::fuzz_target;

const SCOPE: &str = "acc_1/events";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = decode_cursor(&text, SCOPE);

    let cursor = encode_cursor(SCOPE, &text);
    if cursor.len() <= MAX_CURSOR_LEN {
        assert_eq!(decode_cursor(&cursor, SCOPE).as_deref(), Some(&*text));
        assert_eq!(decode_cursor(&cursor, "acc_2/events"), None);
    }
});
