//! Forward authentication: whether the request a reverse proxy is holding
//! may pass, decided from the headers the proxy describes it with.
//!
//! Two things go wrong in this design, and both are answered here, before
//! any rule sees the request.
//!
//! **The client chooses the headers.** Each proxy sets its own headers and
//! passes the client's copies of every other one through untouched. nginx
//! sets `X-Original-URL` but forwards a client's `X-Forwarded-Host`; Traefik
//! sets `X-Forwarded-*` but forwards a client's `X-Original-URL`. Reading
//! both sets would let a client name the host the rules judge. So the kind
//! of proxy is configured, and only its own set is ever read.
//!
//! **The rules and the application read different paths.** A rule that
//! protects `/admin` means nothing if `/public/../admin`, `/public/%2e%2e/admin`,
//! `//admin`, `/public%2F..%2Fadmin` or `/public\..\admin` reach the
//! application's `/admin` while the rules see something else. And a request
//! the parser cannot read must never be waved through: the Authelia advisory
//! GHSA-68wm-pfjf-wqp6 was a malformed `X-Original-URL` that failed to parse
//! and was answered with 200. So the request is parsed strictly and
//! normalised to one spelling; whatever is ambiguous (an encoded slash or
//! backslash, a NUL, a control character, a broken escape, a `..` above
//! the root) or unreadable is a [`Refusal`], which denies.

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

/// Which hosts a rule covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPattern {
    /// Exactly this normalised host.
    Exact(String),
    /// Every subdomain of this normalised name (written `*.example.com`),
    /// not the name itself.
    Wildcard(String),
}

impl HostPattern {
    /// `app.example.com`, `*.example.com`, `10.0.0.1` or `[::1]`. A
    /// wildcard is only ever a whole leading `*.` label.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Some(suffix) = s.strip_prefix("*.") {
            let suffix = normalise_host(suffix)
                .filter(|h| h.parse::<Ipv4Addr>().is_err())
                .ok_or_else(|| format!("`{s}`: `*.` must be followed by a DNS name"))?;
            return Ok(Self::Wildcard(suffix));
        }
        if s.contains('*') {
            return Err(format!(
                "`{s}`: a wildcard may only be a leading `*.` label, as in `*.example.com`"
            ));
        }
        let host = if s.starts_with('[') {
            s.strip_suffix(']')
                .and_then(|inner| inner.strip_prefix('['))
                .and_then(|inner| inner.parse::<Ipv6Addr>().ok())
                .map(|ip| format!("[{ip}]"))
        } else {
            normalise_host(s)
        };
        host.map(Self::Exact)
            .ok_or_else(|| format!("`{s}` is not a host name or IP address (without a port)"))
    }

    /// Whether `host` (normalised) is covered.
    pub fn matches(&self, host: &str) -> bool {
        match self {
            Self::Exact(exact) => host == exact,
            Self::Wildcard(suffix) => host
                .strip_suffix(suffix.as_str())
                .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
        }
    }
}

/// One thing a rule demands of whoever asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    /// Signed in.
    Login,
    /// Signed in with a confirmed address.
    Confirmed,
    /// Holding this role.
    Role(String),
    /// Holding this permission.
    Permission(String),
    /// Signed in with a second factor.
    TwoFactor,
    /// Nothing at all, and no identity is passed on: public.
    Bypass,
}

impl Requirement {
    /// `login`, `confirmed`, `role:NAME`, `permission:NAME`, `two_factor`
    /// or `bypass`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let named = |kind: &str, name: &str| {
            if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
                Err(format!("`{s}`: {kind} needs a name without spaces"))
            } else {
                Ok(name.to_owned())
            }
        };
        match s {
            "login" => Ok(Self::Login),
            "confirmed" => Ok(Self::Confirmed),
            "two_factor" => Ok(Self::TwoFactor),
            "bypass" => Ok(Self::Bypass),
            _ => match s.split_once(':') {
                Some(("role", name)) => named("role:", name).map(Self::Role),
                Some(("permission", name)) => named("permission:", name).map(Self::Permission),
                _ => Err(format!(
                    "`{s}` is not a requirement: login, confirmed, role:NAME, \
                     permission:NAME, two_factor or bypass"
                )),
            },
        }
    }

    fn met_by(&self, who: &Subject<'_>) -> bool {
        match self {
            Self::Login | Self::Bypass => true,
            Self::Confirmed => who.confirmed,
            Self::Role(role) => who.roles.iter().any(|r| r == role),
            Self::Permission(permission) => who.permissions.holds(permission),
            Self::TwoFactor => who.two_factor,
        }
    }
}

/// Hosts and a path prefix, and what requests to them need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The hosts covered.
    pub host: HostPattern,
    /// The normalised path prefix, matched by whole segments.
    pub path_prefix: String,
    /// Every one must be met.
    pub require: Vec<Requirement>,
}

impl Rule {
    /// A rule from configuration text. The prefix must start with `/` and
    /// is normalised like a request path (a trailing slash does not
    /// matter); `bypass` stands alone; at least one requirement is named.
    pub fn new<S: AsRef<str>>(
        host: &str,
        path_prefix: &str,
        require: impl IntoIterator<Item = S>,
    ) -> Result<Self, String> {
        let host = HostPattern::parse(host)?;
        if !path_prefix.starts_with('/') {
            return Err(format!("path prefix `{path_prefix}` must start with `/`"));
        }
        if path_prefix.contains('?') {
            return Err(format!(
                "path prefix `{path_prefix}` cannot contain a query"
            ));
        }
        let mut prefix = normalise_path(path_prefix)
            .map_err(|refusal| format!("path prefix `{path_prefix}`: {refusal}"))?;
        if prefix.len() > 1 && prefix.ends_with('/') {
            prefix.pop();
        }
        let require = require
            .into_iter()
            .map(|r| Requirement::parse(r.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        if require.is_empty() {
            return Err(
                "a rule needs at least one requirement (`login` for anyone signed in, \
                 `bypass` for everyone)"
                    .to_owned(),
            );
        }
        if require.contains(&Requirement::Bypass) && require.len() > 1 {
            return Err(
                "`bypass` lets everyone through and cannot be combined with other \
                 requirements"
                    .to_owned(),
            );
        }
        Ok(Self {
            host,
            path_prefix: prefix,
            require,
        })
    }

    /// Whether the rule covers `req`.
    pub fn matches(&self, req: &OriginalRequest) -> bool {
        self.host.matches(&req.host) && prefix_matches(&self.path_prefix, &req.path)
    }
}

/// Whether `prefix` covers `path` by whole segments: `/admin` covers
/// `/admin`, `/admin/x` and `/admin;p` (parameters end a segment's name for
/// servlet containers), not `/administrator`.
fn prefix_matches(prefix: &str, path: &str) -> bool {
    if prefix == "/" {
        return true;
    }
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('/') || rest.starts_with(';'),
        None => false,
    }
}

/// What a request no rule covers gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DefaultPolicy {
    /// Refused to everyone.
    #[default]
    Deny,
    /// Allowed to anyone signed in.
    Login,
}

/// The configured rules, in order; the first that covers a request decides.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rules {
    /// In order.
    pub rules: Vec<Rule>,
    /// For requests no rule covers.
    pub default: DefaultPolicy,
}

/// Who is asking, when someone is signed in.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The account's roles.
    pub roles: &'a [String],
    /// The account's permissions.
    pub permissions: &'a crate::access::PermissionSet,
    /// Whether the account confirmed its address.
    pub confirmed: bool,
    /// Whether this session passed a second factor.
    pub two_factor: bool,
}

/// The answer for the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Pass the request on; with `identify`, tell the application who is
    /// asking (false for bypass: no `Remote-*` headers).
    Allow {
        /// Whether to send the identity along.
        identify: bool,
    },
    /// Nobody is signed in and someone must be.
    Unauthenticated,
    /// Refused to whoever asks (or to everyone).
    Forbidden,
}

impl Rules {
    /// The index of the rule that decides `req`, `None` for the default.
    pub fn explain(&self, req: &OriginalRequest) -> Option<usize> {
        self.rules.iter().position(|rule| rule.matches(req))
    }

    /// Whether `who` (`None`: nobody signed in) may make `req`.
    pub fn decide(&self, req: &OriginalRequest, who: Option<&Subject<'_>>) -> Verdict {
        let require: &[Requirement] = match self.explain(req) {
            Some(index) => &self.rules[index].require,
            None => match self.default {
                DefaultPolicy::Deny => return Verdict::Forbidden,
                DefaultPolicy::Login => &[Requirement::Login],
            },
        };
        // Bypass only when it stands alone (as `Rule::new` insists); mixed
        // into other requirements by hand it grants nothing on its own.
        if !require.is_empty() && require.iter().all(|r| *r == Requirement::Bypass) {
            return Verdict::Allow { identify: false };
        }
        let Some(who) = who else {
            return Verdict::Unauthenticated;
        };
        if require.iter().all(|r| r.met_by(who)) {
            Verdict::Allow { identify: true }
        } else {
            Verdict::Forbidden
        }
    }
}

impl Rules {
    /// The hosts rules name exactly, normalised, each once, in rule order:
    /// where a sign-in may send the browser back to.
    pub fn exact_hosts(&self) -> Vec<String> {
        let mut hosts: Vec<String> = Vec::new();
        for rule in &self.rules {
            if let HostPattern::Exact(host) = &rule.host
                && !hosts.contains(host)
            {
                hosts.push(host.clone());
            }
        }
        hosts
    }
}

/// Where to send the browser after signing in, when the proxy's original
/// request is elsewhere: only an absolute `https` URL on the default port,
/// without user information, whose host is exactly one of `hosts` (never by
/// wildcard: a subdomain anyone can host content on would otherwise be an
/// open redirect), normalised. Anything else is `None`.
pub fn safe_next_absolute(next: &str, hosts: &[String]) -> Option<String> {
    let request = parse_absolute(next.trim()).ok()?;
    if request.scheme != "https" || request.port.is_some() {
        return None;
    }
    let allowed = hosts.iter().any(|h| {
        let normal = HostPattern::parse(h).ok();
        matches!(normal, Some(HostPattern::Exact(exact)) if exact == request.host)
    });
    allowed.then(|| request.url())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn headers(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), (*v).to_owned()))
            .collect();
        move |name: &str| map.get(&name.to_ascii_lowercase()).cloned()
    }

    fn url(s: &str) -> Result<OriginalRequest, Refusal> {
        parse_absolute(s)
    }

    fn path(s: &str) -> Result<String, Refusal> {
        normalise_path(s)
    }

    #[test]
    fn proxy_kinds_parse_and_print() {
        for kind in ProxyKind::ALL {
            assert_eq!(ProxyKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ProxyKind::parse("NGINX"), Some(ProxyKind::Nginx));
        assert_eq!(ProxyKind::parse("envoy"), None);
    }

    #[test]
    fn nginx_reads_only_the_original_url() {
        let request = original_request(
            ProxyKind::Nginx,
            headers(&[
                ("X-Original-URL", "https://App.Example.com./admin?x=1"),
                ("X-Original-Method", "post"),
                // A client's copies of the other set, passed through by nginx.
                ("X-Forwarded-Host", "public.example.com"),
                ("X-Forwarded-Uri", "/public"),
                ("X-Forwarded-Proto", "http"),
                ("X-Forwarded-Method", "GET"),
            ]),
        )
        .expect("parses");
        assert_eq!(
            request,
            OriginalRequest {
                method: "POST".into(),
                scheme: "https".into(),
                host: "app.example.com".into(),
                port: None,
                path: "/admin".into(),
                query: Some("x=1".into()),
            }
        );
        // Without its own header, the client's copies do not stand in.
        assert_eq!(
            original_request(
                ProxyKind::Nginx,
                headers(&[
                    ("X-Forwarded-Host", "public.example.com"),
                    ("X-Forwarded-Uri", "/public"),
                    ("X-Forwarded-Proto", "https"),
                ])
            ),
            Err(Refusal::MissingHeader("X-Original-URL"))
        );
    }

    #[test]
    fn nginx_method_defaults_to_get() {
        let request = original_request(
            ProxyKind::Nginx,
            headers(&[("X-Original-URL", "http://a.example/")]),
        )
        .expect("parses");
        assert_eq!(request.method, "GET");
        assert_eq!(
            original_request(
                ProxyKind::Nginx,
                headers(&[
                    ("X-Original-URL", "http://a.example/"),
                    ("X-Original-Method", "GE T"),
                ])
            ),
            Err(Refusal::Method)
        );
    }

    #[test]
    fn the_forwarded_set_is_read_only_by_the_other_proxies() {
        for kind in [ProxyKind::Traefik, ProxyKind::Caddy, ProxyKind::Haproxy] {
            let request = original_request(
                kind,
                headers(&[
                    ("X-Forwarded-Method", "DELETE"),
                    ("X-Forwarded-Proto", "https"),
                    ("X-Forwarded-Host", "app.example.com:8443"),
                    ("X-Forwarded-Uri", "/a//b/./c?q"),
                    // A client's copy, passed through by these proxies.
                    ("X-Original-URL", "https://public.example.com/"),
                ]),
            )
            .expect("parses");
            assert_eq!(request.method, "DELETE", "{kind}");
            assert_eq!(request.host, "app.example.com", "{kind}");
            assert_eq!(request.port, Some(8443), "{kind}");
            assert_eq!(request.path, "/a/b/c", "{kind}");
            assert_eq!(request.query.as_deref(), Some("q"), "{kind}");

            for missing in ["X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Uri"] {
                let mut all = vec![
                    ("X-Forwarded-Proto", "https"),
                    ("X-Forwarded-Host", "app.example.com"),
                    ("X-Forwarded-Uri", "/"),
                    ("X-Original-URL", "https://public.example.com/"),
                ];
                all.retain(|(k, _)| *k != missing);
                assert_eq!(
                    original_request(kind, headers(&all)),
                    Err(Refusal::MissingHeader(missing)),
                    "{kind} without {missing}"
                );
            }
        }
    }

    #[test]
    fn empty_required_headers_are_missing() {
        assert_eq!(
            original_request(ProxyKind::Nginx, headers(&[("X-Original-URL", "  ")])),
            Err(Refusal::MissingHeader("X-Original-URL"))
        );
    }

    #[test]
    fn only_http_and_https_without_userinfo() {
        assert_eq!(url("ftp://a.example/"), Err(Refusal::Scheme));
        assert_eq!(url("javascript://a.example/"), Err(Refusal::Scheme));
        assert_eq!(
            url("HTTPS://a.example/").map(|r| r.scheme),
            Ok("https".into())
        );
        assert_eq!(url("https://user@a.example/"), Err(Refusal::UserInfo));
        assert_eq!(url("https://u:p@a.example/"), Err(Refusal::UserInfo));
        assert_eq!(url("/relative"), Err(Refusal::Url));
        assert_eq!(url("https:/a.example/"), Err(Refusal::Url));
        assert_eq!(url("https://a.example/#frag"), Err(Refusal::Url));
    }

    #[test]
    fn hosts_are_normalised_or_refused() {
        let host = |s: &str| url(s).map(|r| r.host);
        assert_eq!(
            host("https://APP.Example.COM/"),
            Ok("app.example.com".into())
        );
        assert_eq!(
            host("https://app.example.com./"),
            Ok("app.example.com".into())
        );
        assert_eq!(host("https://10.0.0.1/"), Ok("10.0.0.1".into()));
        assert_eq!(host("https://[::1]/"), Ok("[::1]".into()));
        assert_eq!(host("https://[0:0::1]:8443/"), Ok("[::1]".into()));
        for bad in [
            "https:///",
            "https://app.example.com../",
            "https://.example.com/",
            "https://a..example.com/",
            "https://-a.example.com/",
            "https://a-.example.com/",
            "https://a_b.example.com/",
            "https://a%2eexample.com/",
            "https://a b.example/",
            "https://127.1/",
            "https://0x7f.0.0.1/",
            "https://256.0.0.1/",
            "https://[::1/",
            "https://[nonsense]/",
            "https://[::1]x/",
            "https://ex\u{e4}mple.com/",
        ] {
            assert_eq!(host(bad), Err(Refusal::Host), "{bad}");
        }
        let long = format!("https://{}.example/", "a".repeat(64));
        assert_eq!(host(&long), Err(Refusal::Host));
    }

    #[test]
    fn default_ports_are_none_and_others_are_checked() {
        let port = |s: &str| url(s).map(|r| r.port);
        assert_eq!(port("https://a.example:443/"), Ok(None));
        assert_eq!(port("http://a.example:80/"), Ok(None));
        assert_eq!(port("http://a.example:443/"), Ok(Some(443)));
        assert_eq!(port("https://a.example:8443/"), Ok(Some(8443)));
        for bad in [
            "https://a.example:/",
            "https://a.example:0/",
            "https://a.example:65536/",
            "https://a.example:+443/",
            "https://a.example:0443x/",
            "https://a.example:1:2/",
        ] {
            assert!(url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn empty_paths_are_the_root() {
        assert_eq!(url("https://a.example").map(|r| r.path), Ok("/".into()));
        let request = url("https://a.example?x").expect("parses");
        assert_eq!(
            (request.path.as_str(), request.query.as_deref()),
            ("/", Some("x"))
        );
        assert_eq!(path("/"), Ok("/".into()));
    }

    #[test]
    fn only_unreserved_characters_are_decoded() {
        assert_eq!(path("/%41%7a%2D%2e%5F%7E"), Ok("/Az-._~".into()));
        assert_eq!(path("/a%20b%3a%3F"), Ok("/a%20b%3A%3F".into()));
        assert_eq!(path("/caf%c3%a9"), Ok("/caf%C3%A9".into()));
    }

    #[test]
    fn encoded_separators_nul_and_controls_are_refused() {
        for bad in [
            "/a%2Fb",
            "/a%2fb",
            "/a%5Cb",
            "/a%5cb",
            "/a%00",
            "/a%0d%0a",
            "/a%7f",
            "/a\\b",
            "/a\0b",
            "/a\tb",
            "/a\nb",
            "/a\rb",
            "/a\u{7f}b",
            "/a b",
            "/a\"b",
            "/a<b>",
            "/caf\u{e9}",
        ] {
            assert!(matches!(path(bad), Err(Refusal::Path(_))), "{bad:?}");
        }
    }

    #[test]
    fn broken_escapes_are_refused() {
        for bad in ["/%", "/a%", "/a%2", "/a%zz", "/a%2g", "/%%41", "/%u002e"] {
            assert!(matches!(path(bad), Err(Refusal::Path(_))), "{bad}");
        }
    }

    #[test]
    fn dot_segments_are_removed_even_when_encoded() {
        for (raw, normal) in [
            ("/a/./b", "/a/b"),
            ("/a/../b", "/b"),
            ("/public/../admin", "/admin"),
            ("/public/%2e%2e/admin", "/admin"),
            ("/public/%2E%2E/admin", "/admin"),
            ("/public/.%2e/admin", "/admin"),
            ("/public/%2e/admin", "/public/admin"),
            ("/a/b/..", "/a/"),
            ("/a/.", "/a/"),
            ("/a/b/", "/a/b/"),
            ("/..a/.b./...", "/..a/.b./..."),
        ] {
            assert_eq!(path(raw), Ok(normal.to_owned()), "{raw}");
        }
    }

    #[test]
    fn repeated_slashes_collapse() {
        assert_eq!(path("//admin"), Ok("/admin".into()));
        assert_eq!(path("/a///b//"), Ok("/a/b/".into()));
        assert_eq!(path("////"), Ok("/".into()));
    }

    #[test]
    fn climbing_above_the_root_is_refused() {
        for bad in ["/..", "/../admin", "/a/../../b", "/%2e%2e/admin", "/./.."] {
            assert!(matches!(path(bad), Err(Refusal::Path(_))), "{bad}");
        }
    }

    #[test]
    fn dot_segments_with_parameters_are_refused() {
        for bad in ["/public/..;/admin", "/public/.;x/admin", "/%2e%2e;/admin"] {
            assert!(matches!(path(bad), Err(Refusal::Path(_))), "{bad}");
        }
        assert_eq!(path("/a;b/c"), Ok("/a;b/c".into()));
    }

    #[test]
    fn queries_are_validated() {
        assert_eq!(
            url("https://a.example/?a=%41&b=/c?").map(|r| r.query),
            Ok(Some("a=%41&b=/c?".into()))
        );
        for bad in [
            "https://a.example/?a=%",
            "https://a.example/?a b",
            "https://a.example/?\n",
        ] {
            assert_eq!(url(bad), Err(Refusal::Query), "{bad:?}");
        }
    }

    /// The shapes of GHSA-68wm-pfjf-wqp6: an `X-Original-URL` that does
    /// not parse. Every one is refused, none answered as if it passed.
    #[test]
    fn malformed_original_urls_are_refused_not_waved_through() {
        for bad in [
            "https://app.example.com/%",
            "https://app.example.com/a%zz",
            "https://app.example.com/ /admin",
            "https://app.example.com/\u{0}",
            "https://app.example.com\\@evil.example/",
            "https://app.example.com:abc/",
            "https://app.example.com/a\r\nX-Injected: 1",
            "app.example.com/admin",
            "//app.example.com/admin",
            "https//app.example.com/",
            "",
            "%",
            "https://",
        ] {
            assert!(
                original_request(ProxyKind::Nginx, headers(&[("X-Original-URL", bad)])).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_normal_url_parses_to_itself() {
        let request = url("HTTPS://App.Example.com:443//a/%2e/b%7e/?q=1").expect("parses");
        assert_eq!(request.url(), "https://app.example.com/a/b~/?q=1");
        assert_eq!(url(&request.url()), Ok(request));
    }

    use crate::access::PermissionSet;

    fn req(u: &str) -> OriginalRequest {
        parse_absolute(u).expect("a valid test URL")
    }

    fn rule(host: &str, prefix: &str, require: &[&str]) -> Rule {
        Rule::new(host, prefix, require).expect("a valid test rule")
    }

    #[test]
    fn host_patterns_parse() {
        assert_eq!(
            HostPattern::parse("App.Example.com."),
            Ok(HostPattern::Exact("app.example.com".into()))
        );
        assert_eq!(
            HostPattern::parse("*.Example.com"),
            Ok(HostPattern::Wildcard("example.com".into()))
        );
        assert_eq!(
            HostPattern::parse("[0::1]"),
            Ok(HostPattern::Exact("[::1]".into()))
        );
        for bad in [
            "",
            "*",
            "*.",
            "a.*.example.com",
            "*example.com",
            "app*.example.com",
            "**.example.com",
            "*.*.example.com",
            "*.10.0.0.1",
            "app.example.com:443",
            "a_b.example",
            "[::1",
            "https://app.example.com",
        ] {
            let error = HostPattern::parse(bad).expect_err(bad);
            assert!(!error.is_empty());
        }
    }

    #[test]
    fn a_wildcard_matches_subdomains_not_the_apex() {
        let wild = HostPattern::parse("*.example.com").expect("parses");
        assert!(wild.matches("app.example.com"));
        assert!(wild.matches("a.b.example.com"));
        assert!(!wild.matches("example.com"));
        assert!(!wild.matches("badexample.com"));
        assert!(!wild.matches("example.com.evil.example"));
        assert!(!wild.matches(".example.com"));
        let exact = HostPattern::parse("example.com").expect("parses");
        assert!(exact.matches("example.com"));
        assert!(!exact.matches("app.example.com"));
    }

    #[test]
    fn requirements_parse() {
        assert_eq!(Requirement::parse("login"), Ok(Requirement::Login));
        assert_eq!(Requirement::parse("confirmed"), Ok(Requirement::Confirmed));
        assert_eq!(Requirement::parse("two_factor"), Ok(Requirement::TwoFactor));
        assert_eq!(Requirement::parse("bypass"), Ok(Requirement::Bypass));
        assert_eq!(
            Requirement::parse("role:ops"),
            Ok(Requirement::Role("ops".into()))
        );
        assert_eq!(
            Requirement::parse("permission:users:read"),
            Ok(Requirement::Permission("users:read".into()))
        );
        for bad in [
            "",
            "role:",
            "role: ops",
            "permission:",
            "admin",
            "Login",
            "group:ops",
        ] {
            assert!(Requirement::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rules_are_validated() {
        assert!(Rule::new("a.example", "admin", ["login"]).is_err());
        assert!(Rule::new("a.example", "", ["login"]).is_err());
        assert!(Rule::new("a.example", "/a?b", ["login"]).is_err());
        assert!(Rule::new("a.example", "/a%2fb", ["login"]).is_err());
        assert!(Rule::new("a.example", "/..", ["login"]).is_err());
        assert!(Rule::new("a.example", "/", Vec::<&str>::new()).is_err());
        assert!(Rule::new("a.example", "/", ["bypass", "login"]).is_err());
        assert!(Rule::new("a.example", "/", ["role:ops", "bypass"]).is_err());
        assert!(Rule::new("a.example", "/", ["nonsense"]).is_err());
        assert!(Rule::new("*.a.example", "/", ["bypass"]).is_ok());
        assert_eq!(
            rule("a.example", "/admin/", &["login"]).path_prefix,
            "/admin"
        );
        assert_eq!(
            rule("a.example", "//admin/./x", &["login"]).path_prefix,
            "/admin/x"
        );
        assert_eq!(rule("a.example", "/", &["login"]).path_prefix, "/");
    }

    #[test]
    fn prefixes_match_whole_segments() {
        let rules = Rules {
            rules: vec![rule("a.example", "/admin", &["bypass"])],
            default: DefaultPolicy::Deny,
        };
        for hit in [
            "https://a.example/admin",
            "https://a.example/admin/",
            "https://a.example/admin/x",
            "https://a.example/admin;jsessionid=1",
            "https://a.example//admin",
            "https://a.example/x/../admin",
        ] {
            assert_eq!(rules.explain(&req(hit)), Some(0), "{hit}");
        }
        for miss in [
            "https://a.example/administrator",
            "https://a.example/admi",
            "https://a.example/",
            "https://a.example/x/admin",
            "https://a.example/Admin",
            "https://b.example/admin",
        ] {
            assert_eq!(rules.explain(&req(miss)), None, "{miss}");
        }
        let root = rule("a.example", "/", &["login"]);
        assert!(root.matches(&req("https://a.example/")));
        assert!(root.matches(&req("https://a.example/anything/at/all")));
    }

    #[test]
    fn the_first_matching_rule_wins() {
        let rules = Rules {
            rules: vec![
                rule("app.example.com", "/public", &["bypass"]),
                rule("*.example.com", "/", &["role:ops"]),
                rule("app.example.com", "/", &["bypass"]),
            ],
            default: DefaultPolicy::Login,
        };
        assert_eq!(
            rules.explain(&req("https://app.example.com/public/x")),
            Some(0)
        );
        assert_eq!(
            rules.explain(&req("https://app.example.com/private")),
            Some(1)
        );
        assert_eq!(rules.explain(&req("https://example.com/")), None);
        assert_eq!(
            rules.decide(&req("https://app.example.com/private"), None),
            Verdict::Unauthenticated
        );
        // The traversal is resolved before matching: not the public rule.
        assert_eq!(
            rules.decide(&req("https://app.example.com/public/%2e%2e/private"), None),
            Verdict::Unauthenticated
        );
    }

    struct Person {
        roles: Vec<String>,
        permissions: PermissionSet,
        confirmed: bool,
        two_factor: bool,
    }

    impl Person {
        fn plain() -> Self {
            Self {
                roles: vec!["staff".into()],
                permissions: PermissionSet::of(["reports:read"]),
                confirmed: false,
                two_factor: false,
            }
        }

        fn subject(&self) -> Subject<'_> {
            Subject {
                roles: &self.roles,
                permissions: &self.permissions,
                confirmed: self.confirmed,
                two_factor: self.two_factor,
            }
        }
    }

    fn only(require: &[&str]) -> Rules {
        Rules {
            rules: vec![rule("a.example", "/", require)],
            default: DefaultPolicy::Deny,
        }
    }

    const ALLOW: Verdict = Verdict::Allow { identify: true };

    #[test]
    fn each_requirement_is_checked() {
        let r = req("https://a.example/x");
        let plain = Person::plain();
        let confirmed = Person {
            confirmed: true,
            ..Person::plain()
        };
        let two_factor = Person {
            two_factor: true,
            ..Person::plain()
        };
        let admin = Person {
            roles: vec!["admin".into()],
            permissions: PermissionSet::All,
            ..Person::plain()
        };
        let check = |require: &[&str], who: &Person| only(require).decide(&r, Some(&who.subject()));

        assert_eq!(check(&["login"], &plain), ALLOW);
        assert_eq!(check(&["confirmed"], &plain), Verdict::Forbidden);
        assert_eq!(check(&["confirmed"], &confirmed), ALLOW);
        assert_eq!(check(&["two_factor"], &plain), Verdict::Forbidden);
        assert_eq!(check(&["two_factor"], &two_factor), ALLOW);
        assert_eq!(check(&["role:staff"], &plain), ALLOW);
        assert_eq!(check(&["role:ops"], &plain), Verdict::Forbidden);
        assert_eq!(check(&["role:staf"], &plain), Verdict::Forbidden);
        assert_eq!(check(&["permission:reports:read"], &plain), ALLOW);
        assert_eq!(
            check(&["permission:reports:write"], &plain),
            Verdict::Forbidden
        );
        assert_eq!(check(&["permission:reports:write"], &admin), ALLOW);
        // The superuser holds every permission, not every role.
        assert_eq!(check(&["role:ops"], &admin), Verdict::Forbidden);
        // Every requirement, not any.
        assert_eq!(
            check(&["confirmed", "two_factor"], &confirmed),
            Verdict::Forbidden
        );
        assert_eq!(
            check(&["confirmed", "two_factor"], &two_factor),
            Verdict::Forbidden
        );
        let both = Person {
            confirmed: true,
            two_factor: true,
            ..Person::plain()
        };
        assert_eq!(
            check(&["confirmed", "two_factor", "role:staff"], &both),
            ALLOW
        );
        // Nobody signed in: authenticate first, whatever is required.
        for require in [
            &["login"][..],
            &["role:ops"],
            &["two_factor"],
            &["confirmed"],
        ] {
            assert_eq!(only(require).decide(&r, None), Verdict::Unauthenticated);
        }
    }

    #[test]
    fn bypass_lets_everyone_through_without_identity() {
        let rules = only(&["bypass"]);
        let r = req("https://a.example/");
        assert_eq!(rules.decide(&r, None), Verdict::Allow { identify: false });
        let plain = Person::plain();
        assert_eq!(
            rules.decide(&r, Some(&plain.subject())),
            Verdict::Allow { identify: false }
        );
        // Mixed in by hand (Rule::new refuses it), bypass grants nothing.
        let mixed = Rules {
            rules: vec![Rule {
                host: HostPattern::Exact("a.example".into()),
                path_prefix: "/".into(),
                require: vec![Requirement::Bypass, Requirement::Role("ops".into())],
            }],
            default: DefaultPolicy::Deny,
        };
        assert_eq!(mixed.decide(&r, None), Verdict::Unauthenticated);
        assert_eq!(mixed.decide(&r, Some(&plain.subject())), Verdict::Forbidden);
    }

    #[test]
    fn the_default_applies_when_nothing_matches() {
        let r = req("https://elsewhere.example/");
        let plain = Person::plain();
        let deny = only(&["bypass"]);
        assert_eq!(deny.decide(&r, None), Verdict::Forbidden);
        assert_eq!(deny.decide(&r, Some(&plain.subject())), Verdict::Forbidden);
        let login = Rules {
            default: DefaultPolicy::Login,
            ..only(&["bypass"])
        };
        assert_eq!(login.decide(&r, None), Verdict::Unauthenticated);
        assert_eq!(login.decide(&r, Some(&plain.subject())), ALLOW);
        assert_eq!(Rules::default().decide(&r, None), Verdict::Forbidden);
    }

    #[test]
    fn a_client_sent_forwarded_host_does_not_reach_the_rules_behind_nginx() {
        let rules = Rules {
            rules: vec![
                rule("public.example.com", "/", &["bypass"]),
                rule("app.example.com", "/", &["role:ops"]),
            ],
            default: DefaultPolicy::Deny,
        };
        let request = original_request(
            ProxyKind::Nginx,
            headers(&[
                ("X-Original-URL", "https://app.example.com/secret"),
                ("X-Forwarded-Host", "public.example.com"),
                ("X-Forwarded-Proto", "https"),
                ("X-Forwarded-Uri", "/"),
            ]),
        )
        .expect("parses");
        assert_eq!(rules.decide(&request, None), Verdict::Unauthenticated);
    }

    #[test]
    fn exact_hosts_are_listed_once_without_wildcards() {
        let rules = Rules {
            rules: vec![
                rule("App.example.com", "/a", &["login"]),
                rule("*.example.com", "/", &["login"]),
                rule("app.example.com", "/b", &["login"]),
                rule("10.0.0.1", "/", &["login"]),
            ],
            default: DefaultPolicy::Deny,
        };
        assert_eq!(rules.exact_hosts(), vec!["app.example.com", "10.0.0.1"]);
    }

    #[test]
    fn only_https_urls_on_named_hosts_are_safe_to_return_to() {
        let hosts = vec!["app.example.com".to_owned(), "*.example.com".to_owned()];
        let next = |s: &str| safe_next_absolute(s, &hosts);
        assert_eq!(
            next("https://app.example.com/a/b?x=1"),
            Some("https://app.example.com/a/b?x=1".into())
        );
        assert_eq!(
            next("HTTPS://APP.example.com.:443//a/./b"),
            Some("https://app.example.com/a/b".into())
        );
        for bad in [
            "http://app.example.com/",
            "https://app.example.com:8443/",
            "https://user@app.example.com/",
            "https://evil.example/",
            "https://other.example.com/",
            "https://example.com/",
            "https://app.example.com.evil.example/",
            "https://evil.example/?https://app.example.com/",
            "https://evil.example\\@app.example.com/",
            "//app.example.com/",
            "/relative",
            "javascript://app.example.com/%0aalert(1)",
            "https://app.example.com/%2f%2fevil.example",
            "https://app.example.com/../x",
            "https://app.example.com/#frag",
            "",
        ] {
            assert_eq!(next(bad), None, "{bad}");
        }
        assert_eq!(safe_next_absolute("https://app.example.com/", &[]), None);
    }

    fn pathish() -> impl Strategy<Value = String> {
        prop_oneof![
            "/[a-zA-Z0-9/.;%~_-]{0,40}",
            "/(\\.|%2e|%2E|%2f|%5c|%00|/|a|;|%41|%)+",
            any::<String>().prop_map(|s| format!("/{s}")),
        ]
    }

    proptest! {
        #[test]
        fn normalising_is_idempotent(raw in pathish()) {
            if let Ok(normal) = normalise_path(&raw) {
                prop_assert_eq!(normalise_path(&normal), Ok(normal.clone()));
            }
        }

        #[test]
        fn a_normal_path_has_no_ambiguous_parts(raw in pathish()) {
            if let Ok(normal) = normalise_path(&raw) {
                let lower = normal.to_ascii_lowercase();
                prop_assert!(normal.starts_with('/'));
                prop_assert!(!normal.contains("//"), "{}", normal);
                prop_assert!(!normal.contains("/./"), "{}", normal);
                prop_assert!(!normal.contains("/../"), "{}", normal);
                prop_assert!(!normal.ends_with("/.") && !normal.ends_with("/.."), "{}", normal);
                prop_assert!(!normal.contains('\\'), "{}", normal);
                prop_assert!(!lower.contains("%2f") && !lower.contains("%5c"), "{}", normal);
                prop_assert!(!lower.contains("%2e") && !lower.contains("%00"), "{}", normal);
            }
        }

        #[test]
        fn parsing_a_normal_url_again_changes_nothing(
            scheme in "(?i:https?)",
            host in "[a-zA-Z0-9.-]{1,20}",
            port in proptest::option::of(0u32..70000),
            target in pathish(),
        ) {
            let raw = match port {
                Some(p) => format!("{scheme}://{host}:{p}{target}"),
                None => format!("{scheme}://{host}{target}"),
            };
            if let Ok(request) = parse_absolute(&raw) {
                prop_assert_eq!(parse_absolute(&request.url()), Ok(request));
            }
        }

        #[test]
        fn any_header_text_is_parsed_or_refused(
            values in proptest::collection::vec(proptest::option::of(any::<String>()), 6),
        ) {
            let names = [
                "X-Original-URL", "X-Original-Method", "X-Forwarded-Method",
                "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Uri",
            ];
            let lookup = |name: &str| {
                names.iter().position(|n| n.eq_ignore_ascii_case(name))
                    .and_then(|i| values[i].clone())
            };
            for kind in ProxyKind::ALL {
                let _ = original_request(kind, lookup);
            }
        }

        #[test]
        fn deciding_never_panics_on_any_header_text(
            values in proptest::collection::vec(proptest::option::of(any::<String>()), 6),
            signed_in in any::<bool>(),
        ) {
            let names = [
                "X-Original-URL", "X-Original-Method", "X-Forwarded-Method",
                "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Uri",
            ];
            let lookup = |name: &str| {
                names.iter().position(|n| n.eq_ignore_ascii_case(name))
                    .and_then(|i| values[i].clone())
            };
            let rules = Rules {
                rules: vec![
                    rule("*.example.com", "/public", &["bypass"]),
                    rule("app.example.com", "/admin", &["role:ops", "two_factor"]),
                ],
                default: DefaultPolicy::Login,
            };
            let person = Person::plain();
            let who = signed_in.then(|| person.subject());
            for kind in ProxyKind::ALL {
                if let Ok(request) = original_request(kind, lookup) {
                    let _ = rules.decide(&request, who.as_ref());
                }
            }
        }
    }
}
