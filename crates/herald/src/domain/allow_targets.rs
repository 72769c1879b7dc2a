//! The operator's trusted targets (`HERALD_ALLOW_TARGETS`): CIDR blocks, IPv4
//! or IPv6, that strict mode delivers to although they are not public (an
//! internal service the operator runs, a staging network). Parsed once, at
//! start, into [`AllowTargets`]; a bad entry stops Herald with the reason.

use std::{fmt, net::IpAddr, str::FromStr, sync::Arc};

use ipnet::IpNet;

/// The address blocks an operator trusts; empty unless configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowTargets(Arc<[IpNet]>);

/// Why an entry of `HERALD_ALLOW_TARGETS` was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AllowTargetsError {
    /// Neither `address/prefix` nor a bare address.
    #[error("`{0}` is not a CIDR block or an IP address (write for example 10.0.0.0/8, 192.168.1.5 or fd00::/8)")]
    NotACidr(String),
    /// `10.0.0.1/8`: most likely a typo, since it reads as one address but means a block.
    #[error(
        "`{given}` has bits set after its prefix: write `{network}` for the block, or `{address}` for one address"
    )]
    HostBits {
        /// The entry as written.
        given: String,
        /// The block it means.
        network: IpNet,
        /// The address it names.
        address: IpAddr,
    },
}

impl AllowTargets {
    /// Whether no block is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` is in a trusted block; an IPv4-mapped IPv6 address is
    /// judged as the IPv4 address it carries.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|block| block.contains(&ip))
    }
}

impl FromStr for AllowTargets {
    type Err = AllowTargetsError;

    /// Comma-separated blocks; spaces and empty entries are ignored, a bare
    /// address is a block of one.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split(',').map(str::trim).filter(|entry| !entry.is_empty()).map(parse_block).collect()
    }
}

impl FromIterator<IpNet> for AllowTargets {
    fn from_iter<I: IntoIterator<Item = IpNet>>(blocks: I) -> Self {
        Self(blocks.into_iter().collect())
    }
}

impl fmt::Display for AllowTargets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let blocks: Vec<String> = self.0.iter().map(IpNet::to_string).collect();
        f.write_str(&blocks.join(","))
    }
}

fn parse_block(entry: &str) -> Result<IpNet, AllowTargetsError> {
    if !entry.contains('/') {
        return entry.parse::<IpAddr>().map(IpNet::from).map_err(|_| AllowTargetsError::NotACidr(entry.to_owned()));
    }
    let block: IpNet = entry.parse().map_err(|_| AllowTargetsError::NotACidr(entry.to_owned()))?;
    if block.trunc() != block {
        return Err(AllowTargetsError::HostBits {
            given: entry.to_owned(),
            network: block.trunc(),
            address: block.addr(),
        });
    }
    Ok(block)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allow(s: &str) -> AllowTargets {
        s.parse().expect("a valid list")
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    #[test]
    fn blocks_of_both_families_are_parsed_and_matched() {
        let list = allow(" 10.0.0.0/8, 192.168.1.5 ,fd00::/8,,::1/128 ");
        for inside in ["10.0.0.0", "10.255.255.255", "192.168.1.5", "fd12::1", "::1", "::ffff:10.1.2.3"] {
            assert!(list.contains(ip(inside)), "{inside} is trusted");
        }
        for outside in ["11.0.0.0", "192.168.1.6", "fe80::1", "::2", "127.0.0.1"] {
            assert!(!list.contains(ip(outside)), "{outside} is not trusted");
        }
        assert_eq!(list.to_string(), "10.0.0.0/8,192.168.1.5/32,fd00::/8,::1/128");
    }

    #[test]
    fn nothing_configured_trusts_nothing() {
        let list = allow("");
        assert!(list.is_empty());
        assert!(!list.contains(ip("127.0.0.1")));
        assert_eq!(AllowTargets::default(), list);
    }

    #[test]
    fn a_bad_entry_is_refused_with_the_reason() {
        for bad in ["10.0.0.0/33", "10.0.0.300/8", "localhost", "10/8", "fd00::/129", "10.0.0.0/"] {
            assert_eq!(bad.parse::<AllowTargets>(), Err(AllowTargetsError::NotACidr(bad.into())), "{bad}");
        }
        let err = "127.0.0.1/32,10.0.0.1/8".parse::<AllowTargets>().expect_err("host bits");
        assert_eq!(
            err.to_string(),
            "`10.0.0.1/8` has bits set after its prefix: write `10.0.0.0/8` for the block, or `10.0.0.1` for one address"
        );
    }
}
