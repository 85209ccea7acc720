//! The SSRF guard of partner-key fetching (cases E40, E41): only https URLs of public hosts,
//! checked at registration and again at every connect through a resolver that refuses
//! non-public answers; redirects only to the same origin.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Name, Resolve, Resolving};
use url::Url;

use super::FetchPolicy;

/// Only globally routable unicast addresses are fetched from in production.
pub fn ip_is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1])) // CGNAT 100.64/10
                || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
                || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking 198.18/15
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return ip_is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link local
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x2001 && s[1] == 0x0000) // Teredo: tunnels to any IPv4
                || s[0] == 0x2002 // 6to4: embeds any IPv4
                || s[..6].iter().all(|x| *x == 0) // IPv4-compatible ::a.b.c.d
                || (s[0] == 0x0064 && s[1] == 0xff9b)) // NAT64 can reach private v4
        }
    }
}

/// Registration-time and fetch-time check of a JWKS URL's shape (case E40).
pub fn check_url(raw: &str, policy: &FetchPolicy) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|_| "the JWKS URL is not a valid URL".to_string())?;
    match url.scheme() {
        "https" => {}
        "http" if policy.allow_insecure => {}
        "http" => return Err("the JWKS URL must use https".into()),
        other => return Err(format!("the JWKS URL scheme {other:?} is not allowed")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the JWKS URL must not carry credentials".into());
    }
    match url.host() {
        None => return Err("the JWKS URL has no host".into()),
        Some(url::Host::Ipv4(ip)) if !policy.allow_insecure && !ip_is_public(ip.into()) => {
            return Err("the JWKS URL points at a non-public address".into());
        }
        Some(url::Host::Ipv6(ip)) if !policy.allow_insecure && !ip_is_public(ip.into()) => {
            return Err("the JWKS URL points at a non-public address".into());
        }
        Some(url::Host::Domain(d))
            if !policy.allow_insecure
                && (d.eq_ignore_ascii_case("localhost") || d.ends_with(".localhost")) =>
        {
            return Err("the JWKS URL points at a non-public address".into());
        }
        _ => {}
    }
    Ok(url)
}

/// Resolves the URL's host and refuses it if any address is not public (registration check).
pub async fn check_url_resolves(raw: &str, policy: &FetchPolicy) -> Result<Url, String> {
    check_url_resolves_with(raw, policy, Arc::new(SystemLookup)).await
}

pub async fn check_url_resolves_with(
    raw: &str,
    policy: &FetchPolicy,
    lookup: Arc<dyn HostLookup>,
) -> Result<Url, String> {
    let url = check_url(raw, policy)?;
    if let Some(url::Host::Domain(d)) = url.host() {
        let port = url.port_or_known_default().unwrap_or(443);
        GuardedResolver {
            allow_insecure: policy.allow_insecure,
            lookup,
        }
        .lookup(d.to_owned(), port)
        .await
        .map_err(|e| e.to_string())?;
    }
    Ok(url)
}

pub type LookupFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = std::io::Result<Vec<SocketAddr>>> + Send>>;

/// Name resolution, replaceable in tests (a resolver that answers differently each time is how
/// DNS rebinding looks).
pub trait HostLookup: Send + Sync {
    fn lookup(&self, host: String, port: u16) -> LookupFuture;
}

/// The system resolver.
pub struct SystemLookup;

impl HostLookup for SystemLookup {
    fn lookup(&self, host: String, port: u16) -> LookupFuture {
        Box::pin(async move {
            Ok(tokio::net::lookup_host((host.as_str(), port))
                .await?
                .collect())
        })
    }
}

/// DNS resolution that refuses non-public answers at connect time, so a name that resolved
/// publicly at registration cannot be pointed inside later (case E41).
#[derive(Clone)]
pub(super) struct GuardedResolver {
    pub(super) allow_insecure: bool,
    pub(super) lookup: Arc<dyn HostLookup>,
}

impl GuardedResolver {
    async fn lookup(&self, host: String, port: u16) -> Result<Vec<SocketAddr>, std::io::Error> {
        let addrs = self.lookup.lookup(host, port).await?;
        if addrs.is_empty() {
            return Err(std::io::Error::other("the JWKS host does not resolve"));
        }
        if !self.allow_insecure && addrs.iter().any(|a| !ip_is_public(a.ip())) {
            return Err(std::io::Error::other(
                "the JWKS host resolves to a non-public address",
            ));
        }
        Ok(addrs)
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let this = self.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = this.lookup(host, 0).await?;
            Ok(Box::new(addrs.into_iter()) as Box<dyn Iterator<Item = SocketAddr> + Send>)
        })
    }
}

/// A redirect is followed only to the same origin (scheme, host and port: no downgrade to
/// http, no other port or host) and at most twice (case E41).
pub fn redirect_allowed(previous: &[Url], next: &Url) -> bool {
    previous.len() <= 2
        && previous
            .first()
            .is_some_and(|first| first.origin() == next.origin())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prod() -> FetchPolicy {
        FetchPolicy {
            allow_insecure: false,
            max_stale: 0,
        }
    }

    #[test]
    fn internal_and_odd_urls_are_refused() {
        for bad in [
            "http://idp.example.com/jwks",
            "https://169.254.169.254/latest",
            "https://127.0.0.1/jwks",
            "https://[::1]/jwks",
            "https://10.0.0.8/jwks",
            "https://192.168.1.1/jwks",
            "https://172.16.0.1/jwks",
            "https://localhost/jwks",
            "https://[::ffff:127.0.0.1]/jwks",
            "https://[fd00::1]/jwks",
            "https://100.64.0.1/jwks",
            "https://[2002:7f00:1::]/jwks",
            "https://[2001:0:4136:e378::1]/jwks",
            "https://[::7f00:1]/jwks",
            "https://[64:ff9b:1::a00:1]/jwks",
            "file:///etc/passwd",
            "gopher://idp.example.com/",
            "https://user:pw@idp.example.com/jwks",
        ] {
            assert!(check_url(bad, &prod()).is_err(), "{bad}");
        }
        assert!(check_url("https://idp.example.com/jwks", &prod()).is_ok());
        assert!(check_url("https://8.8.8.8/jwks", &prod()).is_ok());
        let dev = FetchPolicy {
            allow_insecure: true,
            max_stale: 0,
        };
        assert!(check_url("http://127.0.0.1:9/jwks", &dev).is_ok());
        assert!(check_url("file:///etc/passwd", &dev).is_err());
    }

    #[tokio::test]
    async fn names_resolving_inside_are_refused() {
        assert!(
            check_url_resolves("https://localhost.:443/jwks", &prod())
                .await
                .is_err()
        );
    }

    #[test]
    fn redirects_stay_on_the_same_origin() {
        let u = |s: &str| Url::parse(s).unwrap();
        let first = [u("https://idp.example.com/jwks")];
        assert!(redirect_allowed(&first, &u("https://idp.example.com/keys")));
        assert!(
            !redirect_allowed(&first, &u("http://idp.example.com/keys")),
            "downgrade"
        );
        assert!(
            !redirect_allowed(&first, &u("https://idp.example.com:8443/keys")),
            "port"
        );
        assert!(
            !redirect_allowed(&first, &u("https://other.example.com/keys")),
            "host"
        );
        let three = [first[0].clone(), first[0].clone(), first[0].clone()];
        assert!(
            !redirect_allowed(&three, &u("https://idp.example.com/keys")),
            "too many"
        );
    }
}
