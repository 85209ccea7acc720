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

/// The client's address. `forwarded_for` are the `X-Forwarded-For` values in header order;
/// `forwarded` the RFC 7239 `Forwarded` values (used when there is no `X-Forwarded-For`).
pub fn client_address(
    peer: IpAddr,
    trusted: &[IpNet],
    forwarded_for: &[&str],
    forwarded: &[&str],
) -> IpAddr {
    let is_trusted = |a: &IpAddr| trusted.iter().any(|n| n.contains(&canonical(*a)));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = if forwarded_for.is_empty() {
        forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .filter_map(forwarded_for_param)
            .collect()
    } else {
        forwarded_for
            .iter()
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().parse::<IpAddr>())
            .collect::<Result<_, _>>()
            // A malformed chain cannot be trusted: fall back to the proxy itself.
            .unwrap_or_default()
    };
    let mut client = peer;
    for hop in hops.iter().rev() {
        client = canonical(*hop);
        if !is_trusted(&client) {
            break;
        }
    }
    client
}

/// `for=` of one RFC 7239 element: `for=192.0.2.1`, `for="[2001:db8::1]:4711"`, `for=_hidden`.
fn forwarded_for_param(element: &str) -> Option<IpAddr> {
    element.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        if !k.trim().eq_ignore_ascii_case("for") {
            return None;
        }
        let v = v.trim().trim_matches('"');
        if let Some(rest) = v.strip_prefix('[') {
            return rest.split(']').next()?.parse().ok();
        }
        v.parse()
            .ok()
            .or_else(|| v.rsplit_once(':').and_then(|(h, _)| h.parse().ok()))
    })
}

/// IPv4-mapped IPv6 addresses (dual-stack sockets) compare as IPv4.
fn canonical(a: IpAddr) -> IpAddr {
    match a {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(a, IpAddr::V4),
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
        let none: Vec<IpNet> = vec![];
        assert_eq!(
            client_address(ip("203.0.113.9"), &none, &["198.51.100.1"], &[]),
            ip("203.0.113.9")
        );
        let proxies = parse_proxies("10.0.0.0/8, 192.168.1.1").unwrap();
        // A client behind no proxy cannot pick its address.
        assert_eq!(
            client_address(ip("203.0.113.9"), &proxies, &["198.51.100.1"], &[]),
            ip("203.0.113.9")
        );
        // Behind the proxy: the right-most untrusted hop; spoofed left entries are ignored.
        assert_eq!(
            client_address(
                ip("10.1.2.3"),
                &proxies,
                &["1.1.1.1, 198.51.100.7", "10.9.9.9"],
                &[]
            ),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_address(
                ip("192.168.1.1"),
                &proxies,
                &[],
                &["for=\"[2001:db8::1]:4711\";proto=https"]
            ),
            ip("2001:db8::1")
        );
        assert_eq!(
            client_address(
                ip("10.1.2.3"),
                &proxies,
                &[],
                &["for=198.51.100.2:80, for=10.0.0.5"]
            ),
            ip("198.51.100.2")
        );
        // Garbage in the chain: the proxy's own address counts.
        assert_eq!(
            client_address(ip("10.1.2.3"), &proxies, &["not-an-ip"], &[]),
            ip("10.1.2.3")
        );
        // No header: the proxy's address.
        assert_eq!(
            client_address(ip("10.1.2.3"), &proxies, &[], &[]),
            ip("10.1.2.3")
        );
        assert_eq!(
            client_address(ip("::ffff:10.1.2.3"), &proxies, &["198.51.100.7"], &[]),
            ip("198.51.100.7")
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
