//! Changing the address: the current password proves the owner, the new
//! address proves itself by its link, and the old one is told.

use crate::common::{Backend, PASSWORD, location, on_both_backends, spawn};
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(
    the_address_changes_only_when_the_link_to_the_new_one_is_followed,
    a_wrong_password_a_bad_or_taken_address_is_refused,
    changing_the_email_needs_a_login_and_the_api_works,
);

async fn the_address_changes_only_when_the_link_to_the_new_one_is_followed(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let response = alice
        .submit(
            "/auth/change-email",
            "/auth/change-email",
            &[("email", "Alice@New.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/profile");
    let (_, profile) = alice.page("/profile").await;
    assert!(profile.contains("alice@example.com"), "not switched yet");

    let mail = app
        .mail
        .wait_for_subject("Alice@New.example", "Confirm your new email address", 1)
        .await;
    let path = mail.path("/auth/change-email/");
    assert_eq!(
        alice.get(&path).await.status(),
        StatusCode::OK,
        "GET changes nothing"
    );
    let (_, profile) = alice.page("/profile").await;
    assert!(profile.contains("alice@example.com"));

    let done = alice.submit(&path, &path, &[]).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let (_, profile) = alice.page("/profile").await;
    assert!(profile.contains("Alice@New.example"), "{profile}");
    assert!(profile.contains("Your email address has been changed."));
    assert_eq!(
        alice.get(&path).await.status(),
        StatusCode::BAD_REQUEST,
        "used"
    );

    let notice = app
        .mail
        .wait_for_subject("alice@example.com", "Your email address was changed", 1)
        .await;
    assert!(notice.text().contains("Alice@New.example"));
    assert_eq!(
        app.browser()
            .login("alice@new.example", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    for kind in ["email_change_requested", "email_changed"] {
        assert_eq!(app.audit(&["--type", kind])["total"], 1, "{kind}");
    }
}

async fn a_wrong_password_a_bad_or_taken_address_is_refused(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    app.logged_in("bob").await;
    for (email, password, status, message) in [
        (
            "new@example.com",
            "wrong",
            StatusCode::UNPROCESSABLE_ENTITY,
            "Current password is incorrect.",
        ),
        (
            "not-an-address",
            PASSWORD,
            StatusCode::UNPROCESSABLE_ENTITY,
            "valid email",
        ),
        (
            "BOB@example.com",
            PASSWORD,
            StatusCode::CONFLICT,
            "already registered",
        ),
        (
            "alice@example.com",
            PASSWORD,
            StatusCode::UNPROCESSABLE_ENTITY,
            "already your address",
        ),
    ] {
        let response = alice
            .submit(
                "/auth/change-email",
                "/auth/change-email",
                &[("email", email), ("password", password)],
            )
            .await;
        assert_eq!(response.status(), status, "{email}");
        let html = response.text().await.unwrap();
        assert!(html.contains(message), "{message}: {html}");
    }
    // Only confirmation mails from registration went out.
    assert!(app.mail.to("new@example.com").is_empty());
}

async fn changing_the_email_needs_a_login_and_the_api_works(backend: Backend) {
    let app = spawn!(backend);
    let anonymous = app.browser();
    let response = anonymous.get("/auth/change-email").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let api = anonymous
        .post_json(
            "/api/change-email",
            &json!({"email": "x@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);

    app.browser()
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    let script = app.browser();
    let csrf = script.api_login("alice", PASSWORD).await;
    let asked = script
        .post_json_with(
            "/api/change-email",
            &csrf,
            &json!({"email": "alice@new.example", "password": PASSWORD}),
        )
        .await;
    assert_eq!(asked.status(), StatusCode::ACCEPTED);
    let token = app
        .mail
        .wait_for_subject("alice@new.example", "Confirm your new email address", 1)
        .await
        .token("/auth/change-email/");
    // Another browser (say, a phone's mail app) may follow the link.
    let done = app
        .browser()
        .post_json("/api/change-email/confirm", &json!({"token": token}))
        .await;
    assert_eq!(done.status(), StatusCode::OK);
    let body: serde_json::Value = done.json().await.unwrap();
    assert_eq!(body["user"]["email"], "alice@new.example");
    let me: serde_json::Value = script.get("/api/me").await.json().await.unwrap();
    assert_eq!(me["user"]["email"], "alice@new.example");
}
