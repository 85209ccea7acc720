//! Which address a request comes from, when trusted reverse proxies sit in front.
//!
//! `X-Forwarded-For` and `Forwarded` are only believed when the socket peer is a trusted proxy;
//! the chain is then read from the right, skipping trusted proxies, and the first address that is
//! not one is the client's (anything left of it was written by the client and is worthless).

use std::net::IpAddr;

pub use ipnet::IpNet;

/// The resolved address of the party making a request; the server puts it on every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// Parses `ENTENTE_TRUSTED_PROXIES`: CIDRs or single addresses, separated by commas or spaces.
pub fn parse_proxies(raw: &str) -> Result<Vec<IpNet>, String> {
    raw.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{s:?} is not an address or CIDR block"))
        })
        .collect()
}

/// Which header the trusted proxies write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2`.
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for=proxy1`.
    Forwarded,
}

impl ForwardedHeader {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(Self::XForwardedFor),
            "forwarded" => Ok(Self::Forwarded),
            other => Err(format!("{other:?} is not x-forwarded-for or forwarded")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::XForwardedFor => "x-forwarded-for",
            Self::Forwarded => "forwarded",
        }
    }
}

/// The client's address. `values` are the chosen header's values in header order. The chain is
/// read from the right; the first hop that is not a trusted proxy is the client. An entry that
/// cannot be read (garbage, `unknown`, an obfuscated node) ends the walk: whatever is left of it
/// was written by the client, so the last hop read stands.
pub fn client_address(
    peer: IpAddr,
    trusted: &[IpNet],
    header: ForwardedHeader,
    values: &[&str],
) -> IpAddr {
    let is_trusted = |a: &IpAddr| trusted.iter().any(|n| n.contains(a));
    let mut client = canonical(peer);
    if !is_trusted(&client) {
        return client;
    }
    let entries = values.iter().flat_map(|v| v.split(','));
    for entry in entries.collect::<Vec<_>>().into_iter().rev() {
        let hop = match header {
            ForwardedHeader::XForwardedFor => node(entry),
            ForwardedHeader::Forwarded => forwarded_for_param(entry),
        };
        let Some(hop) = hop else { break };
        client = canonical(hop);
        if !is_trusted(&client) {
            break;
        }
    }
    client
}

/// `for=` of one RFC 7239 element: `for=192.0.2.1`, `for="[2001:db8::1]:4711"`.
fn forwarded_for_param(element: &str) -> Option<IpAddr> {
    element.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        k.trim().eq_ignore_ascii_case("for").then(|| node(v))?
    })
}

/// A node: `192.0.2.1`, `192.0.2.1:80`, `2001:db8::1`, `[2001:db8::1]:80`, optionally quoted.
fn node(raw: &str) -> Option<IpAddr> {
    let v = raw.trim().trim_matches('"');
    if let Some(rest) = v.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    v.parse().ok().or_else(|| {
        v.rsplit_once(':')
            .and_then(|(h, _)| h.parse::<std::net::Ipv4Addr>().ok())
            .map(IpAddr::V4)
    })
}

/// IPv4-mapped IPv6 addresses (dual-stack sockets) compare as IPv4.
fn canonical(a: IpAddr) -> IpAddr {
    match a {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(a, IpAddr::V4),
        v4 => v4,
    }
}

/// The key an address is throttled by: IPv6 clients count per /64 (what one subscriber gets),
/// IPv4-mapped addresses as the IPv4 address.
pub fn throttle_key(a: IpAddr) -> IpAddr {
    match a {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn headers_count_only_from_trusted_peers() {
        use ForwardedHeader::{Forwarded, XForwardedFor as Xff};
        let none: Vec<IpNet> = vec![];
        assert_eq!(
            client_address(ip("203.0.113.9"), &none, Xff, &["198.51.100.1"]),
            ip("203.0.113.9")
        );
        let proxies = parse_proxies("10.0.0.0/8, 192.168.1.1").unwrap();
        // A client behind no proxy cannot pick its address.
        assert_eq!(
            client_address(ip("203.0.113.9"), &proxies, Xff, &["198.51.100.1"]),
            ip("203.0.113.9")
        );
        // Behind the proxy: the right-most untrusted hop; spoofed left entries are ignored.
        assert_eq!(
            client_address(
                ip("10.1.2.3"),
                &proxies,
                Xff,
                &["1.1.1.1, 198.51.100.7", "10.9.9.9"]
            ),
            ip("198.51.100.7")
        );
        // Garbage the client wrote on the left changes nothing; ports are tolerated.
        assert_eq!(
            client_address(
                ip("10.1.2.3"),
                &proxies,
                Xff,
                &["garbage, 198.51.100.8:5123"]
            ),
            ip("198.51.100.8")
        );
        assert_eq!(
            client_address(ip("10.1.2.3"), &proxies, Xff, &["[2001:db8::5]:443"]),
            ip("2001:db8::5")
        );
        // Garbage where the proxy writes: the proxy's own address, nothing the client chose.
        assert_eq!(
            client_address(ip("10.1.2.3"), &proxies, Xff, &["1.1.1.1, nonsense"]),
            ip("10.1.2.3")
        );
        // No header: the proxy's address.
        assert_eq!(
            client_address(ip("10.1.2.3"), &proxies, Xff, &[]),
            ip("10.1.2.3")
        );
        assert_eq!(
            client_address(ip("::ffff:10.1.2.3"), &proxies, Xff, &["198.51.100.7"]),
            ip("198.51.100.7")
        );
        // RFC 7239, when the proxies write Forwarded.
        assert_eq!(
            client_address(
                ip("192.168.1.1"),
                &proxies,
                Forwarded,
                &["for=\"[2001:db8::1]:4711\";proto=https"]
            ),
            ip("2001:db8::1")
        );
        assert_eq!(
            client_address(
                ip("10.1.2.3"),
                &proxies,
                Forwarded,
                &["for=198.51.100.2:80, for=10.0.0.5"]
            ),
            ip("198.51.100.2")
        );
        // `unknown` or an obfuscated node ends the walk at the last hop read.
        assert_eq!(
            client_address(
                ip("10.1.2.3"),
                &proxies,
                Forwarded,
                &["for=1.1.1.1, for=unknown, for=10.0.0.5"]
            ),
            ip("10.0.0.5")
        );
    }

    #[test]
    fn proxy_lists_parse_or_name_the_bad_entry() {
        assert_eq!(parse_proxies("").unwrap(), vec![]);
        assert_eq!(parse_proxies("127.0.0.1/32 ::1").unwrap().len(), 2);
        assert!(
            parse_proxies("10.0.0.0/33")
                .unwrap_err()
                .contains("10.0.0.0/33")
        );
    }
}
