//! Logging in: by username or email, the `next` round trip, failures that
//! reveal nothing, deactivated accounts, and login tracking.

use crate::common::{Backend, PASSWORD, location, on_both_backends, spawn};
use reqwest::StatusCode;

on_both_backends!(
    a_user_logs_in_by_username_or_email_and_sees_the_protected_pages,
    protected_pages_send_anonymous_visitors_to_log_in_and_back,
    next_never_leads_off_the_site,
    unknown_users_and_wrong_passwords_get_the_same_answer,
    deactivated_accounts_cannot_log_in_and_lose_their_sessions,
    logins_are_tracked,
);

async fn a_user_logs_in_by_username_or_email_and_sees_the_protected_pages(backend: Backend) {
    let app = spawn!(backend);
    let browser = app.browser();
    browser
        .register("alice", "Alice@Example.com", PASSWORD)
        .await;

    let response = browser.login("alice", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/");
    let (status, html) = browser.page("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("You are logged in as <strong>alice</strong>"));
    assert!(html.contains("Log out"));
    let (status, html) = browser.page("/profile").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Alice@Example.com"));
    let (status, html) = browser.page("/dashboard").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Dashboard"));

    let other = app.browser();
    assert_eq!(
        other.login("alice@example.COM", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(other.page("/profile").await.0, StatusCode::OK);
}

async fn protected_pages_send_anonymous_visitors_to_log_in_and_back(backend: Backend) {
    let app = spawn!(backend);
    let browser = app.browser();
    browser
        .register("alice", "alice@example.com", PASSWORD)
        .await;

    for page in ["/profile", "/dashboard"] {
        let response = browser.get(page).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{page}");
        assert_eq!(
            location(&response),
            format!("/auth/login?next=%2F{}", &page[1..])
        );
    }
    let (_, html) = browser
        .page("/auth/login?next=%2Fdashboard%3Ftab%3D2")
        .await;
    assert!(html.contains("Please log in to access this page."));
    let token = crate::common::csrf_in(&html).unwrap();
    let response = browser
        .post_form(
            "/auth/login?next=%2Fdashboard%3Ftab%3D2",
            &[
                ("csrf_token", &token),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/dashboard?tab=2");
    assert_eq!(browser.page("/dashboard?tab=2").await.0, StatusCode::OK);
}

async fn next_never_leads_off_the_site(backend: Backend) {
    let app = spawn!(backend);
    let setup = app.browser();
    setup.register("alice", "alice@example.com", PASSWORD).await;
    for evil in [
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
        "javascript:alert(1)",
        "/%2F%2Fevil.example",
        "%2F%2Fevil.example",
        "/\t/evil.example",
        "http:/evil.example",
    ] {
        let browser = app.browser();
        let token = browser.csrf_token("/auth/login").await;
        let response = browser
            .post_form(
                "/auth/login",
                &[
                    ("csrf_token", &token),
                    ("username", "alice"),
                    ("password", PASSWORD),
                    ("next", evil),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{evil:?}");
        assert_eq!(
            location(&response),
            "/",
            "next={evil:?} must fall back to /"
        );

        // Already logged in: the login page redirects to next, safely too.
        let url = format!(
            "/auth/login?next={}",
            url::form_urlencoded::byte_serialize(evil.as_bytes()).collect::<String>()
        );
        let response = browser.get(&url).await;
        assert_eq!(location(&response), "/", "GET next={evil:?}");
    }
}

async fn unknown_users_and_wrong_passwords_get_the_same_answer(backend: Backend) {
    let app = spawn!(backend);
    let browser = app.browser();
    browser
        .register("alice", "alice@example.com", PASSWORD)
        .await;

    let wrong_password = browser.login("alice", "not the password").await;
    let unknown_user = browser.login("nobody", "not the password").await;
    let empty = browser.login("", "").await;
    for response in [wrong_password, unknown_user, empty] {
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let html = response.text().await.unwrap();
        assert!(html.contains("Invalid username or password."));
        assert!(
            !html.contains("not the password"),
            "the password is never echoed"
        );
    }
    assert_eq!(
        browser.get("/profile").await.status(),
        StatusCode::SEE_OTHER,
        "still anonymous"
    );

    // The JSON API answers alike.
    let a = browser
        .post_json(
            "/api/login",
            &serde_json::json!({"username": "alice", "password": "nope-nope"}),
        )
        .await;
    let b = browser
        .post_json(
            "/api/login",
            &serde_json::json!({"username": "ghost", "password": "nope-nope"}),
        )
        .await;
    assert_eq!(a.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(b.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(a.text().await.unwrap(), b.text().await.unwrap());
}

async fn deactivated_accounts_cannot_log_in_and_lose_their_sessions(backend: Backend) {
    let app = spawn!(backend);
    let browser = app.logged_in("alice").await;
    assert_eq!(browser.get("/profile").await.status(), StatusCode::OK);

    app.sql("UPDATE users SET is_active = FALSE WHERE username_key = 'alice'")
        .await;

    // The live session stops working on the next request.
    assert_eq!(
        browser.get("/profile").await.status(),
        StatusCode::SEE_OTHER
    );
    // The right password does not get them in; a wrong one reveals nothing.
    let response = browser.login("alice", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Your account has been deactivated.")
    );
    let response = browser.login("alice", "wrong password").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let api = browser
        .post_json(
            "/api/login",
            &serde_json::json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    assert_eq!(api.status(), StatusCode::FORBIDDEN);
    assert!(browser.cookie("portcullis_session").is_none());
}

async fn logins_are_tracked(backend: Backend) {
    let app = spawn!(backend);
    let browser = app.logged_in("alice").await;
    let me: serde_json::Value = browser.get("/api/me").await.json().await.unwrap();
    assert_eq!(me["user"]["login_count"], 1);
    assert_eq!(me["user"]["current_login_ip"], "127.0.0.1");
    assert!(me["user"]["last_login_at"].is_null());
    let first_login = me["user"]["current_login_at"].clone();
    assert!(first_login.is_string());

    app.clock.advance(time::Duration::hours(1));
    let second = app.browser();
    second.login("alice", PASSWORD).await;
    let me: serde_json::Value = second.get("/api/me").await.json().await.unwrap();
    assert_eq!(me["user"]["login_count"], 2);
    assert_eq!(me["user"]["last_login_at"], first_login);
    assert_eq!(me["user"]["last_login_ip"], "127.0.0.1");
    assert_ne!(me["user"]["current_login_at"], first_login);
    // Failed attempts are not logins.
    app.browser().login("alice", "wrong password").await;
    let me: serde_json::Value = second.get("/api/me").await.json().await.unwrap();
    assert_eq!(me["user"]["login_count"], 2);
}
