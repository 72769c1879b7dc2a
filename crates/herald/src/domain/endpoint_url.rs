//! Endpoint URLs: absolute `https://` (or `http://` in development mode), no
//! credentials, no fragment, at most 2048 characters, and no IP literal the
//! target policy refuses. IP literals are read after the WHATWG
//! normalisation of the `url` crate, so `https://2130706433/`,
//! `https://0177.0.0.1/` and `https://0x7f.1/` are all `127.0.0.1` here, as
//! they would be on the wire.

use std::{fmt, net::IpAddr};

use super::{ip_policy::special_range, target_policy::TargetPolicy};

/// A URL Herald may POST to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointUrl(url::Url);

/// Why a URL was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UrlError {
    /// Not a URL at all.
    #[error("not an absolute URL: {0}")]
    Malformed(String),
    /// Plain HTTP outside development mode.
    #[error(
        "must use https:// (http:// is allowed only in development mode: start Herald with --dev or HERALD_DEV=1)"
    )]
    NotHttps,
    /// A scheme Herald cannot POST to.
    #[error("the scheme must be https (or http in development mode)")]
    Scheme,
    /// `user:password@` in the URL.
    #[error("must not carry a user name or password")]
    Credentials,
    /// `#fragment` in the URL.
    #[error("must not carry a #fragment")]
    Fragment,
    /// An IP literal outside the public internet that the operator does not trust.
    #[error(
        "points at {0} ({range}), which is not a public address: outside development mode Herald delivers only to \
         public addresses; start Herald with --dev (HERALD_DEV=1) to try it on this machine, or list the address's \
         block in HERALD_ALLOW_TARGETS to trust it",
        range = special_range(*.0).unwrap_or("a special-purpose block")
    )]
    PrivateAddress(IpAddr),
    /// Over the length limit.
    #[error("is longer than {max} characters", max = EndpointUrl::MAX_LEN)]
    TooLong,
}

impl EndpointUrl {
    /// The longest URL accepted.
    pub const MAX_LEN: usize = 2048;

    /// Parses a URL under the target policy: development mode allows plain
    /// `http://`, and an IP literal must be an address the policy permits.
    /// Never panics; what it accepts is `http(s)` with a host, at most
    /// [`Self::MAX_LEN`] characters once normalised.
    pub fn parse(s: &str, policy: &TargetPolicy) -> Result<Self, UrlError> {
        if s.len() > Self::MAX_LEN {
            return Err(UrlError::TooLong);
        }
        let url = url::Url::parse(s.trim()).map_err(|e| UrlError::Malformed(e.to_string()))?;
        match url.scheme() {
            "https" => {}
            "http" if policy.is_development() => {}
            "http" => return Err(UrlError::NotHttps),
            _ => return Err(UrlError::Scheme),
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(UrlError::Malformed("no host".into()));
        }
        if let Some(ip) = ip_literal(&url).filter(|ip| !policy.permits(*ip)) {
            return Err(UrlError::PrivateAddress(ip));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UrlError::Credentials);
        }
        if url.fragment().is_some() {
            return Err(UrlError::Fragment);
        }
        // Normalising percent-encodes what needs it, which can lengthen the URL.
        if url.as_str().len() > Self::MAX_LEN {
            return Err(UrlError::TooLong);
        }
        Ok(Self(url))
    }

    /// Rebuilds a URL the store wrote after it was parsed once.
    pub fn from_trusted(s: &str) -> Option<Self> {
        url::Url::parse(s).ok().map(Self)
    }

    /// The URL as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The parsed URL, to hand to the HTTP client as is (no second parse).
    pub fn as_url(&self) -> &url::Url {
        &self.0
    }

    /// The address the host names when it is an IP literal (which no resolver sees).
    pub fn ip_literal(&self) -> Option<IpAddr> {
        ip_literal(&self.0)
    }
}

fn ip_literal(url: &url::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(ip.into()),
        url::Host::Ipv6(ip) => Some(ip.into()),
        url::Host::Domain(_) => None,
    }
}

impl fmt::Display for EndpointUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict() -> TargetPolicy {
        TargetPolicy::strict(Default::default())
    }

    fn dev() -> TargetPolicy {
        TargetPolicy::development()
    }

    #[test]
    fn https_is_required_unless_in_development() {
        assert!(EndpointUrl::parse("https://example.com/hook", &strict()).is_ok());
        assert_eq!(EndpointUrl::parse("http://example.com/hook", &strict()), Err(UrlError::NotHttps));
        assert!(EndpointUrl::parse("http://127.0.0.1:9000/hook", &dev()).is_ok());
    }

    #[test]
    fn trusting_an_address_does_not_allow_plain_http() {
        let trusting = TargetPolicy::strict("127.0.0.1/32".parse().expect("a valid list"));
        assert_eq!(EndpointUrl::parse("http://127.0.0.1/hook", &trusting), Err(UrlError::NotHttps));
        assert!(EndpointUrl::parse("https://127.0.0.1:8443/hook", &trusting).is_ok());
        assert!(EndpointUrl::parse("https://0x7f.1/hook", &trusting).is_ok());
        let refused = EndpointUrl::parse("https://127.0.0.2/hook", &trusting);
        assert_eq!(refused, Err(UrlError::PrivateAddress("127.0.0.2".parse().expect("an address"))));
    }

    #[test]
    fn private_ip_literals_are_refused_in_every_spelling_outside_development() {
        for (url, seen) in [
            ("https://127.0.0.1/", "127.0.0.1"),
            ("https://2130706433/", "127.0.0.1"),
            ("https://0177.0.0.1/", "127.0.0.1"),
            ("https://0x7f.1/", "127.0.0.1"),
            ("https://0x7f000001/", "127.0.0.1"),
            ("https://127.1/", "127.0.0.1"),
            ("https://127.0.0.1./", "127.0.0.1"),
            ("https://0/", "0.0.0.0"),
            ("https://0251.0376.0251.0376/", "169.254.169.254"),
            ("https://[::1]/", "::1"),
            ("https://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1"),
            ("https://[::ffff:7f00:1]/", "::ffff:127.0.0.1"),
            ("https://[64:ff9b::a9fe:a9fe]/", "64:ff9b::a9fe:a9fe"),
            ("https://[fe80::1]/", "fe80::1"),
            ("https://10.0.0.1/", "10.0.0.1"),
        ] {
            let refused = EndpointUrl::parse(url, &strict());
            assert_eq!(refused, Err(UrlError::PrivateAddress(seen.parse().expect("an address"))), "{url}");
            assert!(EndpointUrl::parse(url, &dev()).is_ok(), "{url} in development mode");
        }
        assert!(EndpointUrl::parse("https://93.184.216.34/", &strict()).is_ok());
    }

    #[test]
    fn the_literal_is_the_normalised_address() {
        let url = EndpointUrl::parse("https://0x7f.1:8443/hook", &dev()).expect("a URL");
        assert_eq!(url.as_str(), "https://127.0.0.1:8443/hook");
        assert_eq!(url.ip_literal(), Some("127.0.0.1".parse().expect("an address")));
        assert_eq!(EndpointUrl::parse("https://example.com/", &dev()).expect("a URL").ip_literal(), None);
    }

    #[test]
    fn odd_urls_are_refused_with_a_reason() {
        assert!(matches!(EndpointUrl::parse("not a url", &dev()), Err(UrlError::Malformed(_))));
        assert_eq!(EndpointUrl::parse("ftp://example.com/", &dev()), Err(UrlError::Scheme));
        assert_eq!(EndpointUrl::parse("https://u:p@example.com/", &strict()), Err(UrlError::Credentials));
        assert_eq!(EndpointUrl::parse("https://example.com/#x", &strict()), Err(UrlError::Fragment));
        let long = format!("https://example.com/{}", "a".repeat(2048));
        assert_eq!(EndpointUrl::parse(&long, &strict()), Err(UrlError::TooLong));
    }

    fn policy(dev: bool) -> TargetPolicy {
        if dev {
            TargetPolicy::development()
        } else {
            strict()
        }
    }

    /// URL-shaped text, often enough accepted to check what acceptance means.
    fn url_like() -> impl proptest::strategy::Strategy<Value = String> {
        "(https?|ftp|HTTPS|)(:|://)([a-z0-9.-]{0,12}|\\[[0-9a-f:]{0,10}\\]|[0-9.]{0,15}|[a-z]{0,3}:[a-z]{0,3}@[a-z]{1,5})(:[0-9]{0,6})?(/[ -~]{0,20})?(#[a-z]{0,3})?"
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_answered_without_panicking(s in ".*", dev in proptest::bool::ANY) {
            let _ = EndpointUrl::parse(&s, &policy(dev));
        }

        #[test]
        fn accepted_urls_are_http_or_https_with_a_host_and_within_the_limit(
            s in proptest::prop_oneof![url_like(), ".*"],
            dev in proptest::bool::ANY,
        ) {
            if let Ok(url) = EndpointUrl::parse(&s, &policy(dev)) {
                let parsed = url::Url::parse(url.as_str()).unwrap();
                let schemes: &[&str] = if dev { &["https", "http"] } else { &["https"] };
                proptest::prop_assert!(schemes.contains(&parsed.scheme()), "{url}");
                proptest::prop_assert!(parsed.host_str().is_some_and(|h| !h.is_empty()), "{url}");
                proptest::prop_assert!(url.as_str().len() <= EndpointUrl::MAX_LEN);
                proptest::prop_assert!(parsed.username().is_empty() && parsed.password().is_none());
                proptest::prop_assert!(parsed.fragment().is_none());
                proptest::prop_assert_eq!(EndpointUrl::from_trusted(url.as_str()), Some(url.clone()));
            }
        }
    }
}
