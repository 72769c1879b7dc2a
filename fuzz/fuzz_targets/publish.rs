//! A publish request's body, as the API reads it: any bytes are refused with
//! a 4xx whose every error points under the item at fault, or become events
//! whose envelope carries the `data` as published. Bodies that are arrays are
//! read as a batch.

#![no_main]

use std::sync::LazyLock;

use herald::{
    api::{body::parse_json, events::parse_event},
    domain::{Catalog, Timestamp},
};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

static CATALOG: LazyLock<Catalog> = LazyLock::new(Catalog::builtin);

fn check(item: &Value, base: &str) {
    match parse_event(&CATALOG, item, base, Timestamp::now()) {
        Ok(event) => {
            let envelope: Value = serde_json::from_slice(&event.payload).expect("the envelope is JSON");
            assert_eq!(envelope["data"], item["data"]);
            assert_eq!(envelope["type"].as_str(), Some(event.event_type.as_str()));
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            for e in errors {
                assert!(e.pointer.as_deref().is_some_and(|p| p.starts_with(base)), "{e:?} under {base}");
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    match parse_json(data) {
        Err(e) => assert!(e.status().is_client_error(), "{e:?}"),
        Ok(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                check(item, &format!("/{i}"));
            }
        }
        Ok(body) => check(&body, ""),
    }
});
