//! The address guard of strict mode: every address an attempt connects to is
//! one the [`TargetPolicy`] permits.
//!
//! Host names are resolved by [`GuardedResolver`], the HTTP client's only
//! resolver: it refuses a name if *any* of its addresses is refused, and
//! otherwise hands the client exactly the addresses it checked, which the
//! client connects to without a second lookup (so a DNS answer that changes
//! between a check and a connect, DNS rebinding, cannot slip through). IP
//! literals never reach a resolver; the sender checks them with
//! [`TargetPolicy::permits`] before the request is made.

use std::{
    error::Error,
    fmt, io,
    net::{IpAddr, SocketAddr},
};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::domain::{ip_policy::special_range, TargetPolicy};

/// The error a refused target produces; the sender logs it as
/// `blocked_address`, and its text, which names the address, the host name
/// that led to it and the block it is in, as the attempt's detail.
#[derive(Debug)]
pub struct BlockedAddress {
    /// The address refused.
    pub ip: IpAddr,
    /// The host name that resolved to it; `None` for an IP literal.
    pub host: Option<String>,
}

impl fmt::Display for BlockedAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(host) = &self.host {
            write!(f, "{host} resolves to {}", self.ip)?;
        } else {
            write!(f, "{}", self.ip)?;
        }
        let range = special_range(self.ip).unwrap_or("a special-purpose block");
        write!(
            f,
            ", which is not a public address ({range}); strict mode delivers only to public addresses \
             and to the blocks listed in HERALD_ALLOW_TARGETS"
        )
    }
}

impl Error for BlockedAddress {}

/// Resolves host names and refuses any that reach an address the policy refuses.
#[derive(Debug)]
pub struct GuardedResolver {
    /// The rule every resolved address is held to.
    policy: TargetPolicy,
}

impl GuardedResolver {
    /// A resolver holding addresses to `policy`.
    pub fn new(policy: TargetPolicy) -> Self {
        Self { policy }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if addrs.is_empty() {
                let none = io::Error::new(io::ErrorKind::NotFound, format!("{} has no address", name.as_str()));
                return Err(Box::new(none) as Box<dyn Error + Send + Sync>);
            }
            checked(&policy, name.as_str(), addrs)
                .map(|addrs| Box::new(addrs.into_iter()) as Addrs)
                .map_err(|blocked| Box::new(blocked) as Box<dyn Error + Send + Sync>)
        })
    }
}

/// The addresses themselves if the policy permits every one, else the first it refuses.
fn checked(policy: &TargetPolicy, host: &str, addrs: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, BlockedAddress> {
    match addrs.iter().find(|a| !policy.permits(a.ip())) {
        Some(refused) => Err(BlockedAddress { ip: refused.ip(), host: Some(host.to_owned()) }),
        None => Ok(addrs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(list: &[&str]) -> Vec<SocketAddr> {
        list.iter().map(|ip| SocketAddr::new(ip.parse().expect("an address"), 0)).collect()
    }

    #[test]
    fn one_refused_address_refuses_the_whole_name() {
        let strict = TargetPolicy::strict(Default::default());
        let refused = checked(&strict, "mixed.example", addrs(&["93.184.216.34", "127.0.0.1", "8.8.8.8"]));
        let blocked = refused.expect_err("a loopback address among them");
        assert_eq!(blocked.ip, "127.0.0.1".parse::<IpAddr>().expect("an address"));
        assert_eq!(
            blocked.to_string(),
            "mixed.example resolves to 127.0.0.1, which is not a public address (loopback 127.0.0.0/8); \
             strict mode delivers only to public addresses and to the blocks listed in HERALD_ALLOW_TARGETS"
        );
    }

    #[test]
    fn permitted_names_keep_exactly_their_checked_addresses() {
        let trusting = TargetPolicy::strict("10.0.0.0/8".parse().expect("a valid list"));
        let all = addrs(&["93.184.216.34", "10.1.2.3", "2606:4700::1111"]);
        assert_eq!(checked(&trusting, "trusted.example", all.clone()).ok(), Some(all));
    }

    #[tokio::test]
    async fn localhost_is_refused_by_the_resolver() {
        let resolver = GuardedResolver::new(TargetPolicy::strict(Default::default()));
        let name: Name = "localhost".parse().expect("a name");
        let err = match resolver.resolve(name).await {
            Ok(addrs) => panic!("localhost resolved to {:?}", addrs.collect::<Vec<_>>()),
            Err(err) => err,
        };
        assert!(err.downcast_ref::<BlockedAddress>().is_some(), "{err}");
    }
}
