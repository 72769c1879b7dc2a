//! The address guard: outside development mode, attempts go only to public
//! addresses. Host names are resolved by [`GuardedResolver`], which refuses a
//! name if any of its addresses is not public; IP literals are checked before
//! the request is made.

use std::{
    error::Error,
    fmt,
    net::{IpAddr, SocketAddr},
};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

pub use crate::domain::ip_policy::is_public;

/// The error a refused target produces; the sender logs it as `blocked_address`.
#[derive(Debug)]
pub struct BlockedAddress(pub IpAddr);

impl fmt::Display for BlockedAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "blocked address {}: not a public address", self.0)
    }
}

impl Error for BlockedAddress {}

/// Resolves host names and refuses any that reach a non-public address.
#[derive(Debug, Default)]
pub struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
                return Err(Box::new(BlockedAddress(bad.ip())) as Box<dyn Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}
