//! Endpoint URLs: any text is answered; what is accepted is `https` (or
//! `http` in development mode) with a host, no credentials, no fragment, at
//! most 2048 characters, and reads back as itself.
//!
//! Input: the first byte's low bit is development mode, the rest the URL.

#![no_main]

use herald::domain::{AllowTargets, EndpointUrl, TargetPolicy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    let dev = first & 1 == 1;
    let text = String::from_utf8_lossy(rest);
    let policy = if dev { TargetPolicy::development() } else { TargetPolicy::strict(AllowTargets::default()) };
    let Ok(url) = EndpointUrl::parse(&text, &policy) else {
        return;
    };
    let parsed = url::Url::parse(url.as_str()).expect("an accepted URL parses again");
    assert!(parsed.scheme() == "https" || (dev && parsed.scheme() == "http"), "{url}");
    assert!(parsed.host_str().is_some_and(|h| !h.is_empty()), "{url}");
    assert!(parsed.username().is_empty() && parsed.password().is_none(), "{url}");
    assert!(parsed.fragment().is_none(), "{url}");
    assert!(url.as_str().len() <= EndpointUrl::MAX_LEN, "{url}");
    assert_eq!(EndpointUrl::from_trusted(url.as_str()), Some(url));
});
