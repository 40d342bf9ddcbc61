//! The `X-Forwarded-For` walk. Input: the peer address on the first line,
//! trusted networks (comma-separated) on the second, then one header line
//! per line, as raw bytes.
//!
//! An untrusted peer's header is never read; the answer is the peer or an
//! address some entry names; it agrees with a plain right-to-left model of
//! the walk; and whatever a client writes in front of the header (on the
//! same line, as proxies that append write it, or on a line of its own)
//! never changes an answer that is not a trusted proxy.
#![no_main]

use ipnet::IpNet;
use libfuzzer_sys::fuzz_target;
use portcullis_axum::fuzzing::{client_ip, parse_hop};
use std::net::IpAddr;

fn trusted_by(ip: IpAddr, trusted: &[IpNet]) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    trusted.iter().any(|net| net.contains(&ip))
}

fn network(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

fuzz_target!(|data: &[u8]| {
    let mut lines = data.split(|&b| b == b'\n');
    let peer = lines
        .next()
        .and_then(|l| String::from_utf8_lossy(l).trim().parse::<IpAddr>().ok())
        .unwrap_or(IpAddr::from([10, 0, 0, 1]));
    let trusted: Vec<IpNet> = lines
        .next()
        .map(|l| {
            String::from_utf8_lossy(l)
                .split(',')
                .filter_map(network)
                .collect()
        })
        .unwrap_or_default();
    let xff: Vec<&[u8]> = lines.collect();

    let found = client_ip(peer, &xff, &trusted);
    if !trusted_by(peer, &trusted) {
        assert_eq!(found, peer, "an untrusted peer's header was read");
        return;
    }

    // Model: entries right to left across the lines that are header values;
    // trusted hops are skipped, the first other address is the client, and
    // an entry that is no address ends the walk at the last trusted hop.
    let mut model = peer;
    'walk: for line in xff.iter().rev() {
        if http::HeaderValue::from_bytes(line).is_err() {
            continue;
        }
        for entry in String::from_utf8_lossy(line).rsplit(',') {
            match parse_hop(entry) {
                None => break 'walk,
                Some(hop) if !trusted_by(hop, &trusted) => {
                    model = hop;
                    break 'walk;
                }
                Some(hop) => model = hop,
            }
        }
    }
    assert_eq!(found, model, "the walk disagrees with the model");

    // Parsed entries print and parse back to themselves.
    for line in &xff {
        for entry in String::from_utf8_lossy(line).split(',') {
            if let Some(hop) = parse_hop(entry) {
                assert_eq!(parse_hop(&hop.to_string()), Some(hop));
            }
        }
    }

    // What the client writes in front cannot move an untrusted answer.
    if !trusted_by(found, &trusted) && !xff.is_empty() {
        let forged: &[u8] = b"\xff\xfe forged, 203.0.113.66, not-an-address";
        let mut same_line = forged.to_vec();
        same_line.extend_from_slice(b", ");
        same_line.extend_from_slice(xff[0]);
        let mut prefixed: Vec<&[u8]> = vec![&same_line];
        prefixed.extend_from_slice(&xff[1..]);
        if http::HeaderValue::from_bytes(&same_line).is_ok() {
            assert_eq!(
                client_ip(peer, &prefixed, &trusted),
                found,
                "a prefix on the first line moved the client"
            );
        }
        let mut own_line: Vec<&[u8]> = vec![forged];
        own_line.extend_from_slice(&xff);
        assert_eq!(
            client_ip(peer, &own_line, &trusted),
            found,
            "a line in front moved the client"
        );
    }
});
