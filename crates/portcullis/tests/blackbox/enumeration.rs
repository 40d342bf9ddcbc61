//! Whether an address has an account, asked the ways an attacker would:
//! registering it, moving another account to it. With taken addresses not
//! revealed (the production default), every answer is the one a free
//! address gets, and the owner hears about it by email. Also: closed
//! registration, and links bound to the address they were sent to.

use crate::admin::{call, id_of};
use crate::common::{Backend, PASSWORD, TestApp, location, on_both_backends, spawn};
use crate::password_reset::{NEW_PASSWORD, forgot, reset_path};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    a_taken_address_registers_like_a_free_one_and_its_owner_is_told,
    moving_to_a_taken_address_answers_like_a_free_one_and_its_owner_is_told,
    closed_registration_is_not_there_and_not_offered,
    a_reset_link_sent_before_an_address_change_no_longer_works,
    an_administrators_change_of_address_unconfirms_it_and_voids_old_links,
);

async fn quiet(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, |s| s.registration.reveal_taken = Some(false)).await
}

async fn register_api(app: &TestApp, username: &str, email: &str) -> (StatusCode, Value) {
    let response = app
        .browser()
        .post_json(
            "/api/register",
            &json!({"username": username, "email": email, "password": PASSWORD}),
        )
        .await;
    (response.status(), response.json().await.unwrap())
}

async fn a_taken_address_registers_like_a_free_one_and_its_owner_is_told(backend: Backend) {
    let Some(app) = quiet(backend).await else {
        return;
    };
    let (fresh_status, fresh) = register_api(&app, "alice", "alice@example.com").await;
    let (taken_status, taken) = register_api(&app, "mallory", "Alice@Example.com").await;
    assert_eq!(fresh_status, StatusCode::ACCEPTED);
    assert_eq!(taken_status, fresh_status, "same status");
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&taken), keys(&fresh), "same body shape");
    assert_eq!(keys(&fresh), ["message"]);
    // The page answers alike too.
    let page = |username: &'static str, email: &'static str| {
        let browser = app.browser();
        async move { browser.register(username, email, PASSWORD).await }
    };
    let (a, b) = (
        page("carol", "carol@example.com").await,
        page("eve", "carol@example.com").await,
    );
    assert_eq!(
        (a.status(), location(&a)),
        (b.status(), location(&b)),
        "same redirect"
    );
    // Alice hears of it; no account was made for Mallory.
    let notice = app
        .mail
        .wait_for_subject(
            "alice@example.com",
            "Someone tried to use your email address",
            1,
        )
        .await;
    assert!(notice.text().contains("already belongs to your account"));
    assert_eq!(
        app.browser().login("mallory", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.audit(&["--type", "registration_attempted"])["total"], 2);
}

async fn moving_to_a_taken_address_answers_like_a_free_one_and_its_owner_is_told(backend: Backend) {
    let Some(app) = quiet(backend).await else {
        return;
    };
    let alice = app.logged_in("alice").await;
    app.logged_in("bob").await;
    let csrf = crate::admin::csrf(&alice).await;
    let mut answers = Vec::new();
    for email in ["fresh@example.com", "bob@example.com"] {
        let response = alice
            .post_json_with(
                "/api/change-email",
                &csrf,
                &json!({"email": email, "password": PASSWORD}),
            )
            .await;
        answers.push((response.status(), response.text().await.unwrap()));
    }
    assert_eq!(answers[0], answers[1], "the same answer, byte for byte");
    assert_eq!(answers[0].0, StatusCode::ACCEPTED);
    let notice = app
        .mail
        .wait_for_subject(
            "bob@example.com",
            "Someone tried to use your email address",
            1,
        )
        .await;
    assert!(
        !notice.text().contains("/auth/change-email/"),
        "no link to take it"
    );
    let me: Value = alice.get("/api/me").await.json().await.unwrap();
    assert_eq!(me["user"]["email"], "alice@example.com");
}

async fn closed_registration_is_not_there_and_not_offered(backend: Backend) {
    let app = spawn!(backend, |s| s.registration.enabled = false);
    let browser = app.browser();
    assert_eq!(
        browser.get("/auth/register").await.status(),
        StatusCode::NOT_FOUND
    );
    let token = browser.csrf_token("/auth/login").await;
    let form = browser
        .post_form(
            "/auth/register",
            &[
                ("csrf_token", &token),
                ("username", "alice"),
                ("email", "alice@example.com"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(form.status(), StatusCode::NOT_FOUND);
    let (status, body) = register_api(&app, "alice", "alice@example.com").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    for page in ["/", "/auth/login"] {
        let (_, html) = browser.page(page).await;
        assert!(!html.contains("/auth/register"), "{page} offers no link");
    }
    // Accounts still come from the command line.
    let out = crate::cli::portcullis(
        &app.db_url,
        &[
            "users",
            "create",
            "--username",
            "alice",
            "--email",
            "alice@example.com",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        app.browser().login("alice", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}

async fn a_reset_link_sent_before_an_address_change_no_longer_works(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    forgot(&app, "alice@example.com").await;
    let stale = reset_path(&app, "alice@example.com", 1).await;
    alice
        .submit(
            "/auth/change-email",
            "/auth/change-email",
            &[("email", "alice@new.example"), ("password", PASSWORD)],
        )
        .await;
    let change = app
        .mail
        .wait_for_subject("alice@new.example", "Confirm your new email address", 1)
        .await
        .path("/auth/change-email/");
    assert_eq!(
        alice.submit(&change, &change, &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let response = app
        .browser()
        .submit(
            "/auth/forgot-password",
            &stale,
            &[
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "voided with the old address"
    );
    assert_eq!(
        app.browser().login("alice", PASSWORD).await.status(),
        StatusCode::SEE_OTHER,
        "the password is unchanged"
    );
}

async fn an_administrators_change_of_address_unconfirms_it_and_voids_old_links(backend: Backend) {
    let app = spawn!(backend);
    let root = app.admin("root").await;
    app.logged_in("alice").await;
    let confirm = app
        .mail
        .wait_for_subject("alice@example.com", "Confirm your email address", 1)
        .await
        .path("/auth/confirm/");
    let browser = app.browser();
    assert_eq!(
        browser.submit(&confirm, &confirm, &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    forgot(&app, "alice@example.com").await;
    let stale = reset_path(&app, "alice@example.com", 1).await;
    let id = id_of(&root, "alice").await;
    let (status, body) = call(
        &root,
        Method::PATCH,
        &format!("/api/admin/users/{id}"),
        Some(json!({"email": "alice@elsewhere.example"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["email"], "alice@elsewhere.example");
    assert_eq!(body["user"]["confirmed_at"], Value::Null, "not proven yet");
    // The new address gets a link to prove itself; the old reset link is dead.
    let link = app
        .mail
        .wait_for_subject("alice@elsewhere.example", "Confirm your email address", 1)
        .await
        .path("/auth/confirm/");
    let response = app
        .browser()
        .submit(
            "/auth/forgot-password",
            &stale,
            &[
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        browser.submit(&link, &link, &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, after) = call(&root, Method::GET, &format!("/api/admin/users/{id}"), None).await;
    assert!(after["user"]["confirmed_at"].is_string());
}
