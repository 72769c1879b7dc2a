//! Where Herald may deliver: in development mode anywhere over `http://` or
//! `https://`; otherwise (strict mode, the default) over `https://` to public
//! addresses and to the blocks the operator trusts (`HERALD_ALLOW_TARGETS`).
//! Endpoint URLs are checked against it at creation, and every address an
//! attempt connects to at send time.

use std::net::IpAddr;

use super::{allow_targets::AllowTargets, ip_policy::is_public};

/// The target rule in force, built once from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetPolicy {
    /// `HERALD_DEV`: every address, and plain `http://`.
    development: bool,
    /// Non-public blocks strict mode still delivers to.
    allow: AllowTargets,
}

impl TargetPolicy {
    /// Strict mode: `https://` only, public addresses and the trusted blocks.
    pub fn strict(allow: AllowTargets) -> Self {
        Self { development: false, allow }
    }

    /// Development mode: any scheme Herald speaks, any address.
    pub fn development() -> Self {
        Self { development: true, allow: AllowTargets::default() }
    }

    /// Whether this is development mode (plain `http://` allowed).
    pub fn is_development(&self) -> bool {
        self.development
    }

    /// Whether an attempt may connect to `ip`.
    pub fn permits(&self, ip: IpAddr) -> bool {
        self.development || is_public(ip) || self.allow.contains(ip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    #[test]
    fn strict_mode_permits_public_and_trusted_addresses_only() {
        let policy = TargetPolicy::strict("127.0.0.1/32,fd00::/8".parse().expect("a valid list"));
        for permitted in ["93.184.216.34", "127.0.0.1", "::ffff:127.0.0.1", "fd00::5"] {
            assert!(policy.permits(ip(permitted)), "{permitted}");
        }
        for refused in ["127.0.0.2", "::1", "10.0.0.1", "169.254.169.254", "fe80::1"] {
            assert!(!policy.permits(ip(refused)), "{refused}");
        }
        assert!(!policy.is_development());
    }

    #[test]
    fn development_mode_permits_everything() {
        let policy = TargetPolicy::development();
        assert!(policy.is_development());
        for any in ["127.0.0.1", "::1", "10.0.0.1", "169.254.169.254", "93.184.216.34"] {
            assert!(policy.permits(ip(any)), "{any}");
        }
    }
}
