//! Tests of the request parsing and the rules.

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
    // Role names may hold spaces, as roles do.
    assert_eq!(
        Requirement::parse("role:Department Officer"),
        Ok(Requirement::Role("Department Officer".into()))
    );
    for bad in [
        "permission:Users:Read",
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
