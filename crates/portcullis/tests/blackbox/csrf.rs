//! CSRF: every state-changing request made with the session cookie, and the
//! anonymous login and registration forms, need the token.

use crate::common::{Backend, PASSWORD, on_both_backends, spawn};
use reqwest::StatusCode;

on_both_backends!(
    forms_without_a_valid_token_are_refused_and_change_nothing,
    login_itself_is_protected_against_login_csrf,
    a_token_from_another_session_does_not_work,
    json_calls_with_the_session_cookie_need_the_header,
    logging_in_again_through_the_api_replaces_the_old_session,
    a_cross_site_form_cannot_log_in_through_the_api,
);

const MESSAGE: &str = "The CSRF token is missing or invalid.";

async fn forms_without_a_valid_token_are_refused_and_change_nothing(backend: Backend) {
    let app = spawn!(backend);
    let browser = app.logged_in("alice").await;
    let token = browser.csrf_token("/").await;

    for fields in [
        vec![],
        vec![("csrf_token", "")],
        vec![("csrf_token", "forged")],
        vec![("csrf_token", &token[1..])],
    ] {
        let response = browser.post_form("/auth/logout", &fields).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{fields:?}");
        assert!(response.text().await.unwrap().contains(MESSAGE));
        assert_eq!(
            browser.get("/profile").await.status(),
            StatusCode::OK,
            "still logged in"
        );
    }
    // The header works as well as the field.
    let response = browser
        .client
        .post(browser.url("/auth/logout"))
        .header("x-csrf-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        browser.get("/profile").await.status(),
        StatusCode::SEE_OTHER
    );
}

async fn login_itself_is_protected_against_login_csrf(backend: Backend) {
    let app = spawn!(backend);
    app.browser()
        .register("mallory", "m@example.com", PASSWORD)
        .await;
    // A cross-site form post has neither the victim's CSRF cookie nor a token.
    let victim = app.browser();
    let response = victim
        .post_form(
            "/auth/login",
            &[("username", "mallory"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(victim.cookie("portcullis_session").is_none());
    // Registration too.
    let response = victim
        .post_form(
            "/auth/register",
            &[
                ("username", "bob"),
                ("email", "b@example.com"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.browser()
            .register("bob", "b@example.com", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER,
        "bob was not created"
    );
    // The attacker's own valid token does not carry over to the victim's browser.
    let attacker = app.browser();
    let token = attacker.csrf_token("/auth/login").await;
    let response = victim
        .post_form(
            "/auth/login",
            &[
                ("csrf_token", &token),
                ("username", "mallory"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

async fn a_token_from_another_session_does_not_work(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let bob = app.logged_in("bob").await;
    let bobs_token = bob.csrf_token("/").await;
    let response = alice
        .post_form("/auth/logout", &[("csrf_token", &bobs_token)])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // And a token dies with its session: after a new login it is refused.
    let old = alice.csrf_token("/").await;
    let fresh = alice.csrf_token("/").await;
    assert_eq!(old, fresh, "stable within a session");
    alice.logout().await;
    alice.login("alice", PASSWORD).await;
    let response = alice
        .post_form("/auth/logout", &[("csrf_token", &old)])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

async fn json_calls_with_the_session_cookie_need_the_header(backend: Backend) {
    let app = spawn!(backend);
    let browser = app.browser();
    browser
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    let login: serde_json::Value = browser
        .post_json(
            "/api/login",
            &serde_json::json!({"username": "alice", "password": PASSWORD}),
        )
        .await
        .json()
        .await
        .unwrap();
    let token = login["csrf_token"].as_str().unwrap().to_owned();

    let response = browser
        .client
        .post(browser.url("/api/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "csrf_failed");
    let response = browser
        .client
        .post(browser.url("/api/logout"))
        .header("x-csrf-token", "wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        browser.get("/api/me").await.status(),
        StatusCode::OK,
        "still logged in"
    );

    let response = browser
        .client
        .post(browser.url("/api/logout"))
        .header("x-csrf-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        browser.get("/api/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn logging_in_again_through_the_api_replaces_the_old_session(backend: Backend) {
    let app = spawn!(backend);
    app.browser()
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    let script = app.browser();
    let first = script.api_login("alice", PASSWORD).await;
    let old_cookie = script
        .cookie("portcullis_session")
        .expect("a session cookie after the first login");
    let second = script.api_login("alice", PASSWORD).await;
    assert_ne!(first, second, "a new session, with its own token");
    let me: serde_json::Value = script.get("/api/me").await.json().await.unwrap();
    assert_eq!(me["user"]["username"], "alice");

    // The old session is over: its cookie no longer works.
    let stale = crate::common::http_client().build().unwrap();
    let response = stale
        .get(script.url("/api/me"))
        .header("cookie", format!("portcullis_session={old_cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // API refusals speak of the header, never of a page to reload.
    let response = script
        .post_json("/api/logout", &serde_json::json!({}))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "csrf_failed");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("X-CSRF-Token"), "{message}");
    assert!(!message.to_lowercase().contains("page"), "{message}");
}

async fn a_cross_site_form_cannot_log_in_through_the_api(backend: Backend) {
    let app = spawn!(backend);
    app.browser()
        .register("mallory", "mallory@example.com", PASSWORD)
        .await;
    // A victim with and without a session of their own.
    let anonymous = app.browser();
    let alice = app.logged_in("alice").await;
    for victim in [&anonymous, &alice] {
        for (content_type, body) in [
            (
                "application/x-www-form-urlencoded",
                format!("username=mallory&password={PASSWORD}"),
            ),
            (
                "text/plain",
                format!(r#"{{"username": "mallory", "password": "{PASSWORD}"}}"#),
            ),
            (
                "multipart/form-data; boundary=x",
                "--x\r\nContent-Disposition: form-data; name=username\r\n\r\nmallory\r\n--x--\r\n"
                    .to_owned(),
            ),
        ] {
            let response = victim
                .client
                .post(victim.url("/api/login"))
                .header("content-type", content_type)
                .header("origin", "https://evil.example")
                .body(body)
                .send()
                .await
                .unwrap();
            assert!(
                response.status().is_client_error(),
                "{content_type}: {}",
                response.status()
            );
            assert!(
                crate::common::set_cookies(&response)
                    .iter()
                    .all(|c| !c.contains("session=") || c.contains("Max-Age=0")),
                "{content_type}: no session is set"
            );
        }
        let me = victim.get("/api/me").await;
        if std::ptr::eq(victim, &alice) {
            let me: serde_json::Value = me.json().await.unwrap();
            assert_eq!(me["user"]["username"], "alice", "still alice");
        } else {
            assert_eq!(me.status(), StatusCode::UNAUTHORIZED, "nobody logged in");
        }
    }
}
