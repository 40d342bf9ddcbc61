//! Rules by host and path prefix, what they require, and where a sign-in
//! may return to.

use super::request::*;
use std::net::{Ipv4Addr, Ipv6Addr};

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
        // Names follow the rules of roles and permissions themselves, so a
        // requirement that could never be met (or one for a role called
        // "Department Officer") is caught, or accepted, as the roles are.
        let role = |name: &str| {
            if name != name.trim() {
                return Err(format!("`{s}`: no spaces around the role's name"));
            }
            crate::domain::role::RoleName::parse(name)
                .map(|n| Self::Role(n.as_str().to_owned()))
                .map_err(|e| format!("`{s}`: {e}"))
        };
        let permission = |name: &str| {
            crate::domain::role::Permission::parse(name)
                .map(|p| Self::Permission(p.as_str().to_owned()))
                .map_err(|e| format!("`{s}`: {e}"))
        };
        match s {
            "login" => Ok(Self::Login),
            "confirmed" => Ok(Self::Confirmed),
            "two_factor" => Ok(Self::TwoFactor),
            "bypass" => Ok(Self::Bypass),
            _ => match s.split_once(':') {
                Some(("role", name)) => role(name),
                Some(("permission", name)) => permission(name),
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
