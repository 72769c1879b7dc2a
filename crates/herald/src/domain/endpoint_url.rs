//! Endpoint URLs: absolute `https://` (or `http://` in development mode), no
//! credentials, no fragment, at most 2048 characters.

use std::fmt;

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
    #[error("must use https:// (http:// is allowed only when HERALD_DEV is on)")]
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
    /// An IP literal outside the public internet, outside development mode.
    #[error("points at {0}, which is not a public address (allowed only when HERALD_DEV is on)")]
    PrivateAddress(String),
    /// Over the length limit.
    #[error("is longer than {max} characters", max = EndpointUrl::MAX_LEN)]
    TooLong,
}

impl EndpointUrl {
    /// The longest URL accepted.
    pub const MAX_LEN: usize = 2048;

    /// Parses a URL under the target policy: `dev` allows plain `http://`.
    /// Never panics; what it accepts is `http(s)` with a host, at most
    /// [`Self::MAX_LEN`] characters once normalised.
    pub fn parse(s: &str, dev: bool) -> Result<Self, UrlError> {
        if s.len() > Self::MAX_LEN {
            return Err(UrlError::TooLong);
        }
        let url = url::Url::parse(s.trim()).map_err(|e| UrlError::Malformed(e.to_string()))?;
        match url.scheme() {
            "https" => {}
            "http" if dev => {}
            "http" => return Err(UrlError::NotHttps),
            _ => return Err(UrlError::Scheme),
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(UrlError::Malformed("no host".into()));
        }
        if !dev {
            let ip: Option<std::net::IpAddr> = match url.host() {
                Some(url::Host::Ipv4(ip)) => Some(ip.into()),
                Some(url::Host::Ipv6(ip)) => Some(ip.into()),
                _ => None,
            };
            if let Some(ip) = ip.filter(|ip| !super::ip_policy::is_public(*ip)) {
                return Err(UrlError::PrivateAddress(ip.to_string()));
            }
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
}

impl fmt::Display for EndpointUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_is_required_unless_in_development() {
        assert!(EndpointUrl::parse("https://example.com/hook", false).is_ok());
        assert_eq!(EndpointUrl::parse("http://example.com/hook", false), Err(UrlError::NotHttps));
        assert!(EndpointUrl::parse("http://127.0.0.1:9000/hook", true).is_ok());
    }

    #[test]
    fn private_ip_literals_are_refused_outside_development() {
        for url in
            ["https://127.0.0.1/", "https://2130706433/", "https://0177.0.0.1/", "https://[::1]/", "https://10.0.0.1/"]
        {
            assert!(matches!(EndpointUrl::parse(url, false), Err(UrlError::PrivateAddress(_))), "{url}");
        }
        assert!(EndpointUrl::parse("https://93.184.216.34/", false).is_ok());
    }

    #[test]
    fn odd_urls_are_refused_with_a_reason() {
        assert!(matches!(EndpointUrl::parse("not a url", true), Err(UrlError::Malformed(_))));
        assert_eq!(EndpointUrl::parse("ftp://example.com/", true), Err(UrlError::Scheme));
        assert_eq!(EndpointUrl::parse("https://u:p@example.com/", false), Err(UrlError::Credentials));
        assert_eq!(EndpointUrl::parse("https://example.com/#x", false), Err(UrlError::Fragment));
        let long = format!("https://example.com/{}", "a".repeat(2048));
        assert_eq!(EndpointUrl::parse(&long, false), Err(UrlError::TooLong));
    }

    /// URL-shaped text, often enough accepted to check what acceptance means.
    fn url_like() -> impl proptest::strategy::Strategy<Value = String> {
        "(https?|ftp|HTTPS|)(:|://)([a-z0-9.-]{0,12}|\\[[0-9a-f:]{0,10}\\]|[0-9.]{0,15}|[a-z]{0,3}:[a-z]{0,3}@[a-z]{1,5})(:[0-9]{0,6})?(/[ -~]{0,20})?(#[a-z]{0,3})?"
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_answered_without_panicking(s in ".*", dev in proptest::bool::ANY) {
            let _ = EndpointUrl::parse(&s, dev);
        }

        #[test]
        fn accepted_urls_are_http_or_https_with_a_host_and_within_the_limit(
            s in proptest::prop_oneof![url_like(), ".*"],
            dev in proptest::bool::ANY,
        ) {
            if let Ok(url) = EndpointUrl::parse(&s, dev) {
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
