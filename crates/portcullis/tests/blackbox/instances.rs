//! Two Portcullis processes on one database: sessions, revocations,
//! lockouts and rate limits hold across them.

use crate::common::{Backend, PASSWORD, on_both_backends, spawn};
use reqwest::StatusCode;

on_both_backends!(
    a_session_from_one_instance_works_on_the_other_until_revoked_anywhere,
    the_lockout_counter_is_shared,
    rate_limits_are_shared,
    disabling_a_user_ends_their_sessions_everywhere,
);

/// A cookie-less client sending exactly `cookie` to `base`.
async fn replay(base: &str, path: &str, cookie: &str) -> StatusCode {
    crate::common::http_client()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{base}{path}"))
        .header("cookie", format!("portcullis_session={cookie}"))
        .send()
        .await
        .unwrap()
        .status()
}

async fn a_session_from_one_instance_works_on_the_other_until_revoked_anywhere(backend: Backend) {
    let a = spawn!(backend);
    let b = a.sibling(|_| {}).await;
    let browser = a.logged_in("alice").await;
    let cookie = browser.cookie("portcullis_session").unwrap();
    assert_eq!(replay(&b.base, "/api/me", &cookie).await, StatusCode::OK);
    // The CSRF token from one instance is accepted by the other (shared secret).
    let on_b = crate::common::Browser::new(&b.base);
    on_b.jar.add_cookie_str(
        &format!("portcullis_session={cookie}; Path=/"),
        &b.base.parse().unwrap(),
    );
    let token = browser.csrf_token("/").await;
    let response = on_b
        .post_form("/auth/logout", &[("csrf_token", &token)])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // Logged out on B: dead on A at once.
    assert_eq!(
        replay(&a.base, "/api/me", &cookie).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        replay(&b.base, "/api/me", &cookie).await,
        StatusCode::UNAUTHORIZED
    );
}

async fn the_lockout_counter_is_shared(backend: Backend) {
    let a = spawn!(backend);
    let b = a.sibling(|_| {}).await;
    a.browser()
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    for _ in 0..3 {
        assert_eq!(
            a.browser().login("alice", "wrong password").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    for _ in 0..2 {
        assert_eq!(
            crate::common::Browser::new(&b.base)
                .login("alice", "wrong password")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        a.browser().login("alice", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        crate::common::Browser::new(&b.base)
            .login("alice", PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn rate_limits_are_shared(backend: Backend) {
    let limits = |s: &mut portcullis::Settings| {
        s.rate_limit.enabled = true;
        s.rate_limit.login_per_ip = portcullis::settings::LimitSettings {
            max: 4,
            window: std::time::Duration::from_secs(60),
        };
    };
    let a = spawn!(backend, limits);
    let b = a.sibling(limits).await;
    for _ in 0..2 {
        assert_eq!(
            a.browser().login("nobody", "x").await.status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            crate::common::Browser::new(&b.base)
                .login("nobody", "x")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        a.browser().login("nobody", "x").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        crate::common::Browser::new(&b.base)
            .login("nobody", "x")
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn disabling_a_user_ends_their_sessions_everywhere(backend: Backend) {
    let a = spawn!(backend);
    let b = a.sibling(|_| {}).await;
    let on_a = a.logged_in("alice").await;
    let on_b = crate::common::Browser::new(&b.base);
    on_b.login("alice", PASSWORD).await;
    assert_eq!(on_b.get("/profile").await.status(), StatusCode::OK);

    let out = crate::cli::portcullis(&a.db_url, &["users", "disable", "alice"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(on_a.get("/profile").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(on_b.get("/profile").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        on_b.login("alice", PASSWORD).await.status(),
        StatusCode::FORBIDDEN
    );

    let out = crate::cli::portcullis(&a.db_url, &["users", "enable", "alice"], None);
    assert!(out.status.success());
    assert_eq!(
        on_b.login("alice", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let out = crate::cli::portcullis(&a.db_url, &["users", "revoke-sessions", "alice"], None);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Ended 1 session(s)"));
    assert_eq!(on_b.get("/profile").await.status(), StatusCode::SEE_OTHER);
}
