//! Whose account an emailed link acts on: always the one it was sent for,
//! whoever follows it and whatever session their browser holds.

use crate::common::{Backend, PASSWORD, on_both_backends, spawn};
use crate::password_reset::{NEW_PASSWORD, forgot, reset_path};
use reqwest::StatusCode;
use serde_json::Value;

on_both_backends!(
    links_act_on_the_account_they_were_sent_for_whoever_follows_them,
    a_reset_followed_in_the_owners_logged_in_browser_ends_that_session_too,
);

async fn me(browser: &crate::common::Browser) -> Value {
    browser.get("/api/me").await.json().await.unwrap()
}

async fn links_act_on_the_account_they_were_sent_for_whoever_follows_them(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let bob = app.logged_in("bob").await;

    // Bob, logged in, follows Alice's confirmation link.
    let confirm = app
        .mail
        .wait_for_subject("alice@example.com", "Confirm your email address", 1)
        .await
        .path("/auth/confirm/");
    assert_eq!(
        bob.submit(&confirm, &confirm, &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    assert!(me(&alice).await["user"]["confirmed_at"].is_string());
    assert!(me(&bob).await["user"]["confirmed_at"].is_null());

    // And her email-change link.
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
        bob.submit(&change, &change, &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(me(&alice).await["user"]["email"], "alice@new.example");
    assert_eq!(me(&bob).await["user"]["email"], "bob@example.com");
    assert_eq!(
        me(&bob).await["user"]["username"],
        "bob",
        "still logged in as bob"
    );
}

async fn a_reset_followed_in_the_owners_logged_in_browser_ends_that_session_too(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    forgot(&app, "alice@example.com").await;
    let path = reset_path(&app, "alice@example.com", 1).await;
    let response = alice
        .submit(
            &path,
            &path,
            &[
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        alice.get("/dashboard").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        alice.login("alice", NEW_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}
