//! `[forward_auth]` and its `[[forward_auth.rules]]`, and the session
//! cookie's domain the sites behind the proxy share: what is read, and every
//! refusal naming its key, "file only" or its variable, and an example.

use super::{env, load_toml, production};
use crate::{ForwardDefault, ForwardProxy, ForwardRuleSettings, Settings};

/// `[forward_auth]` with nginx in front and `rules` (TOML) after it.
fn with_rules(name: &str, rules: &str) -> Result<Settings, String> {
    let toml = format!("[forward_auth]\nproxy = \"nginx\"\n{rules}");
    load_toml(&format!("forward-{name}"), &toml, &[]).map_err(|e| e.to_string())
}

/// One rule for `host` needing `require`, with `extra` lines in it.
fn rule(host: &str, require: &str, extra: &str) -> String {
    format!("[[forward_auth.rules]]\nhost = {host:?}\nrequire = {require}\n{extra}")
}

/// The message refusing a single rule.
fn refused(name: &str, host: &str, require: &str, extra: &str) -> String {
    with_rules(name, &rule(host, require, extra)).unwrap_err()
}

#[test]
fn forward_auth_is_off_by_default() {
    let s = Settings::load(None, env(&[])).unwrap();
    assert_eq!(s.forward_auth.proxy, None);
    assert_eq!(s.forward_auth.default, ForwardDefault::Deny);
    assert!(s.forward_auth.rules.is_empty());
}

#[test]
fn the_proxy_and_default_are_read_from_the_file_or_the_environment() {
    for (word, proxy) in [
        ("nginx", ForwardProxy::Nginx),
        ("traefik", ForwardProxy::Traefik),
        ("caddy", ForwardProxy::Caddy),
        ("HAProxy", ForwardProxy::Haproxy),
    ] {
        let s = Settings::load(None, env(&[("PORTCULLIS_FORWARD_AUTH__PROXY", word)])).unwrap();
        assert_eq!(s.forward_auth.proxy, Some(proxy));
    }
    let s = load_toml(
        "forward-default",
        "[forward_auth]\nproxy = \"caddy\"\ndefault = \"login\"\n",
        &[("PORTCULLIS_FORWARD_AUTH__PROXY", "traefik")],
    )
    .unwrap();
    assert_eq!(s.forward_auth.proxy, Some(ForwardProxy::Traefik));
    assert_eq!(s.forward_auth.default, ForwardDefault::Login);
}

#[test]
fn an_unknown_proxy_or_default_is_refused_with_the_choices() {
    let err = Settings::load(None, env(&[("PORTCULLIS_FORWARD_AUTH__PROXY", "apache")]))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "configuration key forward_auth.proxy (PORTCULLIS_FORWARD_AUTH__PROXY): \"apache\" is \
         not one of nginx, traefik, caddy, haproxy; example: nginx"
    );
    let err = load_toml(
        "forward-bad-default",
        "[forward_auth]\ndefault = \"allow\"\n",
        &[],
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        "configuration key forward_auth.default (PORTCULLIS_FORWARD_AUTH__DEFAULT): \"allow\" \
         is not one of deny, login; example: deny"
    );
}

#[test]
fn rules_are_read_in_order_with_their_defaults() {
    let rules = [
        rule("Grafana.Example.COM", "[\"role:ops\", \"two_factor\"]", ""),
        rule(
            "*.example.com",
            "[\"login\"]",
            "path_prefix = \"/admin/\"\n",
        ),
        rule(
            "status.example.com",
            "[\"bypass\"]",
            "path_prefix = \"/health\"\n",
        ),
        rule(
            "wiki",
            "[\"confirmed\", \"permission:wiki:edit\"]",
            "path_prefix = \"/edit\"\n",
        ),
    ]
    .concat();
    let s = with_rules("read", &rules).unwrap();
    let read = |host: &str, prefix: &str, require: &[&str]| ForwardRuleSettings {
        host: host.into(),
        path_prefix: prefix.into(),
        require: require.iter().map(|r| r.to_string()).collect(),
    };
    assert_eq!(
        s.forward_auth.rules,
        [
            read("grafana.example.com", "/", &["role:ops", "two_factor"]),
            read("*.example.com", "/admin/", &["login"]),
            read("status.example.com", "/health", &["bypass"]),
            read("wiki", "/edit", &["confirmed", "permission:wiki:edit"]),
        ]
    );
}

#[test]
fn rules_without_a_proxy_are_refused() {
    let err = load_toml(
        "forward-no-proxy",
        &rule("grafana.example.com", "[\"login\"]", ""),
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with(
            "configuration key forward_auth.proxy (PORTCULLIS_FORWARD_AUTH__PROXY): is not set"
        ),
        "{err}"
    );
    assert!(err.contains("set forward_auth.proxy"), "{err}");
    assert!(err.ends_with("; example: nginx"), "{err}");
}

#[test]
fn rules_are_file_only() {
    for var in [
        "PORTCULLIS_FORWARD_AUTH__RULES",
        "PORTCULLIS_FORWARD_AUTH__RULES__HOST",
    ] {
        let err = Settings::load(None, env(&[(var, "grafana.example.com")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with(
                "cannot be set from the environment; declare [[forward_auth.rules]] in the \
                 configuration file"
            ),
            "{err}"
        );
        assert!(err.contains(var), "{err}");
    }
    let err = with_rules(
        "as-table",
        "[forward_auth.rules]\nhost = \"a.example.com\"\n",
    )
    .unwrap_err();
    assert!(
        err.starts_with("configuration key forward_auth.rules (file only): a table is not"),
        "{err}"
    );
}

#[test]
fn a_rule_needs_a_host_and_no_unknown_keys() {
    let err = with_rules("no-host", "[[forward_auth.rules]]\nrequire = [\"login\"]\n").unwrap_err();
    assert_eq!(
        err,
        "configuration key forward_auth.rules[0].host (file only): is missing; example: \
         grafana.example.com"
    );
    let err = refused(
        "typo",
        "a.example.com",
        "[\"login\"]",
        "path_prefx = \"/\"\n",
    );
    assert!(
        err.starts_with("unknown configuration key forward_auth.rules[0].path_prefx")
            && err.ends_with("did you mean forward_auth.rules.path_prefix?"),
        "{err}"
    );
    let err = with_rules(
        "host-number",
        "[[forward_auth.rules]]\nhost = 7\nrequire = [\"login\"]\n",
    )
    .unwrap_err();
    assert_eq!(
        err,
        "configuration key forward_auth.rules[0].host (file only): 7 is not text (write it in \
         quotes); example: grafana.example.com"
    );
}

#[test]
fn hosts_are_dns_names_or_a_leading_wildcard() {
    for host in [
        "grafana.example.com",
        "grafana",
        "*.example.com",
        "*.a.example.com",
        "a-1.example.com",
    ] {
        assert!(
            with_rules("fine-host", &rule(host, "[\"login\"]", "")).is_ok(),
            "{host}"
        );
    }
    for (host, why) in [
        ("https://grafana.example.com", "has a scheme"),
        ("ops@grafana.example.com", "has userinfo"),
        ("grafana.example.com/admin", "has a path"),
        ("grafana.example.com:3000", "has a port"),
        ("[::1]", "has a port (or is an IPv6 address)"),
        ("grafana.example.com.", "ends with a dot"),
        ("*.com", "a wildcard needs a name with a dot"),
        ("*.*.example.com", "is not *. followed by a DNS name"),
        ("*example.com", "only a leading *. is allowed"),
        ("grafana.*.com", "only a leading *. is allowed"),
        ("*", "only a leading *. is allowed"),
        ("", "is not a DNS name"),
        ("graf_ana.example.com", "is not a DNS name"),
        ("a..example.com", "is not a DNS name"),
        ("-a.example.com", "is not a DNS name"),
        ("caf\u{e9}.example.com", "is not a DNS name"),
    ] {
        let err = refused("bad-host", host, "[\"login\"]", "");
        assert!(
            err.starts_with("configuration key forward_auth.rules[0].host (file only): "),
            "{err}"
        );
        assert!(err.contains(why), "{host}: {err}");
        assert!(err.ends_with("; example: grafana.example.com"), "{err}");
    }
}

#[test]
fn path_prefixes_are_plain_paths() {
    for path in ["/", "/admin", "/admin/", "/a.b/c-d_e~f"] {
        let extra = format!("path_prefix = {path:?}\n");
        assert!(
            with_rules("fine-path", &rule("a.example.com", "[\"login\"]", &extra)).is_ok(),
            "{path}"
        );
    }
    for (path, why) in [
        ("admin", "does not start with /"),
        ("", "does not start with /"),
        ("/admin?x=1", "has a query or a fragment"),
        ("/admin#top", "has a query or a fragment"),
        ("/admin/../secret", "has a . or .. segment"),
        ("/./admin", "has a . or .. segment"),
        ("/admin/..", "has a . or .. segment"),
        ("//admin", "has //"),
        ("/admin//x", "has //"),
        ("/admin\\x", "has a backslash or a %"),
        ("/%61dmin", "has a backslash or a %"),
    ] {
        let extra = format!("path_prefix = {path:?}\n");
        let err = refused("bad-path", "a.example.com", "[\"login\"]", &extra);
        assert!(
            err.starts_with("configuration key forward_auth.rules[0].path_prefix (file only): "),
            "{err}"
        );
        assert!(err.contains(why), "{path}: {err}");
        assert!(err.ends_with("; example: /admin"), "{err}");
    }
}

#[test]
fn requirements_are_words_roles_or_permissions() {
    for require in [
        "[\"login\"]",
        "[\"confirmed\"]",
        "[\"two_factor\"]",
        "[\"bypass\"]",
        "[\"role:ops\", \"role:Department Officer\"]",
        "[\"permission:grafana:view\", \"two_factor\"]",
    ] {
        assert!(
            with_rules("fine-require", &rule("a.example.com", require, "")).is_ok(),
            "{require}"
        );
    }
    for (require, why) in [
        (
            "[]",
            "is empty: a rule needs at least one requirement; use [\"login\"] to admit any account",
        ),
        ("[\"admin\"]", "\"admin\" is not a requirement"),
        ("[\"Login\"]", "\"Login\" is not a requirement"),
        ("[\"group:ops\"]", "\"group:ops\" is not a requirement"),
        ("[\"role:\"]", "\"role:\" names no role"),
        ("[\"permission:\"]", "\"permission:\" names no permission"),
        (
            "[\"role: ops\"]",
            "no spaces around the role's name (write role:ops)",
        ),
        ("[\"role:a/b\"]", "\"a/b\" is not a valid role name"),
        (
            "[\"permission:Grafana\"]",
            "\"Grafana\" is not a valid permission",
        ),
        ("[\"bypass\", \"login\"]", "bypass admits everyone"),
        ("[\"login\", \"bypass\"]", "bypass admits everyone"),
    ] {
        let err = refused("bad-require", "a.example.com", require, "");
        assert!(
            err.starts_with("configuration key forward_auth.rules[0].require (file only): "),
            "{err}"
        );
        assert!(err.contains(why), "{require}: {err}");
        assert!(
            err.ends_with("; example: [\"role:ops\", \"two_factor\"]"),
            "{err}"
        );
    }
    let err = with_rules(
        "missing-require",
        "[[forward_auth.rules]]\nhost = \"a.example.com\"\n",
    )
    .unwrap_err();
    assert!(
        err.contains("use [\"login\"] to admit any account"),
        "{err}"
    );
}

#[test]
fn a_refusal_names_the_rule_by_its_position() {
    let rules = [
        rule("a.example.com", "[\"login\"]", ""),
        rule("b.example.com", "[\"login\"]", ""),
        rule("c.example.com", "[\"role:ops\", \"bypass\"]", ""),
    ]
    .concat();
    let err = with_rules("position", &rules).unwrap_err();
    assert!(
        err.starts_with("configuration key forward_auth.rules[2].require (file only): "),
        "{err}"
    );
}

/// The message refusing `vars`.
fn refused_env(vars: &[(&str, &str)]) -> String {
    Settings::load(None, env(vars)).unwrap_err().to_string()
}

#[test]
fn the_cookie_domain_is_unset_by_default_and_read_when_set() {
    let s = Settings::load(None, env(&[])).unwrap();
    assert_eq!(s.session.cookie_domain, None);
    let s = Settings::load(
        None,
        env(&[("PORTCULLIS_SESSION__COOKIE_DOMAIN", "example.com")]),
    )
    .unwrap();
    assert_eq!(s.session.cookie_domain.as_deref(), Some("example.com"));
    let s = load_toml(
        "cookie-domain",
        "[session]\ncookie_domain = \"a-1.example.co.uk\"\n",
        &[],
    )
    .unwrap();
    assert_eq!(
        s.session.cookie_domain.as_deref(),
        Some("a-1.example.co.uk")
    );
}

#[test]
fn the_cookie_domain_is_a_bare_lower_case_domain_with_a_dot() {
    for (domain, why) in [
        ("https://example.com", "has a scheme"),
        (".example.com", "starts with a dot"),
        ("example.com:443", "has a port"),
        ("::1", "has a port (or is an IPv6 address)"),
        ("example.com/app", "is not a bare domain"),
        ("ops@example.com", "is not a bare domain"),
        ("example.com.", "ends with a dot"),
        ("Example.com", "is not in lower case"),
        ("exa_mple.com", "is not a DNS name"),
        ("", "is not a DNS name"),
        ("localhost", "has no dot"),
        ("192.168.0.10", "is an IP address"),
        ("10.1", "is an IP address"),
    ] {
        let err = refused_env(&[("PORTCULLIS_SESSION__COOKIE_DOMAIN", domain)]);
        assert!(
            err.starts_with(
                "configuration key session.cookie_domain (PORTCULLIS_SESSION__COOKIE_DOMAIN): "
            ),
            "{err}"
        );
        assert!(err.contains(why), "{domain:?}: {err}");
        assert!(err.ends_with("; example: example.com"), "{err}");
    }
}

#[test]
fn in_production_the_cookie_domain_covers_the_public_url_host() {
    for domain in ["example.com", "auth.example.com"] {
        let s = production(&[("PORTCULLIS_SESSION__COOKIE_DOMAIN", domain)]).unwrap();
        assert_eq!(s.session.cookie_domain.as_deref(), Some(domain));
    }
    for domain in ["other.org", "ample.com", "sub.auth.example.com"] {
        let err = production(&[("PORTCULLIS_SESSION__COOKIE_DOMAIN", domain)])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "configuration key session.cookie_domain (PORTCULLIS_SESSION__COOKIE_DOMAIN): "
            ),
            "{err}"
        );
        assert!(
            err.contains("is not public_url's host \"auth.example.com\" nor a domain above it"),
            "{domain}: {err}"
        );
    }
}

#[test]
fn in_dev_mode_the_cookie_domain_covers_the_public_url_host_once_it_is_set() {
    let domain = ("PORTCULLIS_SESSION__COOKIE_DOMAIN", "example.com");
    assert!(Settings::load(None, env(&[domain])).is_ok());
    let at = |url| Settings::load(None, env(&[domain, ("PORTCULLIS_PUBLIC_URL", url)]));
    assert!(at("http://auth.example.com:8080").is_ok());
    assert!(at("http://EXAMPLE.com").is_ok());
    let err = at("http://localhost:8080").unwrap_err().to_string();
    assert!(err.contains("public_url's host \"localhost\""), "{err}");
    let err = at("http://127.0.0.1:8080").unwrap_err().to_string();
    assert!(err.contains("session.cookie_domain"), "{err}");
}

#[test]
fn settings_with_rules_written_out_load_again_the_same() {
    let rules = [
        rule("Grafana.Example.com", "[\"role:ops\", \"two_factor\"]", ""),
        rule(
            "*.example.com",
            "[\"bypass\"]",
            "path_prefix = \"/health\"\n",
        ),
    ]
    .concat();
    let toml = format!(
        "[session]\ncookie_domain = \"example.com\"\n[forward_auth]\nproxy = \"traefik\"\n\
         default = \"login\"\n{rules}"
    );
    let s = load_toml("written", &toml, &[]).unwrap();
    let written = toml::to_string(&s).unwrap();
    let again = load_toml("written-again", &written, &[]).unwrap();
    assert_eq!(toml::to_string(&again).unwrap(), written);
    assert_eq!(again.forward_auth.rules, s.forward_auth.rules);
    assert_eq!(again.forward_auth.default, ForwardDefault::Login);
}

#[test]
fn a_path_the_policy_cannot_read_is_refused_by_the_rule() {
    for path in ["/a b", "/caf\u{e9}", "/a\"b"] {
        let extra = format!("path_prefix = {path:?}\n");
        let err = refused("policy-path", "a.example.com", "[\"login\"]", &extra);
        assert!(
            err.starts_with(
                "configuration key forward_auth.rules[0] (file only): is not a rule the server \
                 can apply: path prefix"
            ),
            "{path}: {err}"
        );
        assert!(
            err.ends_with("; example: [[forward_auth.rules]] host = \"grafana.example.com\""),
            "{err}"
        );
    }
}
