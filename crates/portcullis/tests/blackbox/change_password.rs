//! Changing the password while logged in: the current password proves the
//! owner, this session stays, every other one ends, and a notice is mailed.

use crate::common::{Backend, PASSWORD, location, on_both_backends, spawn};
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(
    changing_the_password_keeps_this_session_ends_the_others_and_sends_a_notice,
    a_wrong_current_password_or_a_weak_new_one_is_refused,
    changing_the_password_needs_a_login,
    the_change_password_api_needs_the_csrf_header_and_works,
    the_current_password_is_refused_as_the_new_one_on_the_page_and_the_api,
);

const NEW_PASSWORD: &str = "a whole new passphrase 42";

fn change<'a>(current: &'a str, new: &'a str, confirm: &'a str) -> [(&'static str, &'a str); 3] {
    [
        ("current_password", current),
        ("new_password", new),
        ("confirm_password", confirm),
    ]
}

async fn changing_the_password_keeps_this_session_ends_the_others_and_sends_a_notice(
    backend: Backend,
) {
    let app = spawn!(backend);
    let here = app.logged_in("alice").await;
    let elsewhere = app.browser();
    elsewhere.login("alice", PASSWORD).await;
    let bob = app.logged_in("bob").await;

    let response = here
        .submit(
            "/auth/change-password",
            "/auth/change-password",
            &change(PASSWORD, NEW_PASSWORD, NEW_PASSWORD),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/profile");
    let (status, html) = here.page("/profile").await;
    assert_eq!(status, StatusCode::OK, "this session stays");
    assert!(html.contains("Your password has been changed."));
    assert_eq!(
        elsewhere.get("/dashboard").await.status(),
        StatusCode::SEE_OTHER,
        "the other session is over"
    );
    assert_eq!(
        bob.get("/dashboard").await.status(),
        StatusCode::OK,
        "other users keep theirs"
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
        .wait_for_subject("alice@example.com", "Your password was changed", 1)
        .await;
    assert!(notice.text().contains("other sessions were logged out"));
    assert!(
        app.mail
            .to("bob@example.com")
            .iter()
            .all(|m| !m.subject().contains("password"))
    );
    assert_eq!(app.audit(&["--type", "password_changed"])["total"], 1);
}

async fn a_wrong_current_password_or_a_weak_new_one_is_refused(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let wrong = alice
        .submit(
            "/auth/change-password",
            "/auth/change-password",
            &change("not my password", NEW_PASSWORD, NEW_PASSWORD),
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("Current password is incorrect.")
    );

    for (new, confirm, message) in [
        ("password", "password", "too common"),
        (
            "alice-is-great-1",
            "alice-is-great-1",
            "must not contain your username",
        ),
        (NEW_PASSWORD, "different", "Passwords do not match."),
    ] {
        let response = alice
            .submit(
                "/auth/change-password",
                "/auth/change-password",
                &change(PASSWORD, new, confirm),
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{new}");
        let html = response.text().await.unwrap();
        assert!(html.contains(message), "{message}: {html}");
    }
    assert_eq!(
        app.browser().login("alice", PASSWORD).await.status(),
        StatusCode::SEE_OTHER,
        "nothing changed"
    );
}

async fn changing_the_password_needs_a_login(backend: Backend) {
    let app = spawn!(backend);
    let anonymous = app.browser();
    let response = anonymous.get("/auth/change-password").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).starts_with("/auth/login?next="));
    let api = anonymous
        .post_json(
            "/api/change-password",
            &json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
}

async fn the_change_password_api_needs_the_csrf_header_and_works(backend: Backend) {
    let app = spawn!(backend);
    app.browser()
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    let script = app.browser();
    let csrf = script.api_login("alice", PASSWORD).await;
    let other = app.browser();
    other.api_login("alice", PASSWORD).await;
    let body = json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD});
    let forged = script.post_json("/api/change-password", &body).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN, "no CSRF header");

    let wrong = script
        .post_json_with(
            "/api/change-password",
            &csrf,
            &json!({"current_password": "nope", "new_password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error: serde_json::Value = wrong.json().await.unwrap();
    assert_eq!(
        error["error"]["fields"]["current_password"],
        "Current password is incorrect."
    );

    let done = script
        .post_json_with("/api/change-password", &csrf, &body)
        .await;
    assert_eq!(done.status(), StatusCode::NO_CONTENT);
    assert_eq!(script.get("/api/me").await.status(), StatusCode::OK);
    assert_eq!(
        other.get("/api/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn the_current_password_is_refused_as_the_new_one_on_the_page_and_the_api(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let other = app.browser();
    other.login("alice", PASSWORD).await;
    let response = alice
        .submit(
            "/auth/change-password",
            "/auth/change-password",
            &change(PASSWORD, PASSWORD, PASSWORD),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    let document = scraper::Html::parse_document(&html);
    let field_error = scraper::Selector::parse(".field-error").unwrap();
    let errors: String = document
        .select(&field_error)
        .flat_map(|e| e.text())
        .collect();
    assert!(
        errors.contains("The new password must be different from the current one."),
        "{errors}"
    );

    let script = app.browser();
    let csrf = script.api_login("alice", PASSWORD).await;
    let same = script
        .post_json_with(
            "/api/change-password",
            &csrf,
            &json!({"current_password": PASSWORD, "new_password": PASSWORD}),
        )
        .await;
    assert_eq!(same.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error: serde_json::Value = same.json().await.unwrap();
    assert_eq!(
        error["error"]["fields"]["new_password"],
        "The new password must be different from the current one."
    );

    assert_eq!(
        other.get("/dashboard").await.status(),
        StatusCode::OK,
        "nothing changed: the other session lives"
    );
    assert_eq!(app.audit(&["--type", "password_changed"])["total"], 0);
}
