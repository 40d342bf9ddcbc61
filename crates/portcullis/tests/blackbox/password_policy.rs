//! The password policy everywhere a password is set.

use crate::common::{Backend, PASSWORD, on_both_backends, spawn};
use reqwest::StatusCode;

on_both_backends!(
    common_and_personal_passwords_are_refused_with_the_reason,
    the_minimum_length_is_configurable,
);

async fn common_and_personal_passwords_are_refused_with_the_reason(backend: Backend) {
    let app = spawn!(backend);
    let browser = app.browser();
    for (username, email, password, reason) in [
        ("alice", "alice@example.com", "iloveyou", "too common"),
        ("alice", "alice@example.com", "Baseball1", "too common"),
        (
            "margaret",
            "m@example.com",
            "margaret-is-great",
            "must not contain your username",
        ),
        (
            "tw",
            "tiger.woods@example.com",
            "tiger.woods golf!",
            "must not contain your email address",
        ),
        (
            "alice",
            "alice@example.com",
            "aaaaaaaaaaaa",
            "too predictable",
        ),
    ] {
        let response = browser.register(username, email, password).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{password}"
        );
        let html = response.text().await.unwrap();
        assert!(html.contains(reason), "{password}: {reason}");
        let api = browser
            .post_json(
                "/api/register",
                &serde_json::json!({"username": username, "email": email, "password": password}),
            )
            .await;
        assert_eq!(api.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: serde_json::Value = api.json().await.unwrap();
        assert!(
            body["error"]["fields"]["password"]
                .as_str()
                .unwrap()
                .contains(reason),
            "{body}"
        );
    }
    // Nothing was created; a good passphrase works.
    assert_eq!(
        browser
            .register("alice", "alice@example.com", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );

    let out = crate::cli::portcullis(
        &app.db_url,
        &[
            "create-admin",
            "--username",
            "root",
            "--email",
            "root@example.com",
            "--password-stdin",
        ],
        Some("password1\n"),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("too common"));
}

async fn the_minimum_length_is_configurable(backend: Backend) {
    let app = spawn!(backend, |s| s.password.min_length = 16);
    let response = app
        .browser()
        .register("alice", "alice@example.com", "fifteen chars!!")
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("at least 16 characters")
    );
    assert_eq!(
        app.browser()
            .register("alice", "alice@example.com", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}
