//! Names the kind of a failed HTTP exchange (`timeout`, `blocked_address`,
//! `dns`, `tls`, `connect`, `other`) from a client error and its causes.
//!
//! Typed causes decide first (the guard's [`BlockedAddress`], I/O error kinds,
//! rustls errors); the messages of hyper's private error types decide the
//! rest. The top-level error's own text is never read: it carries the
//! endpoint URL, which must not decide anything.

use std::{error::Error, io};

use super::address_guard::BlockedAddress;
use crate::domain::AttemptError;

/// The kind of a transport failure.
///
/// `connect` covers a connection that could not be made or was cut before
/// the answer was complete (refused, reset, closed early); `other` is
/// whatever is left, an answer that is not HTTP above all.
pub fn classify(e: &reqwest::Error) -> AttemptError {
    let causes = causes(e);
    if causes.iter().any(|c| c.downcast_ref::<BlockedAddress>().is_some()) {
        return AttemptError::BlockedAddress;
    }
    if e.is_timeout() || causes.iter().any(|c| io_kind(*c) == Some(io::ErrorKind::TimedOut)) {
        return AttemptError::Timeout;
    }
    let text: Vec<String> = causes.iter().map(|c| c.to_string().to_ascii_lowercase()).collect();
    let says = |needle: &str| text.iter().any(|t| t.contains(needle));
    if says("dns error") || says("failed to lookup address") {
        return AttemptError::Dns;
    }
    if causes.iter().any(|c| c.downcast_ref::<rustls::Error>().is_some()) {
        return AttemptError::Tls;
    }
    let cut = [
        io::ErrorKind::ConnectionRefused,
        io::ErrorKind::ConnectionReset,
        io::ErrorKind::ConnectionAborted,
        io::ErrorKind::NotConnected,
        io::ErrorKind::BrokenPipe,
        io::ErrorKind::UnexpectedEof,
    ];
    if causes.iter().any(|c| io_kind(*c).is_some_and(|kind| cut.contains(&kind)))
        || says("connection closed before message completed")
        || says("tcp connect error")
    {
        return AttemptError::Connect;
    }
    if e.is_connect() {
        return AttemptError::Connect;
    }
    AttemptError::Other
}

/// The most a detail keeps, in bytes: enough for any cause chain worth reading.
pub const MAX_DETAIL: usize = 512;

/// What went wrong, for the attempt log: the innermost cause, which says
/// it (`Connection refused (os error 111)`; the client's layers around it,
/// `tcp connect error` and the like, add nothing), and for a failed
/// connection the address tried (`connecting to 127.0.0.1:9`); or the
/// guard's refusal alone. The client's own text is left out: it repeats the
/// endpoint URL, whose query may hold a credential.
pub fn describe(e: &reqwest::Error) -> String {
    let causes = causes(e);
    // The guard's refusal says all there is; the client wraps it as a DNS error.
    if let Some(blocked) = causes.iter().find_map(|c| c.downcast_ref::<BlockedAddress>()) {
        return blocked.to_string();
    }
    let mut detail = causes.last().map_or_else(|| "the request could not be made".to_owned(), |c| c.to_string());
    if e.is_connect() {
        if let Some(url) = e.url() {
            let host = url.host_str().unwrap_or_default();
            let port = url.port_or_known_default().unwrap_or_default();
            detail.push_str(&format!(", connecting to {host}:{port}"));
        }
    }
    if detail.len() > MAX_DETAIL {
        let cut = (0..=MAX_DETAIL).rev().find(|i| detail.is_char_boundary(*i)).unwrap_or(0);
        detail.truncate(cut);
    }
    detail
}

/// Every cause below `e`, outermost first. An I/O error is followed into the
/// error it wraps (a rustls error, another I/O error), which its `source()`
/// skips.
fn causes<'a>(e: &'a reqwest::Error) -> Vec<&'a (dyn Error + 'static)> {
    let mut found = Vec::new();
    let mut next = e.source();
    while let Some(cause) = next {
        found.push(cause);
        next = match cause.downcast_ref::<io::Error>() {
            Some(io) => io.get_ref().map(|inner| inner as &(dyn Error + 'static)),
            None => cause.source(),
        };
    }
    found
}

fn io_kind(e: &(dyn Error + 'static)) -> Option<io::ErrorKind> {
    e.downcast_ref::<io::Error>().map(io::Error::kind)
}
