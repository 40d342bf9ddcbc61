//! Confirming the address: the link from the registration email, resending
//! it, and `confirm.required`.

use crate::common::{Backend, PASSWORD, TestApp, location, on_both_backends, spawn};
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(
    registration_mails_a_link_that_confirms_on_post_only_and_once,
    resending_voids_the_old_link_and_answers_alike_for_unknown_addresses,
    when_confirmation_is_required_unconfirmed_users_cannot_log_in,
    the_confirmation_api_confirms_with_the_mailed_token,
);

async fn confirmed_at(app: &TestApp, login: &str) -> serde_json::Value {
    let browser = app.browser();
    browser.api_login(login, PASSWORD).await;
    let me: serde_json::Value = browser.get("/api/me").await.json().await.unwrap();
    me["user"]["confirmed_at"].clone()
}

async fn registration_mails_a_link_that_confirms_on_post_only_and_once(backend: Backend) {
    let app = spawn!(backend);
    let mail = app.registered_with_confirmation("alice").await;
    let path = mail.path("/auth/confirm/");
    let visitor = app.browser();
    for _ in 0..2 {
        assert_eq!(visitor.get(&path).await.status(), StatusCode::OK);
    }
    assert!(
        confirmed_at(&app, "alice").await.is_null(),
        "GET confirms nothing"
    );

    let response = visitor.submit(&path, &path, &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/auth/login");
    assert!(confirmed_at(&app, "alice").await.is_string());
    assert_eq!(visitor.get(&path).await.status(), StatusCode::BAD_REQUEST);
    let again = visitor
        .submit("/auth/resend-confirmation", &path, &[])
        .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    for kind in ["confirmation_sent", "email_confirmed"] {
        assert_eq!(app.audit(&["--type", kind])["total"], 1, "{kind}");
    }
}

async fn resending_voids_the_old_link_and_answers_alike_for_unknown_addresses(backend: Backend) {
    let app = spawn!(backend);
    app.browser()
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    let browser = app.browser();
    let mut answers = Vec::new();
    for email in ["nobody@example.com", "alice@example.com"] {
        let response = browser
            .submit(
                "/auth/resend-confirmation",
                "/auth/resend-confirmation",
                &[("email", email)],
            )
            .await;
        answers.push((response.status(), response.text().await.unwrap()));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].0, StatusCode::OK);
    let first = app
        .mail
        .wait_for_subject("alice@example.com", "Confirm your email address", 1)
        .await
        .path("/auth/confirm/");
    let second = app
        .mail
        .wait_for_subject("alice@example.com", "Confirm your email address", 2)
        .await
        .path("/auth/confirm/");
    assert!(app.mail.to("nobody@example.com").is_empty());
    assert_eq!(browser.get(&first).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(browser.get(&second).await.status(), StatusCode::OK);
    let api = browser
        .post_json(
            "/api/resend-confirmation",
            &json!({"email": "nobody@example.com"}),
        )
        .await;
    assert_eq!(api.status(), StatusCode::ACCEPTED);
}

async fn when_confirmation_is_required_unconfirmed_users_cannot_log_in(backend: Backend) {
    let app = spawn!(backend, |s| s.confirm.required = true);
    app.browser()
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    let browser = app.browser();
    let refused = browser.login("alice", PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let html = refused.text().await.unwrap();
    assert!(html.contains("confirm your email address"), "{html}");
    assert!(html.contains("/auth/resend-confirmation"));
    assert!(browser.cookie("portcullis_session").is_none());
    // A wrong password still says only "invalid": no hint the account exists.
    assert_eq!(
        app.browser()
            .login("alice", "wrong password")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let api = app
        .browser()
        .post_json(
            "/api/login",
            &json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    assert_eq!(api.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["error"]["code"], "email_unconfirmed");

    let path = app
        .mail
        .wait_for_subject("alice@example.com", "Confirm your email address", 1)
        .await
        .path("/auth/confirm/");
    let visitor = app.browser();
    assert_eq!(
        visitor.submit(&path, &path, &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.browser().login("alice", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}

async fn the_confirmation_api_confirms_with_the_mailed_token(backend: Backend) {
    let app = spawn!(backend);
    let client = app.browser();
    client
        .post_json(
            "/api/register",
            &json!({"username": "alice", "email": "alice@example.com", "password": PASSWORD}),
        )
        .await;
    let token = app
        .mail
        .wait_for_subject("alice@example.com", "Confirm your email address", 1)
        .await
        .token("/auth/confirm/");
    let forged = client
        .post_json(
            "/api/confirm",
            &json!({"token": portcullis_core::SecretToken::generate().expose()}),
        )
        .await;
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
    let done = client
        .post_json("/api/confirm", &json!({"token": token}))
        .await;
    assert_eq!(done.status(), StatusCode::OK);
    let body: serde_json::Value = done.json().await.unwrap();
    assert!(body["user"]["confirmed_at"].is_string());
    let again = client
        .post_json("/api/confirm", &json!({"token": token}))
        .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
}
