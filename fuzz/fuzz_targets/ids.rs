//! Ids, as paths, filters and list cursors (`?cursor=` is the id of the
//! last item of the page before) give them: any text is answered, an id or
//! a refusal, and an id once read reads back the same.

#![no_main]

use herald::domain::{AccountId, DeliveryId, EndpointId, EventId};
use libfuzzer_sys::fuzz_target;

/// Parses `text` with `parse`; an id it gives parses again to itself.
fn round_trip<T: ToString + PartialEq + std::fmt::Debug, E>(text: &str, parse: impl Fn(&str) -> Result<T, E>) {
    if let Ok(id) = parse(text) {
        assert!(parse(&id.to_string()).is_ok_and(|again| again == id));
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    round_trip(&text, EventId::parse);
    round_trip(&text, EndpointId::parse);
    round_trip(&text, DeliveryId::parse);
    round_trip(&text, AccountId::parse);
});
