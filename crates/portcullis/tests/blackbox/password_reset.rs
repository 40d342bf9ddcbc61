//! Forgotten passwords, end to end through real SMTP: the tests read the
//! captured email and follow its link as a user would, and probe it as an
//! attacker would (reuse, expiry, forgery, races, enumeration, spoofed
//! hosts).

use crate::common::{Backend, PASSWORD, TestApp, location, on_both_backends, spawn};
use reqwest::StatusCode;
use serde_json::json;
use time::Duration;

on_both_backends!(
    a_reset_link_sets_a_new_password_once_and_ends_every_session,
    expired_forged_and_malformed_links_are_refused,
    asking_again_or_changing_the_password_voids_older_links,
    a_reset_lifts_a_lockout,
    two_concurrent_redemptions_of_one_link_yield_one_success,
    the_reset_api_works_end_to_end_and_applies_the_policy,
);

pub(crate) const NEW_PASSWORD: &str = "a whole new passphrase 42";

/// Asks for a reset of `email` through the page; returns the answer.
pub(crate) async fn forgot(app: &TestApp, email: &str) -> (StatusCode, String) {
    let browser = app.browser();
    let response = browser
        .submit(
            "/auth/forgot-password",
            "/auth/forgot-password",
            &[("email", email)],
        )
        .await;
    (response.status(), response.text().await.unwrap())
}

/// The reset link path of the `n`-th reset email to `email`.
pub(crate) async fn reset_path(app: &TestApp, email: &str, n: usize) -> String {
    let mail = app
        .mail
        .wait_for_subject(email, "Reset your password", n)
        .await;
    mail.path("/auth/reset-password/")
}

async fn reset(app: &TestApp, path: &str, password: &str, confirm: &str) -> reqwest::Response {
    // Any form gives the browser its CSRF token; the link's own page may
    // be the "invalid link" one.
    app.browser()
        .submit(
            "/auth/forgot-password",
            path,
            &[("password", password), ("password_confirm", confirm)],
        )
        .await
}

async fn a_reset_link_sets_a_new_password_once_and_ends_every_session(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let (status, html) = forgot(&app, "ALICE@example.com").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("If an account exists, a password reset link has been sent."));

    let mail = app
        .mail
        .wait_for_subject("alice@example.com", "Reset your password", 1)
        .await;
    let path = mail.path("/auth/reset-password/");
    // The HTML part carries the same link (with `/` escaped as `&#x2f;`).
    let html = mail.part("text/html").unwrap().replace("&#x2f;", "/");
    assert!(html.contains(&path), "{html}");
    // Following the link only shows the form, as often as a scanner likes.
    for _ in 0..2 {
        let response = app.browser().get(&path).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["referrer-policy"], "no-referrer");
    }
    let weak = reset(&app, &path, "password", "password").await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let mismatch = reset(&app, &path, NEW_PASSWORD, "something else").await;
    assert_eq!(mismatch.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        mismatch
            .text()
            .await
            .unwrap()
            .contains("Passwords do not match.")
    );

    let browser = app.browser();
    let done = browser
        .submit(
            &path,
            &path,
            &[
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&done), "/auth/login");
    assert_eq!(done.headers()["referrer-policy"], "no-referrer");
    assert!(
        browser.cookie("portcullis_session").is_none(),
        "not logged in"
    );

    // The session that existed before the reset is over.
    let dashboard = alice.get("/dashboard").await;
    assert_eq!(dashboard.status(), StatusCode::SEE_OTHER);
    // Used once, the link is dead.
    assert_eq!(
        app.browser().get(&path).await.status(),
        StatusCode::BAD_REQUEST
    );
    let again = reset(
        &app,
        &path,
        "yet another passphrase 7",
        "yet another passphrase 7",
    )
    .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("invalid or has expired")
    );

    assert_eq!(
        app.browser().login("alice", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.browser().login("alice", NEW_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let notice = app
        .mail
        .wait_for_subject("alice@example.com", "Your password was reset", 1)
        .await;
    assert!(notice.text().contains("/auth/forgot-password"));
    for kind in ["password_reset_requested", "password_reset_completed"] {
        assert_eq!(app.audit(&["--type", kind])["total"], 1, "{kind}");
    }
}

async fn expired_forged_and_malformed_links_are_refused(backend: Backend) {
    let app = spawn!(backend);
    app.browser()
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    forgot(&app, "alice@example.com").await;
    let path = reset_path(&app, "alice@example.com", 1).await;
    app.clock.advance(Duration::minutes(59));
    assert_eq!(app.browser().get(&path).await.status(), StatusCode::OK);
    app.clock.advance(Duration::minutes(1));
    assert_eq!(
        app.browser().get(&path).await.status(),
        StatusCode::BAD_REQUEST
    );
    // The form was fetched in time, but the POST comes too late.
    let late = reset(&app, &path, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(late.status(), StatusCode::BAD_REQUEST);

    let forged = format!(
        "/auth/reset-password/{}",
        portcullis_core::SecretToken::generate().expose()
    );
    for path in [
        forged.as_str(),
        "/auth/reset-password/abc",
        "/auth/reset-password/%00",
    ] {
        assert_eq!(
            app.browser().get(path).await.status(),
            StatusCode::BAD_REQUEST,
            "{path}"
        );
    }
    let response = app
        .browser()
        .post_json(
            "/api/reset-password",
            &json!({"token": "abc", "password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_token");
    assert_eq!(
        app.browser().login("alice", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}

async fn asking_again_or_changing_the_password_voids_older_links(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    forgot(&app, "alice@example.com").await;
    forgot(&app, "alice@example.com").await;
    let first = reset_path(&app, "alice@example.com", 1).await;
    let second = reset_path(&app, "alice@example.com", 2).await;
    assert_ne!(first, second);
    assert_eq!(
        app.browser().get(&first).await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(app.browser().get(&second).await.status(), StatusCode::OK);

    let changed = alice
        .submit(
            "/auth/change-password",
            "/auth/change-password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
                ("confirm_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    // A link taken from the mailbox before the change is worthless after it.
    assert_eq!(
        app.browser().get(&second).await.status(),
        StatusCode::BAD_REQUEST
    );
    let late = reset(
        &app,
        &second,
        "attacker passphrase 99",
        "attacker passphrase 99",
    )
    .await;
    assert_eq!(late.status(), StatusCode::BAD_REQUEST);
}

async fn a_reset_lifts_a_lockout(backend: Backend) {
    let app = spawn!(backend);
    app.browser()
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    let attacker = app.browser();
    for _ in 0..5 {
        attacker.login("alice", "wrong password").await;
    }
    assert_eq!(
        app.browser().login("alice", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED,
        "locked"
    );
    forgot(&app, "alice@example.com").await;
    let path = reset_path(&app, "alice@example.com", 1).await;
    assert_eq!(
        reset(&app, &path, NEW_PASSWORD, NEW_PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.browser().login("alice", NEW_PASSWORD).await.status(),
        StatusCode::SEE_OTHER,
        "the owner is back in at once"
    );
}

async fn two_concurrent_redemptions_of_one_link_yield_one_success(backend: Backend) {
    let app = spawn!(backend);
    app.browser()
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    forgot(&app, "alice@example.com").await;
    let path = reset_path(&app, "alice@example.com", 1).await;
    let (one, two) = (app.browser(), app.browser());
    let (t1, t2) = (one.csrf_token(&path).await, two.csrf_token(&path).await);
    let submit = |browser: &crate::common::Browser, token: String, password: &'static str| {
        let request = browser.client.post(browser.url(&path)).form(&[
            ("csrf_token", token.as_str()),
            ("password", password),
            ("password_confirm", password),
        ]);
        async move { request.send().await.unwrap().status() }
    };
    let (a, b) = tokio::join!(
        submit(&one, t1, "first racer passphrase 1"),
        submit(&two, t2, "second racer passphrase 2")
    );
    let mut statuses = [a, b];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::BAD_REQUEST]);
    let winner = if a == StatusCode::SEE_OTHER {
        "first racer passphrase 1"
    } else {
        "second racer passphrase 2"
    };
    assert_eq!(
        app.browser().login("alice", winner).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.audit(&["--type", "password_reset_completed"])["total"],
        1
    );
}

async fn the_reset_api_works_end_to_end_and_applies_the_policy(backend: Backend) {
    let app = spawn!(backend);
    let client = app.browser();
    client
        .post_json(
            "/api/register",
            &json!({"username": "alice", "email": "alice@example.com", "password": PASSWORD}),
        )
        .await;
    let asked = client
        .post_json(
            "/api/forgot-password",
            &json!({"email": "alice@example.com"}),
        )
        .await;
    assert_eq!(asked.status(), StatusCode::ACCEPTED);
    let body: serde_json::Value = asked.json().await.unwrap();
    assert_eq!(
        body["message"],
        "If an account exists, a password reset link has been sent."
    );
    let token = app
        .mail
        .wait_for_subject("alice@example.com", "Reset your password", 1)
        .await
        .token("/auth/reset-password/");

    let weak = client
        .post_json(
            "/api/reset-password",
            &json!({"token": token, "password": "alice12345"}),
        )
        .await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = weak.json().await.unwrap();
    assert!(body["error"]["fields"]["password"].is_string(), "{body}");

    let done = client
        .post_json(
            "/api/reset-password",
            &json!({"token": token, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(done.status(), StatusCode::NO_CONTENT);
    let again = client
        .post_json(
            "/api/reset-password",
            &json!({"token": token, "password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    let login = client
        .post_json(
            "/api/login",
            &json!({"username": "alice", "password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(login.status(), StatusCode::OK);
}
