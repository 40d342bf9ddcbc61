//! `/auth/verify` asked directly, as a proxy on loopback would ask it: who
//! is let through where, what the answer tells the upstream, and the
//! headers a client sends that must change nothing.

use crate::common::{Backend, Browser, TestApp, on_both_backends, spawn};
use portcullis::settings::{ForwardProxy, ForwardRuleSettings, Settings};
use reqwest::StatusCode;

fn rule(host: &str, prefix: &str, require: &[&str]) -> ForwardRuleSettings {
    ForwardRuleSettings {
        host: host.into(),
        path_prefix: prefix.into(),
        require: require.iter().map(|r| (*r).to_owned()).collect(),
    }
}

fn configure(settings: &mut Settings, proxy: ForwardProxy) {
    settings.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    settings.forward_auth.proxy = Some(proxy);
    settings.forward_auth.rules = vec![
        rule("public.example.com", "/", &["bypass"]),
        rule("app.example.com", "/admin", &["role:admin"]),
        rule("app.example.com", "/", &["login"]),
    ];
}

/// Asks about `url` the way nginx does, with `extra` client-sent headers.
async fn ask_nginx(browser: &Browser, url: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut request = browser
        .client
        .get(browser.url("/auth/verify"))
        .header("X-Original-URL", url);
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// The user named in the answer; an empty header names no one.
fn remote_user(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("remote-user")
        .map(|v| v.to_str().unwrap().to_owned())
        .filter(|v| !v.is_empty())
}

async fn the_rules_decide_behind_nginx_and_client_headers_change_nothing(backend: Backend) {
    let app: TestApp = spawn!(backend, |s| configure(s, ForwardProxy::Nginx));
    let anonymous = app.browser();
    let app_url = "https://app.example.com/reports?x=1";
    assert_eq!(
        ask_nginx(&anonymous, app_url, &[]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // A client naming the bypass host in the other proxies' header, or
    // claiming a user, is not believed.
    let spoofed = ask_nginx(
        &anonymous,
        app_url,
        &[
            ("X-Forwarded-Host", "public.example.com"),
            ("Remote-User", "root"),
        ],
    )
    .await;
    assert_eq!(spoofed.status(), StatusCode::UNAUTHORIZED);
    // A page request carries the login URL for nginx's error_page; the
    // status stays 401, which is all auth_request understands.
    let page = ask_nginx(&anonymous, app_url, &[("Accept", "text/html")]).await;
    assert_eq!(page.status(), StatusCode::UNAUTHORIZED);
    let login = page.headers()["location"].to_str().unwrap();
    assert!(
        login.ends_with("/auth/login?next=https%3A%2F%2Fapp.example.com%2Freports%3Fx%3D1"),
        "{login}"
    );
    assert!(
        ask_nginx(&anonymous, app_url, &[])
            .await
            .headers()
            .get("location")
            .is_none()
    );
    let public = ask_nginx(&anonymous, "https://public.example.com/", &[]).await;
    assert_eq!(public.status(), StatusCode::OK);
    assert_eq!(remote_user(&public), None);
    // No rule: denied, signed in or not.
    assert_eq!(
        ask_nginx(&anonymous, "https://other.example.com/", &[])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    let alice = app.logged_in("alice").await;
    let allowed = ask_nginx(&alice, app_url, &[("Remote-User", "root")]).await;
    assert_eq!(allowed.status(), StatusCode::OK);
    assert_eq!(remote_user(&allowed).as_deref(), Some("alice"));
    assert_eq!(
        allowed.headers()["remote-email"].to_str().unwrap(),
        "alice@example.com"
    );
    // The bypass host identifies no one, even a signed-in browser.
    let public = ask_nginx(&alice, "https://public.example.com/", &[]).await;
    assert_eq!(remote_user(&public), None);
    // /admin needs the role, however the path is spelled.
    for admin in [
        "https://app.example.com/admin",
        "https://app.example.com/admin/users",
        "https://app.example.com/x/../admin",
        "https://app.example.com//admin",
        "https://APP.example.com./%61dmin",
    ] {
        assert_eq!(
            ask_nginx(&alice, admin, &[]).await.status(),
            StatusCode::FORBIDDEN,
            "{admin}"
        );
    }
    // Ambiguous or unreadable requests are refused.
    for bad in [
        "https://app.example.com/x%2Fadmin",
        "https://app.example.com/x\\admin",
        "https://app.example.com/%00",
        "not a url",
        "https://alice@app.example.com/",
    ] {
        assert_eq!(
            ask_nginx(&alice, bad, &[]).await.status(),
            StatusCode::FORBIDDEN,
            "{bad}"
        );
    }
    let missing = alice.get("/auth/verify").await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);

    let root = app.admin("root").await;
    let admin = ask_nginx(&root, "https://app.example.com/admin/users", &[]).await;
    assert_eq!(admin.status(), StatusCode::OK);
    assert_eq!(admin.headers()["remote-groups"].to_str().unwrap(), "admin");

    // Logging out ends access.
    alice.logout().await;
    assert_eq!(
        ask_nginx(&alice, app_url, &[]).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn caddy_gets_a_login_redirect_and_only_trusted_proxies_are_answered(backend: Backend) {
    let app: TestApp = spawn!(backend, |s| {
        configure(s, ForwardProxy::Caddy);
        s.public_url = Some("http://auth.example.test/".parse().unwrap());
    });
    let browser = app.browser();
    let ask = |method: reqwest::Method, accept: &str| {
        browser
            .client
            .request(method, browser.url("/auth/verify"))
            .header("X-Forwarded-Method", "GET")
            .header("X-Forwarded-Proto", "https")
            .header("X-Forwarded-Host", "app.example.com")
            .header("X-Forwarded-Uri", "/reports?x=1")
            .header("X-Original-URL", "https://public.example.com/")
            .header("Accept", accept.to_owned())
            .send()
    };
    let page = ask(reqwest::Method::GET, "text/html,*/*").await.unwrap();
    assert_eq!(page.status(), StatusCode::FOUND);
    assert_eq!(
        page.headers()["location"].to_str().unwrap(),
        "http://auth.example.test/auth/login?next=https%3A%2F%2Fapp.example.com%2Freports%3Fx%3D1"
    );
    let api = ask(reqwest::Method::GET, "application/json").await.unwrap();
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    // Any method is a question, not a change: no CSRF token is needed.
    let post = ask(reqwest::Method::POST, "application/json")
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::UNAUTHORIZED);

    // A server that trusts no proxy on loopback answers no one here.
    let closed = app
        .sibling(|s| {
            configure(s, ForwardProxy::Caddy);
            s.trusted_proxies = vec!["10.0.0.1/32".parse().unwrap()];
        })
        .await;
    let response = closed
        .browser()
        .client
        .get(format!("{}/auth/verify", closed.base))
        .header("X-Forwarded-Proto", "https")
        .header("X-Forwarded-Host", "public.example.com")
        .header("X-Forwarded-Uri", "/")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

/// After signing in, the browser goes back to the protected site only when
/// a rule names its host exactly; any other absolute URL is `/`.
async fn a_sign_in_returns_only_to_hosts_the_rules_name(backend: Backend) {
    let app: TestApp = spawn!(backend, |s| {
        configure(s, ForwardProxy::Nginx);
        s.forward_auth
            .rules
            .push(rule("*.example.com", "/", &["login"]));
    });
    app.logged_in("bob").await.logout().await;
    for (next, lands) in [
        (
            "https://app.example.com/reports?x=1",
            "https://app.example.com/reports?x=1",
        ),
        ("https://public.example.com/", "https://public.example.com/"),
        ("http://app.example.com/", "/"),
        ("https://evil.example/", "/"),
        ("https://sub.example.com/", "/"),
        ("https://app.example.com:8443/", "/"),
        ("https://bob@app.example.com/", "/"),
        ("//app.example.com/", "/"),
        ("/profile", "/profile"),
    ] {
        let browser = app.browser();
        let encoded: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
        let page = format!("/auth/login?next={encoded}");
        let response = browser
            .submit(
                &page,
                &page,
                &[("username", "bob"), ("password", crate::common::PASSWORD)],
            )
            .await;
        assert_eq!(crate::common::location(&response), lands, "{next}");
    }
}

/// `session.cookie_domain` shares the session cookie with the sites under
/// it; without it the cookie stays host-only.
async fn a_cookie_domain_shares_the_session_cookie_with_the_sites_below(backend: Backend) {
    let app: TestApp = spawn!(backend, |s| {
        s.public_url = Some("http://auth.example.test/".parse().unwrap());
        s.session.cookie_domain = Some("example.test".into());
    });
    let browser = app.browser();
    browser
        .register("carl", "carl@example.com", crate::common::PASSWORD)
        .await;
    let response = browser.login("carl", crate::common::PASSWORD).await;
    let session = crate::common::set_cookies(&response)
        .into_iter()
        .find(|c| c.starts_with("portcullis_session="))
        .expect("a session cookie");
    assert!(session.contains("Domain=example.test"), "{session}");

    let plain: TestApp = spawn!(backend);
    let browser = plain.browser();
    browser
        .register("dina", "dina@example.com", crate::common::PASSWORD)
        .await;
    let response = browser.login("dina", crate::common::PASSWORD).await;
    let session = crate::common::set_cookies(&response)
        .into_iter()
        .find(|c| c.starts_with("portcullis_session="))
        .expect("a session cookie");
    assert!(!session.contains("Domain"), "{session}");
}

/// `portcullis forward-auth check` names the matching rule and the
/// decision for an account or for no one.
async fn the_command_line_explains_a_decision(backend: Backend) {
    let app: TestApp = spawn!(backend);
    app.logged_in("erik").await;
    let dir = tempfile_dir();
    let config = dir.join("portcullis.toml");
    std::fs::write(
        &config,
        "[forward_auth]\nproxy = \"nginx\"\n\
         [[forward_auth.rules]]\nhost = \"app.example.com\"\npath_prefix = \"/admin\"\nrequire = [\"role:admin\"]\n\
         [[forward_auth.rules]]\nhost = \"app.example.com\"\nrequire = [\"login\"]\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["--config", config, "forward-auth", "check"];
        all.extend_from_slice(args);
        let out = crate::cli::portcullis(&app.db_url, &all, None);
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, out, err) = run(&["https://app.example.com/x/../admin/users", "--user", "erik"]);
    assert!(ok, "{err}");
    assert!(out.contains("https://app.example.com/admin/users"), "{out}");
    assert!(out.contains("forward_auth.rules[0]"), "{out}");
    assert!(out.contains("erik: forbidden (403)"), "{out}");
    let (_, out, _) = run(&["https://app.example.com/reports", "--user", "erik"]);
    assert!(
        out.contains("forward_auth.rules[1]") && out.contains("erik: allowed"),
        "{out}"
    );
    let (_, out, _) = run(&["https://app.example.com/reports"]);
    assert!(
        out.contains("no one signed in: sign-in required (401)"),
        "{out}"
    );
    let (ok, _, err) = run(&["https://app.example.com/a%2Fb"]);
    assert!(!ok && err.contains("refused"), "{err}");
    let (ok, _, err) = run(&["https://app.example.com/", "--user", "nobody"]);
    assert!(!ok && err.contains("no account"), "{err}");
    std::fs::remove_dir_all(dir).ok();
}

/// A fresh directory under the system's temporary one.
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("portcullis-fa-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

on_both_backends!(
    the_rules_decide_behind_nginx_and_client_headers_change_nothing,
    caddy_gets_a_login_redirect_and_only_trusted_proxies_are_answered,
    a_sign_in_returns_only_to_hosts_the_rules_name,
    a_cookie_domain_shares_the_session_cookie_with_the_sites_below,
    the_command_line_explains_a_decision,
);
