//! Which target addresses are public: the rule behind strict mode's address
//! guard. Pure, no I/O.
//!
//! IPv4 refuses the special-purpose ranges of the IANA registry (RFC 6890 and
//! successors). IPv6 is judged by allow-list: only global unicast
//! (`2000::/3`) can be public, minus the special blocks inside it; addresses
//! that carry an IPv4 address (IPv4-mapped, NAT64 `64:ff9b::/96`, 6to4
//! `2002::/16`) are judged by that IPv4 address, so `::ffff:127.0.0.1` and
//! `2002:7f00:1::` are refused like `127.0.0.1`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether an address is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    special_range(ip).is_none()
}

/// The special-purpose block an address falls in, named for people (say
/// `loopback 127.0.0.0/8`), or `None` for a public address. An address that
/// carries an IPv4 address is named by that one's block.
pub fn special_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => special_v4(v4),
        IpAddr::V6(v6) => special_v6(v6),
    }
}

fn special_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    let name = match (a, b, c) {
        (0, ..) => "\"this network\" 0.0.0.0/8",
        (10, ..) => "private 10.0.0.0/8",
        (127, ..) => "loopback 127.0.0.0/8",
        (100, 64..=127, _) => "shared address space (CGNAT) 100.64.0.0/10",
        (169, 254, _) => "link-local 169.254.0.0/16 (cloud metadata included)",
        (172, 16..=31, _) => "private 172.16.0.0/12",
        (192, 0, 0) => "IETF protocol assignments 192.0.0.0/24",
        (192, 0, 2) => "documentation 192.0.2.0/24",
        (192, 88, 99) => "6to4 relay anycast 192.88.99.0/24",
        (192, 168, _) => "private 192.168.0.0/16",
        (198, 18 | 19, _) => "benchmarking 198.18.0.0/15",
        (198, 51, 100) => "documentation 198.51.100.0/24",
        (203, 0, 113) => "documentation 203.0.113.0/24",
        (224..=239, ..) => "multicast 224.0.0.0/4",
        (240.., ..) => "reserved 240.0.0.0/4 (broadcast included)",
        _ => return None,
    };
    Some(name)
}

fn special_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = embedded_v4(ip) {
        return special_v4(v4);
    }
    let s = ip.segments();
    let name = match s[0] {
        0x2000..=0x3fff => match (s[0], s[1]) {
            // IETF protocol assignments 2001::/23 (Teredo 2001::/32, benchmarking, ORCHID)
            (0x2001, 0..=0x01ff) => "IETF protocol assignments 2001::/23",
            (0x2001, 0x0db8) => "documentation 2001:db8::/32",
            (0x3ff0..=0x3fff, _) => "documentation 3fff::/20",
            _ => return None,
        },
        0 if ip.is_loopback() => "loopback ::1",
        0 if ip.is_unspecified() => "unspecified ::",
        0xfc00..=0xfdff => "unique local fc00::/7",
        0xfe80..=0xfebf => "link-local fe80::/10",
        0xff00..=0xffff => "multicast ff00::/8",
        _ => "IPv6 outside global unicast 2000::/3",
    };
    Some(name)
}

/// The IPv4 address an IPv6 address stands for, in the forms that route to it:
/// IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d` and 6to4
/// `2002:aabb:ccdd::/48`.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let [.., w, x, y, z] = ip.octets();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    if s[..6] == [0x0064, 0xff9b, 0, 0, 0, 0] {
        return Some(Ipv4Addr::new(w, x, y, z));
    }
    if s[0] == 0x2002 {
        let [hi, lo] = [s[1].to_be_bytes(), s[2].to_be_bytes()];
        return Some(Ipv4Addr::new(hi[0], hi[1], lo[0], lo[1]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(s: &str) -> bool {
        is_public(s.parse().expect("an IP address in the table"))
    }

    /// Every refused range, with an address at its start, inside and at its end.
    const REFUSED: &[(&str, &[&str])] = &[
        ("0/8 this network", &["0.0.0.0", "0.1.2.3", "0.255.255.255"]),
        ("10/8 private", &["10.0.0.0", "10.1.2.3", "10.255.255.255"]),
        ("100.64/10 CGNAT", &["100.64.0.0", "100.100.100.100", "100.127.255.255"]),
        ("127/8 loopback", &["127.0.0.1", "127.1.2.3", "127.255.255.255"]),
        ("169.254/16 link-local", &["169.254.0.0", "169.254.169.254", "169.254.255.255"]),
        ("172.16/12 private", &["172.16.0.0", "172.20.1.1", "172.31.255.255"]),
        ("192.0.0/24 protocol assignments", &["192.0.0.0", "192.0.0.8", "192.0.0.255"]),
        ("192.0.2/24 documentation", &["192.0.2.0", "192.0.2.1", "192.0.2.255"]),
        ("192.88.99/24 6to4 relay", &["192.88.99.0", "192.88.99.1", "192.88.99.255"]),
        ("192.168/16 private", &["192.168.0.0", "192.168.1.1", "192.168.255.255"]),
        ("198.18/15 benchmarking", &["198.18.0.0", "198.18.0.1", "198.19.255.255"]),
        ("198.51.100/24 documentation", &["198.51.100.0", "198.51.100.7", "198.51.100.255"]),
        ("203.0.113/24 documentation", &["203.0.113.0", "203.0.113.9", "203.0.113.255"]),
        ("224/4 multicast", &["224.0.0.0", "224.0.0.1", "239.255.255.255"]),
        ("240/4 reserved", &["240.0.0.0", "250.1.2.3", "255.255.255.254"]),
        ("broadcast", &["255.255.255.255"]),
        ("::1 loopback", &["::1"]),
        (":: unspecified", &["::"]),
        ("::/96 IPv4-compatible (deprecated)", &["::7f00:1", "::808:808"]),
        ("::ffff:0:0/96 IPv4-mapped non-public", &["::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254"]),
        ("64:ff9b::/96 NAT64 of non-public", &["64:ff9b::7f00:1", "64:ff9b::a00:1", "64:ff9b::a9fe:a9fe"]),
        ("64:ff9b:1::/48 local-use NAT64", &["64:ff9b:1::808:808"]),
        ("100::/64 discard", &["100::", "100::1"]),
        ("2001::/32 Teredo", &["2001::", "2001::1", "2001:0:ffff:ffff:ffff:ffff:ffff:ffff"]),
        ("2001::/23 protocol assignments", &["2001:2::1", "2001:10::1", "2001:1ff::1"]),
        ("2001:db8::/32 documentation", &["2001:db8::", "2001:db8::1", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"]),
        ("2002::/16 6to4 of non-public", &["2002:7f00:1::", "2002:a00:1::1", "2002:c0a8:101::", "2002::"]),
        ("3fff::/20 documentation", &["3fff::1", "3fff:fff::1"]),
        ("fc00::/7 unique local", &["fc00::", "fd12:3456::1", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]),
        ("fe80::/10 link-local", &["fe80::", "fe80::1", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]),
        ("fec0::/10 site-local (deprecated)", &["fec0::1"]),
        ("ff00::/8 multicast", &["ff00::", "ff02::1", "ff0e::1"]),
        ("outside 2000::/3", &["4000::1", "5f00::1", "e000::1"]),
    ];

    #[test]
    fn every_special_range_is_refused() {
        for (range, addresses) in REFUSED {
            for ip in *addresses {
                assert!(!public(ip), "{ip} ({range}) should be refused");
            }
        }
    }

    #[test]
    fn ordinary_internet_addresses_are_public() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "9.255.255.255",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "169.253.255.255",
            "172.15.255.255",
            "172.32.0.0",
            "192.0.1.255",
            "192.0.3.0",
            "192.167.255.255",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "2606:4700::1111",
            "2a00:1450:4001:80b::200e",
            "2001:200::1",
            "2001:db9::1",
            "::ffff:93.184.216.34",
            "64:ff9b::5db8:d822",
            "2002:5db8:d822::1",
        ] {
            assert!(public(ip), "{ip} should be allowed");
        }
    }

    #[test]
    fn a_refused_address_is_named_by_its_block() {
        let name = |ip: &str| special_range(ip.parse().expect("an IP address"));
        assert_eq!(name("127.0.0.1"), Some("loopback 127.0.0.0/8"));
        assert_eq!(name("::ffff:10.1.2.3"), Some("private 10.0.0.0/8"));
        assert_eq!(name("fd12::1"), Some("unique local fc00::/7"));
        assert_eq!(name("8.8.8.8"), None);
    }
}
