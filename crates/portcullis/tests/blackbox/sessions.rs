//! Server-side sessions: rotation at login, revocation at logout, idle and
//! absolute timeouts on the server's clock, remember-me, cookie attributes.

use crate::common::{Backend, PASSWORD, location, on_both_backends, set_cookies, spawn};
use reqwest::StatusCode;
use time::Duration;

on_both_backends!(
    login_issues_a_new_session_token_so_an_earlier_cookie_is_useless,
    logout_is_a_post_that_ends_the_session_on_the_server,
    a_session_idle_for_thirty_minutes_is_over,
    a_session_in_use_outlives_a_one_minute_idle_timeout,
    activity_cannot_stretch_a_session_past_its_absolute_lifetime,
    remember_me_keeps_a_session_for_thirty_days_across_idleness,
    the_session_cookie_is_httponly_lax_and_host_only,
    over_https_cookies_are_secure_and_host_prefixed,
    a_malformed_or_forged_session_cookie_is_just_anonymous,
);

const COOKIE: &str = "portcullis_session";

/// A request carrying exactly the given session cookie, from a client with no jar.
async fn with_cookie(base: &str, path: &str, value: &str) -> reqwest::Response {
    crate::common::http_client()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{base}{path}"))
        .header("cookie", format!("{COOKIE}={value}"))
        .send()
        .await
        .unwrap()
}

async fn login_issues_a_new_session_token_so_an_earlier_cookie_is_useless(backend: Backend) {
    let app = spawn!(backend);
    let browser = app.logged_in("alice").await;
    let first = browser.cookie(COOKIE).expect("a session cookie");
    assert_eq!(
        with_cookie(&app.base, "/profile", &first).await.status(),
        StatusCode::OK
    );

    // Logging in again in the same browser rotates the token and ends the old session.
    let token = browser.csrf_token("/").await;
    let response = browser
        .post_form(
            "/auth/login",
            &[
                ("csrf_token", &token),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let second = browser.cookie(COOKIE).unwrap();
    assert_ne!(first, second);
    assert_eq!(
        with_cookie(&app.base, "/profile", &first).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        with_cookie(&app.base, "/profile", &second).await.status(),
        StatusCode::OK
    );

    // A cookie planted before login (session fixation) is never adopted.
    let victim = app.browser();
    let planted = portcullis_core::SecretToken::generate();
    victim.jar.add_cookie_str(
        &format!("{COOKIE}={}; Path=/", planted.expose()),
        &app.base.parse().unwrap(),
    );
    victim.login("alice", PASSWORD).await;
    assert_ne!(victim.cookie(COOKIE).unwrap(), planted.expose());
    assert_eq!(
        with_cookie(&app.base, "/profile", planted.expose())
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

async fn logout_is_a_post_that_ends_the_session_on_the_server(backend: Backend) {
    let app = spawn!(backend);
    let browser = app.logged_in("alice").await;
    let cookie = browser.cookie(COOKIE).unwrap();

    // GET only asks for confirmation; the session survives.
    let (status, html) = browser.page("/auth/logout").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"<form method="post" action="/auth/logout">"#));
    assert_eq!(browser.get("/profile").await.status(), StatusCode::OK);

    // Every page carries the logout button.
    for page in ["/", "/profile", "/dashboard"] {
        let (_, html) = browser.page(page).await;
        assert!(html.contains(r#"action="/auth/logout""#), "{page}");
    }

    let response = browser.logout().await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/");
    assert!(
        set_cookies(&response)
            .iter()
            .any(|c| c.starts_with(&format!("{COOKIE}=;")) && c.contains("Max-Age=0"))
    );
    let (_, html) = browser.page("/").await;
    assert!(html.contains("You have been logged out."));

    // The old cookie, replayed, no longer opens anything.
    assert_eq!(
        with_cookie(&app.base, "/profile", &cookie).await.status(),
        StatusCode::SEE_OTHER
    );
    let api = with_cookie(&app.base, "/api/me", &cookie).await;
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
}

async fn a_session_idle_for_thirty_minutes_is_over(backend: Backend) {
    let app = spawn!(backend);
    let browser = app.logged_in("alice").await;
    app.clock.advance(Duration::minutes(29));
    assert_eq!(
        browser.get("/profile").await.status(),
        StatusCode::OK,
        "29 idle minutes are fine"
    );
    // That request counted as activity: another 29 minutes are fine too.
    app.clock.advance(Duration::minutes(29));
    assert_eq!(browser.get("/profile").await.status(), StatusCode::OK);
    app.clock.advance(Duration::minutes(31));
    let response = browser.get("/profile").await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "31 idle minutes end it"
    );
    assert!(location(&response).starts_with("/auth/login"));
}

async fn a_session_in_use_outlives_a_one_minute_idle_timeout(backend: Backend) {
    let app = spawn!(backend, |s| s.session.idle_timeout =
        std::time::Duration::from_secs(60));
    let browser = app.logged_in("alice").await;
    // Used every 40 seconds for five minutes: each use must count as
    // activity, although last-seen is not written on every request.
    for step in 1..=8 {
        app.clock.advance(Duration::seconds(40));
        assert_eq!(
            browser.get("/profile").await.status(),
            StatusCode::OK,
            "use {step}, after {} seconds",
            40 * step
        );
    }
    app.clock.advance(Duration::seconds(61));
    assert_eq!(
        browser.get("/profile").await.status(),
        StatusCode::SEE_OTHER,
        "a minute of idleness ends it"
    );
}

async fn activity_cannot_stretch_a_session_past_its_absolute_lifetime(backend: Backend) {
    let app = spawn!(backend);
    let browser = app.logged_in("alice").await;
    // Active every 20 minutes for just under 24 hours.
    for _ in 0..71 {
        app.clock.advance(Duration::minutes(20));
        assert_eq!(browser.get("/api/me").await.status(), StatusCode::OK);
    }
    app.clock.advance(Duration::minutes(20));
    assert_eq!(
        browser.get("/api/me").await.status(),
        StatusCode::UNAUTHORIZED,
        "24 hours are the limit"
    );
}

async fn remember_me_keeps_a_session_for_thirty_days_across_idleness(backend: Backend) {
    let app = spawn!(backend);
    let setup = app.browser();
    setup.register("alice", "alice@example.com", PASSWORD).await;
    let browser = app.browser();
    let token = browser.csrf_token("/auth/login").await;
    let response = browser
        .post_form(
            "/auth/login",
            &[
                ("csrf_token", &token),
                ("username", "alice"),
                ("password", PASSWORD),
                ("remember", "y"),
            ],
        )
        .await;
    let cookie = set_cookies(&response)
        .into_iter()
        .find(|c| c.starts_with(COOKIE))
        .unwrap();
    assert!(
        cookie.contains(&format!("Max-Age={}", 30 * 24 * 3600)),
        "{cookie}"
    );

    app.clock.advance(Duration::hours(6));
    assert_eq!(
        browser.get("/profile").await.status(),
        StatusCode::OK,
        "idle hours do not end it"
    );
    app.clock.advance(Duration::days(29));
    assert_eq!(browser.get("/profile").await.status(), StatusCode::OK);
    app.clock.advance(Duration::hours(19));
    assert_eq!(
        browser.get("/profile").await.status(),
        StatusCode::SEE_OTHER,
        "30 days are the limit"
    );

    // Without remember-me the cookie ends with the browser.
    let plain = app.browser();
    let response = plain.login("alice", PASSWORD).await;
    let cookie = set_cookies(&response)
        .into_iter()
        .find(|c| c.starts_with(COOKIE))
        .unwrap();
    assert!(
        !cookie.contains("Max-Age") && !cookie.contains("Expires"),
        "{cookie}"
    );
}

async fn the_session_cookie_is_httponly_lax_and_host_only(backend: Backend) {
    let app = spawn!(backend);
    app.browser()
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    let response = app.browser().login("alice", PASSWORD).await;
    let cookie = set_cookies(&response)
        .into_iter()
        .find(|c| c.starts_with(COOKIE))
        .unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(
            cookie.contains(attribute),
            "{attribute} missing in {cookie}"
        );
    }
    assert!(!cookie.contains("Domain="), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain http cannot use Secure: {cookie}"
    );
    let value = cookie.split(';').next().unwrap().split('=').nth(1).unwrap();
    assert_eq!(value.len(), 43, "256 random bits, base64url");
}

async fn over_https_cookies_are_secure_and_host_prefixed(backend: Backend) {
    let app = spawn!(backend, |s| s.public_url =
        Some("https://auth.example.com".parse().unwrap()));
    let browser = app.browser();
    // The browser cannot keep Secure cookies over this plain connection, so
    // carry the anonymous CSRF cookie by hand, as a browser on https would.
    let response = browser.get("/auth/register").await;
    let csrf_cookie = set_cookies(&response)
        .into_iter()
        .find(|c| c.starts_with("__Host-portcullis_csrf="))
        .unwrap();
    assert!(csrf_cookie.contains("Secure"), "{csrf_cookie}");
    let csrf_pair = csrf_cookie.split(';').next().unwrap().to_owned();
    let token = crate::common::csrf_in(&response.text().await.unwrap()).unwrap();
    let post = |path: &'static str, fields: Vec<(&'static str, String)>| {
        let client = crate::common::http_client()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let url = browser.url(path);
        let cookie = csrf_pair.clone();
        async move {
            client
                .post(url)
                .header("cookie", cookie)
                .form(&fields)
                .send()
                .await
                .unwrap()
        }
    };
    let fields = |extra: &[(&'static str, &str)]| {
        let mut all = vec![("csrf_token", token.clone())];
        all.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        all
    };
    let response = post(
        "/auth/register",
        fields(&[
            ("username", "alice"),
            ("email", "a@example.com"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = post(
        "/auth/login",
        fields(&[("username", "alice"), ("password", PASSWORD)]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let session = set_cookies(&response)
        .into_iter()
        .find(|c| c.starts_with("__Host-portcullis_session="))
        .unwrap();
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(
            session.contains(attribute),
            "{attribute} missing in {session}"
        );
    }
    assert!(
        response.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
}

async fn a_malformed_or_forged_session_cookie_is_just_anonymous(backend: Backend) {
    let app = spawn!(backend);
    for value in [
        "garbage",
        "",
        "%%%",
        &"A".repeat(43),
        &"x".repeat(5000),
        "a=b=c",
    ] {
        let home = with_cookie(&app.base, "/", value).await;
        assert_eq!(home.status(), StatusCode::OK, "cookie {value:?}");
        let profile = with_cookie(&app.base, "/profile", value).await;
        assert_eq!(profile.status(), StatusCode::SEE_OTHER, "cookie {value:?}");
        let api = with_cookie(&app.base, "/api/me", value).await;
        assert_eq!(api.status(), StatusCode::UNAUTHORIZED, "cookie {value:?}");
    }
}
