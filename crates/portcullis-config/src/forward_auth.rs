//! The `[forward_auth]` section: a reverse proxy (nginx `auth_request`,
//! Traefik `forwardAuth`, Caddy `forward_auth`, HAProxy) asks the server
//! whether a request to another site may pass, and the rules say who may.
//!
//! ```toml
//! [forward_auth]
//! proxy = "nginx"
//! default = "deny"
//!
//! [[forward_auth.rules]]
//! host = "grafana.example.com"
//! path_prefix = "/"
//! require = ["role:ops", "two_factor"]
//! ```
//!
//! Unset `proxy` means forward auth is off; rules then make no sense and are
//! refused. Rules are declared in the file only, like `[[roles]]`, and
//! messages name one by its position: `forward_auth.rules[2].require`.

use crate::{SettingsError, invalid, value};
use portcullis_core::policy::forward::Rule;
use serde::{Deserialize, Deserializer, Serialize};

/// The proxy that asks, whose way of passing the original request the
/// server reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ForwardProxy {
    Nginx,
    Traefik,
    Caddy,
    Haproxy,
}

/// What happens to a request no rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ForwardDefault {
    /// Refused, signed in or not. The default: a site behind the proxy is
    /// closed until a rule opens it.
    #[default]
    Deny,
    /// Admitted for any signed-in account, as a rule `require = ["login"]`.
    Login,
}

/// `[forward_auth]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ForwardAuthSettings {
    /// The proxy in front; unset means forward auth is off.
    pub proxy: Option<ForwardProxy>,
    /// What a request that matches no rule gets.
    pub default: ForwardDefault,
    /// `[[forward_auth.rules]]`, in the order written.
    pub rules: Vec<ForwardRuleSettings>,
}

/// One `[[forward_auth.rules]]` table: requests to `host` whose path starts
/// with `path_prefix` need everything in `require`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardRuleSettings {
    /// `grafana.example.com`, or `*.example.com` for every name below
    /// `example.com` (not `example.com` itself). Kept in lower case.
    #[serde(deserialize_with = "lower_case")]
    pub host: String,
    /// The start of the paths the rule covers; `/` (the default) covers all.
    #[serde(default = "root")]
    pub path_prefix: String,
    /// Each item must hold: `login`, `confirmed`, `two_factor`,
    /// `role:<name>`, `permission:<name>`; or `bypass` alone, which admits
    /// everyone, signed in or not.
    #[serde(default)]
    pub require: Vec<String>,
}

/// The requirements that are one word.
pub const REQUIREMENT_WORDS: [&str; 4] = ["login", "confirmed", "two_factor", "bypass"];

/// The requirement that admits everyone, and so stands alone.
pub const BYPASS: &str = "bypass";

fn root() -> String {
    "/".to_owned()
}

/// Host names match whatever case a request writes them in; they are kept
/// in one.
fn lower_case<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    String::deserialize(deserializer).map(|host| host.to_ascii_lowercase())
}

impl ForwardAuthSettings {
    /// Checks `proxy` against the rules and every rule, naming the key at
    /// fault as `forward_auth.rules[<index>].<key>`.
    pub(crate) fn validate(&self) -> Result<(), SettingsError> {
        if self.proxy.is_none() && !self.rules.is_empty() {
            return Err(invalid(
                "forward_auth.proxy",
                format!(
                    "is not set, so forward auth is off and the {} [[forward_auth.rules]] \
                     would never apply; set forward_auth.proxy to the proxy in front \
                     (nginx, traefik, caddy or haproxy), or remove the rules",
                    self.rules.len()
                ),
            ));
        }
        for (index, rule) in self.rules.iter().enumerate() {
            let key = |field: &str| format!("forward_auth.rules[{index}].{field}");
            check_host(&rule.host).map_err(|problem| invalid(&key("host"), problem))?;
            check_path_prefix(&rule.path_prefix)
                .map_err(|problem| invalid(&key("path_prefix"), problem))?;
            check_require(&rule.require).map_err(|problem| invalid(&key("require"), problem))?;
            // The server builds its rules with the policy's own parser; what
            // these checks let through it must take too, or the server would
            // stop at start with a message naming no key.
            Rule::new(&rule.host, &rule.path_prefix, &rule.require).map_err(|problem| {
                invalid(
                    &format!("forward_auth.rules[{index}]"),
                    format!("is not a rule the server can apply: {problem}"),
                )
            })?;
        }
        Ok(())
    }
}

/// An exact DNS name, or `*.` and a DNS name with at least one dot; no
/// scheme, port, path or userinfo.
fn check_host(host: &str) -> Result<(), String> {
    if host.contains("://") {
        return Err(format!(
            "{host:?} has a scheme: write the host alone, such as grafana.example.com"
        ));
    }
    if host.contains('@') {
        return Err(format!(
            "{host:?} has userinfo (…@): write the host alone, such as grafana.example.com"
        ));
    }
    if host.contains('/') {
        return Err(format!(
            "{host:?} has a path: write the host alone and the path as path_prefix"
        ));
    }
    if host.contains(':') {
        return Err(format!(
            "{host:?} has a port (or is an IPv6 address): write the host alone; a rule \
             covers it on every port"
        ));
    }
    if host.ends_with('.') {
        return Err(format!(
            "{host:?} ends with a dot: write the name without it"
        ));
    }
    match host.strip_prefix("*.") {
        Some(below) if below.contains('*') || !value::is_dns_name(below) => Err(format!(
            "{host:?} is not *. followed by a DNS name (labels of a-z, 0-9 and -, separated \
             by dots)"
        )),
        Some(below) if !below.contains('.') => Err(format!(
            "{host:?} would cover every name under {below:?}: a wildcard needs a name with \
             a dot after *., such as *.example.com"
        )),
        Some(_) => Ok(()),
        None if host.contains('*') => Err(format!(
            "{host:?} has a * that is not its start: only a leading *. is allowed, such as \
             *.example.com"
        )),
        None if !value::is_dns_name(host) => Err(format!(
            "{host:?} is not a DNS name (labels of a-z, 0-9 and -, separated by dots)"
        )),
        None => Ok(()),
    }
}

/// A plain path: it starts with `/`; no query, fragment, `.` or `..`
/// segment, `//`, backslash or percent sign. Those are read differently by
/// proxies and servers, so a rule could cover another path than the one
/// the site serves.
fn check_path_prefix(path: &str) -> Result<(), String> {
    let why = if !path.starts_with('/') {
        "does not start with /"
    } else if path.contains(['?', '#']) {
        "has a query or a fragment: a prefix is a path only"
    } else if path.contains(['\\', '%']) {
        "has a backslash or a %, which proxies and servers decode differently: write \
         the path's characters as they are"
    } else if path.contains("//") {
        "has //, an empty segment, which servers read differently"
    } else if path
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        "has a . or .. segment, which servers resolve to another path"
    } else {
        return Ok(());
    };
    Err(format!("{path:?} {why}"))
}

/// At least one item, each a requirement; `bypass` alone.
fn check_require(require: &[String]) -> Result<(), String> {
    if require.is_empty() {
        return Err(
            "is empty: a rule needs at least one requirement; use [\"login\"] to admit any \
             account"
                .to_owned(),
        );
    }
    for item in require {
        check_requirement(item)?;
    }
    if require.len() > 1 && require.iter().any(|item| item == BYPASS) {
        return Err(format!(
            "has {BYPASS:?} with other items: {BYPASS} admits everyone, signed in or not, so \
             it stands alone; write [\"{BYPASS}\"] or remove it"
        ));
    }
    Ok(())
}

fn check_requirement(item: &str) -> Result<(), String> {
    use portcullis_core::domain::role::{Permission, RoleName};
    let fine = match item.split_once(':') {
        None => REQUIREMENT_WORDS.contains(&item),
        // A rule's role names have no spaces, as the policy reads them.
        Some(("role", name)) => name.trim() == name && RoleName::parse(name).is_ok(),
        Some(("permission", name)) => name.trim() == name && Permission::parse(name).is_ok(),
        Some(_) => false,
    };
    if fine {
        return Ok(());
    }
    Err(match item.split_once(':') {
        Some(("role", "")) => {
            format!("{item:?} names no role: write role:<name>, such as role:ops")
        }
        Some(("permission", "")) => format!(
            "{item:?} names no permission: write permission:<name>, such as \
             permission:grafana:view"
        ),
        Some(("role", name)) if name.trim() != name => format!(
            "{item:?}: no spaces around the role's name (write role:{})",
            name.trim()
        ),
        Some(("role", name)) => format!("{item:?}: {name:?} is not a valid role name"),
        Some(("permission", name)) => {
            format!("{item:?}: {name:?} is not a valid permission")
        }
        _ => format!(
            "{item:?} is not a requirement: login, confirmed, two_factor, bypass, \
             role:<name> or permission:<name>"
        ),
    })
}
