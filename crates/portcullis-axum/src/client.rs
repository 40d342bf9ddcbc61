//! Who is asking: the client's IP address and user agent.
//!
//! The address is the socket peer's, unless that peer is a configured
//! trusted proxy: then `X-Forwarded-For` is read from the right, skipping
//! trusted proxies, and the first address that is not one of them is the
//! client. Anything a client writes further left is ignored, so it cannot
//! choose its own address to dodge a rate limit.

use crate::state::Portcullis;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, header};
use ipnet::IpNet;
use portcullis_core::RequestContext;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

/// The client's address and user agent. The address is `None` when the
/// router was not served with connect info.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// The client's address (after any trusted proxies).
    pub ip: Option<String>,
    /// The `User-Agent` header, if any.
    pub user_agent: Option<String>,
}

impl ClientInfo {
    /// The same, as the services take it.
    pub fn context(&self) -> RequestContext {
        RequestContext {
            ip: self.ip.clone(),
            user_agent: self.user_agent.clone(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientInfo {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientInfo::of(&parts.extensions, &parts.headers))
    }
}

impl ClientInfo {
    /// The client of a request with these extensions and headers.
    pub(crate) fn of(extensions: &Extensions, headers: &HeaderMap) -> Self {
        let peer = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        let trusted = extensions
            .get::<Portcullis>()
            .map(|p| p.config().trusted_proxies.as_slice())
            .unwrap_or_default();
        ClientInfo {
            ip: peer.map(|peer| client_ip(peer, headers, trusted).to_string()),
            user_agent: headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        }
    }
}

fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    trusted.iter().any(|net| net.contains(&ip))
}

/// The client address for a request from `peer` with `headers`.
///
/// Hops are read from the right (the nearest proxy's entry is last), across
/// every `X-Forwarded-For` line: trusted proxies are skipped and the first
/// other address is the client. Only what trusted proxies wrote is ever
/// read, so a malformed entry further left (written by the client itself)
/// cannot hide the client or make the header count for nothing; if the
/// walk meets one before finding the client, the last trusted hop it
/// passed stands for the client. Entries may carry a port
/// (`192.0.2.1:4711`, `[2001:db8::1]:443`), as some proxies write them.
pub(crate) fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    if !is_trusted(peer, trusted) {
        return peer;
    }
    // A line is read whatever bytes it holds: skipping one that is not
    // ASCII would let a client void the entries a proxy appended to its own
    // (`<client's value>, <real address>` on one line) and be taken for the
    // proxy. Its bytes that are not text only spoil the entry they are in.
    let lines: Vec<std::borrow::Cow<'_, str>> = headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()))
        .collect();
    let mut nearest = peer;
    for hop in lines.iter().rev().flat_map(|line| line.rsplit(',')) {
        let Some(hop) = parse_hop(hop) else {
            return nearest;
        };
        if !is_trusted(hop, trusted) {
            return hop;
        }
        nearest = hop;
    }
    nearest
}

/// One `X-Forwarded-For` entry: an address, optionally with a port.
pub(crate) fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip);
    }
    hop.parse::<SocketAddr>().ok().map(|addr| addr.ip())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in xff {
            map.append("x-forwarded-for", value.parse().unwrap());
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        assert_eq!(
            client_ip(ip("203.0.113.9"), &headers(&["1.2.3.4"]), &[]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn a_trusted_proxy_passes_on_the_nearest_untrusted_hop() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        // The client forged "6.6.6.6"; the proxy appended the real peer.
        let h = headers(&["6.6.6.6, 198.51.100.7"]);
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &trusted), ip("198.51.100.7"));
        // Several proxies in a row.
        let h = headers(&["198.51.100.7, 10.0.0.5", "10.0.0.6"]);
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &trusted), ip("198.51.100.7"));
        // An untrusted peer cannot use the header at all.
        assert_eq!(
            client_ip(ip("198.51.100.8"), &h, &trusted),
            ip("198.51.100.8")
        );
    }

    #[test]
    fn a_malformed_entry_left_of_the_client_does_not_hide_it() {
        let trusted: Vec<IpNet> = vec!["127.0.0.0/8".parse().unwrap()];
        // The client wrote garbage; the proxy appended the real address.
        for xff in [
            "not-an-ip, 198.51.100.7",
            "1.2.3.4.5, 198.51.100.7",
            ", 198.51.100.7",
        ] {
            assert_eq!(
                client_ip(ip("127.0.0.1"), &headers(&[xff]), &trusted),
                ip("198.51.100.7"),
                "{xff}"
            );
        }
        // Garbage on a separate line the client sent first.
        assert_eq!(
            client_ip(
                ip("127.0.0.1"),
                &headers(&["<script>", "198.51.100.7"]),
                &trusted
            ),
            ip("198.51.100.7")
        );
        // Ports are allowed.
        assert_eq!(
            client_ip(ip("127.0.0.1"), &headers(&["198.51.100.7:4711"]), &trusted),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_ip(ip("127.0.0.1"), &headers(&["[2001:db8::1]:443"]), &trusted),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn bytes_that_are_not_text_spoil_only_their_own_entry() {
        let trusted: Vec<IpNet> = vec!["127.0.0.0/8".parse().unwrap()];
        // What the client sent, and the real address a proxy appended to it
        // on the same line.
        let mut map = HeaderMap::new();
        map.append(
            "x-forwarded-for",
            HeaderValue::from_bytes(b"\xff\xfe, 198.51.100.7").unwrap(),
        );
        assert_eq!(
            client_ip(ip("127.0.0.1"), &map, &trusted),
            ip("198.51.100.7")
        );
        // Such an entry ends the walk like any other malformed one.
        let mut map = HeaderMap::new();
        map.append(
            "x-forwarded-for",
            HeaderValue::from_bytes(b"198.51.100.7, \xff, 127.0.0.9").unwrap(),
        );
        assert_eq!(client_ip(ip("127.0.0.1"), &map, &trusted), ip("127.0.0.9"));
    }

    #[test]
    fn malformed_or_missing_headers_fall_back_to_the_proxy() {
        let trusted: Vec<IpNet> = vec!["127.0.0.0/8".parse().unwrap()];
        assert_eq!(
            client_ip(ip("127.0.0.1"), &headers(&["not-an-ip"]), &trusted),
            ip("127.0.0.1")
        );
        // Garbage right behind a trusted hop: that hop stands for the client.
        assert_eq!(
            client_ip(ip("127.0.0.1"), &headers(&["garbage, 127.0.0.9"]), &trusted),
            ip("127.0.0.9")
        );
        assert_eq!(
            client_ip(ip("127.0.0.1"), &headers(&[]), &trusted),
            ip("127.0.0.1")
        );
        assert_eq!(
            client_ip(ip("::ffff:127.0.0.1"), &headers(&["192.0.2.1"]), &trusted),
            ip("192.0.2.1")
        );
    }

    mod properties {
        use super::*;
        use axum::http::HeaderValue;
        use proptest::prelude::*;

        fn address() -> impl Strategy<Value = IpAddr> {
            prop_oneof![
                any::<[u8; 4]>().prop_map(IpAddr::from),
                any::<[u16; 8]>().prop_map(IpAddr::from),
                // Few enough to fall in the trusted ranges now and then.
                (0u8..4, 0u8..4).prop_map(|(a, b)| IpAddr::from([10, 0, a, b])),
                (0u8..4).prop_map(|b| IpAddr::from([127, 0, 0, b])),
            ]
        }

        fn network() -> impl Strategy<Value = IpNet> {
            (address(), 0u8..=128).prop_map(|(ip, bits)| {
                let max = if ip.is_ipv4() { 32 } else { 128 };
                IpNet::new(ip, bits % (max + 1)).unwrap()
            })
        }

        fn entry() -> impl Strategy<Value = String> {
            prop_oneof![
                address().prop_map(|ip| ip.to_string()),
                (address(), any::<u16>())
                    .prop_map(|(ip, port)| SocketAddr::new(ip, port).to_string()),
                "[ -~]{0,12}",
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(1024))]

            /// A peer that is not a trusted proxy is the client, whatever
            /// it writes in `X-Forwarded-For`.
            #[test]
            fn an_untrusted_peers_header_is_never_read(
                peer in address(),
                trusted in proptest::collection::vec(network(), 0..4),
                lines in proptest::collection::vec(proptest::collection::vec(entry(), 0..5), 0..4),
            ) {
                prop_assume!(!is_trusted(peer, &trusted));
                let mut headers = HeaderMap::new();
                for line in &lines {
                    if let Ok(value) = HeaderValue::from_str(&line.join(", ")) {
                        headers.append("x-forwarded-for", value);
                    }
                }
                prop_assert_eq!(client_ip(peer, &headers, &trusted), peer);
            }
        }
    }
}
