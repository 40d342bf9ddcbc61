//! What a person meets behind each proxy, on each backend.

use super::{AUTH, Kind, Stack, seen, visit};
use crate::common::{Backend, Browser, PASSWORD, location};
use portcullis_core::Clock as _;
use reqwest::StatusCode;

macro_rules! behind_each_proxy {
    ($($name:ident),* $(,)?) => {
        mod nginx {
            mod sqlite {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        super::super::$name(crate::common::Backend::Sqlite, crate::proxies::Kind::Nginx).await
                    }
                )*
            }
            mod postgres {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        super::super::$name(crate::common::Backend::Postgres, crate::proxies::Kind::Nginx).await
                    }
                )*
            }
        }
        mod caddy {
            mod sqlite {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        super::super::$name(crate::common::Backend::Sqlite, crate::proxies::Kind::Caddy).await
                    }
                )*
            }
            mod postgres {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        super::super::$name(crate::common::Backend::Postgres, crate::proxies::Kind::Caddy).await
                    }
                )*
            }
        }
    };
}

behind_each_proxy!(
    a_visitor_signs_in_once_and_every_site_below_knows_who_until_logout,
    headers_a_client_sends_never_decide_or_reach_the_app,
    roles_permissions_and_the_second_factor_guard_their_paths,
);

/// The login URL a proxy sends a visitor of `url` to.
fn login_for(url: &str) -> String {
    let next: String = url::form_urlencoded::byte_serialize(url.as_bytes()).collect();
    format!("{AUTH}/auth/login?next={next}")
}

/// Registers `username` through the proxy and leaves the browser signed out.
async fn register(browser: &Browser, username: &str) {
    let email = format!("{username}@example.com");
    let response = browser.register(username, &email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

/// Signs in on the login page a proxy sent the browser to; returns where
/// Portcullis sends it next.
async fn sign_in_at(browser: &Browser, login_url: &str, username: &str) -> String {
    let page = login_url.trim_start_matches(AUTH);
    let response = browser
        .submit(
            page,
            page,
            &[("username", username), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    location(&response)
}

async fn a_visitor_signs_in_once_and_every_site_below_knows_who_until_logout(
    backend: Backend,
    kind: Kind,
) {
    let Some(stack) = Stack::start(backend, kind).await else {
        return;
    };
    let browser = stack.browser();
    register(&browser, "alice").await;
    // A cookie of the app's own, which must still reach it.
    browser.jar.add_cookie_str(
        "theme=dark; Domain=example.test; Path=/",
        &"https://app.example.test/".parse().unwrap(),
    );

    let wanted = "https://app.example.test/dashboard?x=1&y=a%20b";
    let response = visit(&browser, wanted, &[]).await;
    assert_eq!(response.status(), StatusCode::FOUND, "{}", stack.log());
    let login = location(&response);
    assert_eq!(login, login_for(wanted));
    // A request for data, not a page, is told to sign in, not redirected.
    let api = browser
        .client
        .get(wanted)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);

    // Signing in sends the browser back to the very URL it asked for.
    assert_eq!(sign_in_at(&browser, &login, "alice").await, wanted);
    let app = seen(visit(&browser, wanted, &[]).await).await;
    assert_eq!(app.uri(), "/dashboard?x=1&y=a%20b");
    assert_eq!(app.header("remote-user"), ["alice"]);
    assert_eq!(app.header("remote-email"), ["alice@example.com"]);
    // The app gets its own cookie, never the Portcullis session.
    let cookies = app.header("cookie").join("; ");
    assert!(cookies.contains("theme=dark"), "{cookies}");
    assert!(!cookies.contains("portcullis"), "{cookies}");

    // The same login serves a second site under the cookie's domain.
    let wiki = seen(visit(&browser, "https://wiki.example.test/page", &[]).await).await;
    assert_eq!(wiki.header("remote-user"), ["alice"]);
    // A host no rule names is refused, signed in or not.
    let other = visit(&browser, "https://other.example.test/", &[]).await;
    assert_eq!(other.status(), StatusCode::FORBIDDEN);

    // Logging out ends access on every site at once.
    let out = browser.logout().await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    for url in [wanted, "https://wiki.example.test/page"] {
        let response = visit(&browser, url, &[]).await;
        assert_eq!(response.status(), StatusCode::FOUND, "{url}");
        assert_eq!(location(&response), login_for(url));
    }
}

async fn headers_a_client_sends_never_decide_or_reach_the_app(backend: Backend, kind: Kind) {
    let Some(stack) = Stack::start(backend, kind).await else {
        return;
    };
    let spoof: &[(&str, &str)] = &[
        ("remote-user", "root"),
        ("remote-email", "root@example.test"),
        ("remote-name", "Root"),
        ("remote-groups", "admin"),
        ("x-original-url", "https://public.example.test/"),
        ("x-forwarded-host", "public.example.test"),
        ("x-forwarded-uri", "/"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-method", "GET"),
    ];
    let anonymous = stack.browser();
    // Naming the bypass host in any header does not let anyone through.
    let response = visit(&anonymous, "https://app.example.test/dashboard", spoof).await;
    assert_eq!(response.status(), StatusCode::FOUND, "{}", stack.log());
    assert_eq!(
        location(&response),
        login_for("https://app.example.test/dashboard")
    );
    // On the bypass host Portcullis names no one, and the client's own
    // claims are removed on the way.
    let public = seen(visit(&anonymous, "https://public.example.test/", spoof).await).await;
    for name in [
        "remote-user",
        "remote-email",
        "remote-name",
        "remote-groups",
    ] {
        assert!(
            public.names_no_one(name),
            "{name}: {:?}",
            public.header(name)
        );
    }

    let bob = stack.browser();
    register(&bob, "bob").await;
    bob.login("bob", PASSWORD).await;
    let app = seen(visit(&bob, "https://app.example.test/dashboard", spoof).await).await;
    assert_eq!(app.header("remote-user"), ["bob"]);
    assert_eq!(app.header("remote-email"), ["bob@example.com"]);
    assert!(
        !app.header("remote-groups")
            .iter()
            .any(|g| g.contains("admin")),
        "{:?}",
        app.header("remote-groups")
    );
    let admin = visit(&bob, "https://app.example.test/admin/users", spoof).await;
    assert_eq!(admin.status(), StatusCode::FORBIDDEN);
    let public = seen(visit(&bob, "https://public.example.test/", spoof).await).await;
    assert!(
        public.names_no_one("remote-user"),
        "{:?}",
        public.header("remote-user")
    );
    // Ambiguous spellings of a guarded path are refused, not matched
    // against a looser rule.
    for path in ["/x/..%2Fadmin", "/%2e%2e/admin", "/admin%00", "/x%5cadmin"] {
        let response = visit(&bob, &format!("https://app.example.test{path}"), &[]).await;
        assert_ne!(response.status(), StatusCode::OK, "{path}");
    }
}

async fn roles_permissions_and_the_second_factor_guard_their_paths(backend: Backend, kind: Kind) {
    let Some(stack) = Stack::start(backend, kind).await else {
        return;
    };
    let carol = stack.browser();
    register(&carol, "carol").await;
    carol.login("carol", PASSWORD).await;
    let status = |path: &'static str| {
        let carol = &carol;
        async move {
            visit(carol, &format!("https://app.example.test{path}"), &[])
                .await
                .status()
        }
    };
    assert_eq!(
        status("/dashboard").await,
        StatusCode::OK,
        "{}",
        stack.log()
    );
    for guarded in ["/admin", "/reports/q3", "/secure"] {
        assert_eq!(status(guarded).await, StatusCode::FORBIDDEN, "{guarded}");
    }

    // A role with the permission opens /reports; admin opens /admin. The
    // command line changes the database; the next request sees it.
    let cli = |args: &[&str]| {
        let out = crate::cli::portcullis(&stack.app.db_url, args, None);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    cli(&[
        "roles",
        "create",
        "analysts",
        "--permission",
        "reports:read",
    ]);
    cli(&["users", "grant-role", "carol", "analysts"]);
    assert_eq!(status("/reports/q3").await, StatusCode::OK);
    assert_eq!(status("/admin").await, StatusCode::FORBIDDEN);
    // Taking the role away closes the path again.
    cli(&["users", "revoke-role", "carol", "analysts"]);
    assert_eq!(status("/reports/q3").await, StatusCode::FORBIDDEN);
    cli(&["users", "grant-role", "carol", "analysts"]);
    cli(&["users", "grant-role", "carol", "admin"]);
    let admin = seen(visit(&carol, "https://app.example.test/admin", &[]).await).await;
    let groups = admin.header("remote-groups").join(",");
    assert!(groups.split(',').any(|g| g == "admin"), "{groups}");
    assert!(groups.split(',').any(|g| g == "analysts"), "{groups}");

    // /secure needs a session that gave a second factor, as a login with
    // the code does.
    let (secret, _) = crate::two_factor::enrol(&stack.app, &carol).await;
    carol.logout().await;
    let response = carol.login("carol", PASSWORD).await;
    assert!(location(&response).starts_with("/auth/login-2fa"));
    let code = crate::totp::code(&secret, stack.app.clock.now().unix_timestamp());
    let response = carol
        .submit("/auth/login-2fa", "/auth/login-2fa", &[("token", &code)])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(status("/secure").await, StatusCode::OK);
}
