//! The proxied request: which headers describe it, and its one normalised
//! spelling.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The reverse proxy in front, which decides the headers that are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProxyKind {
    /// nginx `auth_request`: `X-Original-URL`, `X-Original-Method`.
    Nginx,
    /// Traefik `forwardAuth`: `X-Forwarded-*`.
    Traefik,
    /// Caddy `forward_auth`: `X-Forwarded-*`.
    Caddy,
    /// HAProxy (auth-request Lua or equivalent): `X-Forwarded-*`.
    Haproxy,
}

impl ProxyKind {
    /// Every kind, for listing in configuration errors.
    pub const ALL: [ProxyKind; 4] = [Self::Nginx, Self::Traefik, Self::Caddy, Self::Haproxy];

    /// From configuration (`nginx`, `traefik`, `caddy`, `haproxy`), any case.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// The configuration name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nginx => "nginx",
            Self::Traefik => "traefik",
            Self::Caddy => "caddy",
            Self::Haproxy => "haproxy",
        }
    }

    /// Whether this proxy describes the request with `X-Original-URL`
    /// rather than the `X-Forwarded-*` set.
    fn uses_original_url(self) -> bool {
        matches!(self, Self::Nginx)
    }
}

impl fmt::Display for ProxyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a described request was not judged: it is denied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A header the configured proxy always sets is absent or empty.
    #[error("the proxy did not send {0}")]
    MissingHeader(&'static str),
    /// The method is not an HTTP token.
    #[error("the method is malformed")]
    Method,
    /// The URL is not an absolute `http`/`https` URL.
    #[error("the URL is malformed")]
    Url,
    /// The scheme is neither `http` nor `https`.
    #[error("the scheme is not http or https")]
    Scheme,
    /// The URL carries a user name or password.
    #[error("the URL carries user information")]
    UserInfo,
    /// The host is not a DNS name or IP literal.
    #[error("the host is malformed")]
    Host,
    /// The port is not a number from 1 to 65535.
    #[error("the port is malformed")]
    Port,
    /// The path is ambiguous or malformed.
    #[error("the path is refused: {0}")]
    Path(&'static str),
    /// The query is malformed.
    #[error("the query is malformed")]
    Query,
}

/// The request the proxy holds, parsed and normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginalRequest {
    /// Upper-cased method (`GET`).
    pub method: String,
    /// `http` or `https`.
    pub scheme: String,
    /// Lower-cased DNS name without a trailing dot, dotted IPv4, or
    /// bracketed IPv6 (`[::1]`).
    pub host: String,
    /// The port, `None` for the scheme's default.
    pub port: Option<u16>,
    /// Normalised path, starting with `/`.
    pub path: String,
    /// The query after `?`, as sent (validated, not decoded).
    pub query: Option<String>,
}

impl OriginalRequest {
    /// The absolute URL, in the normalised spelling.
    pub fn url(&self) -> String {
        let mut url = format!("{}://{}", self.scheme, self.host);
        if let Some(port) = self.port {
            url.push_str(&format!(":{port}"));
        }
        url.push_str(&self.path);
        if let Some(query) = &self.query {
            url.push('?');
            url.push_str(query);
        }
        url
    }
}

/// The request `kind` describes with its headers; `header` looks one up by
/// name (case-insensitively, as HTTP header names are). Only the headers
/// that `kind` sets are read.
pub fn original_request(
    kind: ProxyKind,
    header: impl Fn(&str) -> Option<String>,
) -> Result<OriginalRequest, Refusal> {
    let required = |name: &'static str| {
        header(name)
            .filter(|v| !v.trim().is_empty())
            .ok_or(Refusal::MissingHeader(name))
    };
    if kind.uses_original_url() {
        let method = parse_method(header("X-Original-Method").as_deref())?;
        let url = required("X-Original-URL")?;
        let mut request = parse_absolute(url.trim())?;
        request.method = method;
        Ok(request)
    } else {
        let method = parse_method(header("X-Forwarded-Method").as_deref())?;
        let scheme = parse_scheme(required("X-Forwarded-Proto")?.trim())?;
        let (host, port) = parse_authority(required("X-Forwarded-Host")?.trim(), &scheme)?;
        let uri = required("X-Forwarded-Uri")?;
        let (path, query) = parse_target(uri.trim())?;
        Ok(OriginalRequest {
            method,
            scheme,
            host,
            port,
            path,
            query,
        })
    }
}

/// An absolute `http`/`https` URL, parsed strictly and normalised; the
/// method is `GET`. A fragment is refused (no client sends one).
pub fn parse_absolute(url: &str) -> Result<OriginalRequest, Refusal> {
    let (scheme, rest) = url.split_once("://").ok_or(Refusal::Url)?;
    let scheme = parse_scheme(scheme)?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, target) = rest.split_at(end);
    if authority.contains('@') {
        return Err(Refusal::UserInfo);
    }
    let (host, port) = parse_authority(authority, &scheme)?;
    let target = if target.is_empty() || target.starts_with('?') {
        format!("/{target}")
    } else {
        target.to_owned()
    };
    let (path, query) = parse_target(&target)?;
    Ok(OriginalRequest {
        method: "GET".to_owned(),
        scheme,
        host,
        port,
        path,
        query,
    })
}

fn parse_method(method: Option<&str>) -> Result<String, Refusal> {
    let method = match method.map(str::trim) {
        None | Some("") => return Ok("GET".to_owned()),
        Some(m) => m,
    };
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if method.len() > 32 || !method.bytes().all(token) {
        return Err(Refusal::Method);
    }
    Ok(method.to_ascii_uppercase())
}

fn parse_scheme(scheme: &str) -> Result<String, Refusal> {
    let scheme = scheme.to_ascii_lowercase();
    match scheme.as_str() {
        "http" | "https" => Ok(scheme),
        _ => Err(Refusal::Scheme),
    }
}

fn default_port(scheme: &str) -> u16 {
    if scheme == "https" { 443 } else { 80 }
}

/// `host[:port]`, with the default port for `scheme` dropped.
fn parse_authority(authority: &str, scheme: &str) -> Result<(String, Option<u16>), Refusal> {
    if authority.contains('@') {
        return Err(Refusal::UserInfo);
    }
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (literal, after) = rest.split_once(']').ok_or(Refusal::Host)?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(Refusal::Host)?),
        };
        let ip: Ipv6Addr = literal.parse().map_err(|_| Refusal::Host)?;
        (format!("[{ip}]"), port)
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        (normalise_host(host).ok_or(Refusal::Host)?, port)
    };
    let port = match port {
        None => None,
        Some(port) => {
            if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Refusal::Port);
            }
            let port: u16 = port.parse().map_err(|_| Refusal::Port)?;
            if port == 0 {
                return Err(Refusal::Port);
            }
            Some(port).filter(|p| *p != default_port(scheme))
        }
    };
    Ok((host, port))
}

/// A DNS name or dotted IPv4 literal, lower-cased, one trailing dot
/// removed; `None` if it is neither. IPv6 literals are bracketed and handled
/// by the caller. Names whose last label is numeric must be a strict dotted
/// quad: `127.1` and `0x7f.0.0.1` are addresses to some resolvers.
pub fn normalise_host(host: &str) -> Option<String> {
    let host = host.to_ascii_lowercase();
    let host = host.strip_suffix('.').unwrap_or(&host);
    if host.is_empty() || host.len() > 253 {
        return None;
    }
    let labels: Vec<&str> = host.split('.').collect();
    let last = labels.last()?;
    let numeric = |l: &str| {
        l.bytes().all(|b| b.is_ascii_digit())
            || (l.starts_with("0x") && l[2..].bytes().all(|b| b.is_ascii_hexdigit()))
    };
    if numeric(last) {
        let ip: Ipv4Addr = host.parse().ok()?;
        return Some(ip.to_string());
    }
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    labels.iter().all(label_ok).then(|| host.to_owned())
}

/// A request target (`/path?query`) into the normalised path and the query.
fn parse_target(target: &str) -> Result<(String, Option<String>), Refusal> {
    if target.contains('#') {
        return Err(Refusal::Url);
    }
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    if !path.starts_with('/') {
        return Err(Refusal::Path("it is not absolute"));
    }
    let path = normalise_path(path)?;
    let query = match query {
        None => None,
        Some(query) => {
            check_query(query)?;
            Some(query.to_owned())
        }
    };
    Ok((path, query))
}

fn check_query(query: &str) -> Result<(), Refusal> {
    let bytes = query.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            match (bytes.get(i + 1), bytes.get(i + 2)) {
                (Some(h), Some(l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => i += 3,
                _ => return Err(Refusal::Query),
            }
            continue;
        }
        if !(is_pchar(b) || b == b'/' || b == b'?') {
            return Err(Refusal::Query);
        }
        i += 1;
    }
    Ok(())
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// RFC 3986 `pchar` without `%`: what may appear raw in a path segment.
fn is_pchar(b: u8) -> bool {
    is_unreserved(b) || b"!$&'()*+,;=:@".contains(&b)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The one spelling of `path` (which starts with `/`): unreserved
/// characters decoded and other escapes upper-cased, dot segments removed
/// (encoded ones too), repeated slashes collapsed, a trailing slash kept.
///
/// Refused: an encoded slash, backslash or NUL, any control character, a
/// raw backslash or other character outside RFC 3986 paths, a broken
/// escape, a `..` above the root, and a dot segment with parameters
/// (`..;x`, which servlet containers read as `..`).
pub fn normalise_path(path: &str) -> Result<String, Refusal> {
    if !path.starts_with('/') {
        return Err(Refusal::Path("it is not absolute"));
    }
    let bytes = path.as_bytes();
    let mut decoded = String::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'%' => {
                let value = match (
                    bytes.get(i + 1).copied().and_then(hex_value),
                    bytes.get(i + 2).copied().and_then(hex_value),
                ) {
                    (Some(h), Some(l)) => h * 16 + l,
                    _ => return Err(Refusal::Path("a broken percent-escape")),
                };
                match value {
                    b'/' => return Err(Refusal::Path("an encoded slash")),
                    b'\\' => return Err(Refusal::Path("an encoded backslash")),
                    0 => return Err(Refusal::Path("an encoded NUL")),
                    v if v < 0x20 || v == 0x7f => {
                        return Err(Refusal::Path("an encoded control character"));
                    }
                    v if is_unreserved(v) => decoded.push(char::from(v)),
                    v => decoded.push_str(&format!("%{v:02X}")),
                }
                i += 3;
            }
            b'\\' => return Err(Refusal::Path("a backslash")),
            b if b < 0x20 || b == 0x7f => return Err(Refusal::Path("a control character")),
            b'/' => {
                decoded.push('/');
                i += 1;
            }
            b if is_pchar(b) => {
                decoded.push(char::from(b));
                i += 1;
            }
            _ => return Err(Refusal::Path("a character not allowed in a path")),
        }
    }

    let mut segments: Vec<&str> = Vec::new();
    let mut trailing_slash = false;
    for segment in decoded.split('/').skip(1) {
        trailing_slash = false;
        match segment {
            "" => trailing_slash = true,
            "." => trailing_slash = true,
            ".." => {
                if segments.pop().is_none() {
                    return Err(Refusal::Path("a `..` above the root"));
                }
                trailing_slash = true;
            }
            s if s.split(';').next().is_some_and(|p| p == "." || p == "..") => {
                return Err(Refusal::Path("a dot segment with parameters"));
            }
            s => segments.push(s),
        }
    }
    let mut normal = String::with_capacity(decoded.len());
    for segment in &segments {
        normal.push('/');
        normal.push_str(segment);
    }
    if segments.is_empty() || trailing_slash {
        normal.push('/');
    }
    Ok(normal)
}
