//! The rules around passkeys: who may see, rename and remove which, the
//! last way into an account, administrators (with containment), the reset
//! of second factors, and a policy that demands a second factor.

use super::authenticator::SoftAuthenticator;
use super::{add_passkey, events, origin, passkey_login, post};
use crate::admin::{call, id_of};
use crate::common::{Backend, PASSWORD, TestApp, on_both_backends, spawn};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    the_last_way_in_cannot_be_removed,
    passkeys_are_their_owners_alone,
    administrators_see_and_remove_passkeys_within_their_reach,
    resetting_second_factors_removes_passkeys,
    a_passkey_satisfies_a_policy_that_demands_a_second_factor,
    registering_and_removing_want_a_recent_login,
);

async fn passkey_ids(browser: &crate::common::Browser) -> Vec<i64> {
    let listed: Value = browser.get("/api/passkeys").await.json().await.unwrap();
    listed["passkeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect()
}

async fn remove(browser: &crate::common::Browser, id: i64) -> (StatusCode, Value) {
    call(
        browser,
        Method::DELETE,
        &format!("/api/passkeys/{id}"),
        None,
    )
    .await
}

/// An account whose password is gone (as one made by a provider has
/// none), holding only what it is given after.
async fn without_password(app: &TestApp, username: &str) {
    app.sql(&format!(
        "UPDATE users SET password_hash = NULL WHERE username_key = '{username}'"
    ))
    .await;
}

async fn the_last_way_in_cannot_be_removed(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let mut laptop = SoftAuthenticator::new();
    let mut phone = SoftAuthenticator::new();
    add_passkey(&app, &alice, &mut laptop, "Laptop").await;
    add_passkey(&app, &alice, &mut phone, "Phone").await;
    without_password(&app, "alice").await;
    let ids = passkey_ids(&alice).await;
    assert_eq!(ids.len(), 2);

    let (status, _) = remove(&alice, ids[0]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let mail = app
        .mail
        .wait_for_subject(
            "alice@example.com",
            "A passkey was removed from your account",
            1,
        )
        .await;
    assert!(mail.text().contains("Laptop"), "{}", mail.text());
    // The laptop no longer signs in.
    let response = app
        .browser()
        .post_json("/api/login/passkey/begin", &json!({}))
        .await;
    let options: Value = response.json().await.unwrap();
    let stranger = app.browser();
    stranger
        .post_json("/api/login/passkey/begin", &json!({}))
        .await;
    let credential = laptop.authenticate(&options, &origin(&app)).unwrap();
    let response = stranger
        .post_json(
            "/api/login/passkey/finish",
            &json!({"credential": credential}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // The phone is now the only way in: removing it is refused, and the
    // page says so instead of offering the button.
    let (status, body) = remove(&alice, ids[1]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("only way"),
        "{body}"
    );
    let (_, page) = alice.page("/account/passkeys").await;
    assert!(page.contains("your only way to sign in"), "{page}");
    assert_eq!(passkey_ids(&alice).await.len(), 1);
    let (status, _) = passkey_login(&app, &app.browser(), &mut phone).await;
    assert_eq!(status, StatusCode::OK);

    // With a password, the last passkey may go.
    let bob = app.logged_in("bob").await;
    let mut key = SoftAuthenticator::new();
    add_passkey(&app, &bob, &mut key, "Key").await;
    let ids = passkey_ids(&bob).await;
    let (status, _) = remove(&bob, ids[0]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(events(&app, "passkey_removed").len(), 2);
}

async fn passkeys_are_their_owners_alone(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let mut device = SoftAuthenticator::new();
    add_passkey(&app, &alice, &mut device, "Laptop").await;
    let id = passkey_ids(&alice).await[0];
    let mallory = app.logged_in("mallory").await;
    // Another user sees none of alice's, and cannot rename or remove it.
    assert!(passkey_ids(&mallory).await.is_empty());
    let (status, _) = call(
        &mallory,
        Method::PATCH,
        &format!("/api/passkeys/{id}"),
        Some(json!({"name": "pwned"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = remove(&mallory, id).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let response = mallory
        .submit(
            "/account/passkeys",
            &format!("/account/passkeys/{id}/remove"),
            &[],
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // Anonymous callers get nothing at all.
    let anonymous = app.browser();
    assert_eq!(
        anonymous.get("/api/passkeys").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        anonymous
            .post_json("/api/passkeys/register/begin", &json!({}))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let page = anonymous.get("/account/passkeys").await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    // The owner renames it; a bad name is a clear 422.
    let (status, body) = call(
        &alice,
        Method::PATCH,
        &format!("/api/passkeys/{id}"),
        Some(json!({"name": "   "})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["name"].is_string(), "{body}");
    let (status, _) = call(
        &alice,
        Method::PATCH,
        &format!("/api/passkeys/{id}"),
        Some(json!({"name": "Work laptop"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let listed: Value = alice.get("/api/passkeys").await.json().await.unwrap();
    assert_eq!(listed["passkeys"][0]["name"], "Work laptop");
    // A registration begun by alice cannot be finished by mallory.
    let (_, options) = post(&alice, "/api/passkeys/register/begin", &json!({})).await;
    let mut other = SoftAuthenticator::new();
    let credential = other.register(&options, &origin(&app)).unwrap();
    let (status, _) = post(
        &mallory,
        "/api/passkeys/register/finish",
        &json!({"name": "Sneaky", "credential": credential}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(passkey_ids(&mallory).await.is_empty());
}

async fn administrators_see_and_remove_passkeys_within_their_reach(backend: Backend) {
    let app = spawn!(backend);
    let root = app.admin("root").await;
    let alice = app.logged_in("alice").await;
    let mut device = SoftAuthenticator::new();
    add_passkey(&app, &alice, &mut device, "Laptop").await;
    let alice_id = id_of(&root, "alice").await;
    let (status, detail) = call(
        &root,
        Method::GET,
        &format!("/api/admin/users/{alice_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["two_factor_enabled"], true);
    assert_eq!(detail["passkeys"][0]["name"], "Laptop", "{detail}");
    let passkey = detail["passkeys"][0]["id"].as_i64().unwrap();
    let (_, page) = root.page(&format!("/admin/users/{alice_id}")).await;
    assert!(page.contains("Laptop"), "{page}");
    assert!(page.contains(&format!("/passkeys/{passkey}/remove")));

    // A delegated administrator with users:manage may not reach into the
    // account of an administrator who holds more than they do.
    let mut root_device = SoftAuthenticator::new();
    add_passkey(&app, &root, &mut root_device, "Root key").await;
    let root_id = id_of(&root, "root").await;
    let (_, root_detail) = call(
        &root,
        Method::GET,
        &format!("/api/admin/users/{root_id}"),
        None,
    )
    .await;
    let root_passkey = root_detail["passkeys"][0]["id"].as_i64().unwrap();
    let helpdesk = app.logged_in("helpdesk").await;
    let (status, _) = call(
        &root,
        Method::POST,
        "/api/admin/roles",
        Some(json!({"name": "helpdesk", "permissions": ["users:read", "users:manage"]})),
    )
    .await;
    assert!(status.is_success(), "{status}");
    let helpdesk_id = id_of(&root, "helpdesk").await;
    let (status, _) = call(
        &root,
        Method::POST,
        &format!("/api/admin/users/{helpdesk_id}/roles"),
        Some(json!({"role": "helpdesk"})),
    )
    .await;
    assert!(status.is_success(), "{status}");
    let (status, _) = call(
        &helpdesk,
        Method::DELETE,
        &format!("/api/admin/users/{root_id}/passkeys/{root_passkey}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = passkey_login(&app, &app.browser(), &mut root_device).await;
    assert_eq!(status, StatusCode::OK, "root's passkey is untouched");
    // An ordinary user cannot use the administrators' route at all.
    let (status, _) = call(
        &alice,
        Method::DELETE,
        &format!("/api/admin/users/{root_id}/passkeys/{root_passkey}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Within reach, the passkey goes and its owner is told.
    let (status, _) = call(
        &helpdesk,
        Method::DELETE,
        &format!("/api/admin/users/{alice_id}/passkeys/{passkey}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let mail = app
        .mail
        .wait_for_subject(
            "alice@example.com",
            "A passkey was removed from your account",
            1,
        )
        .await;
    assert!(mail.text().contains("An administrator"), "{}", mail.text());
    let (status, _) = passkey_login(&app, &app.browser(), &mut device).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn resetting_second_factors_removes_passkeys(backend: Backend) {
    let app = spawn!(backend);
    let root = app.admin("root").await;
    let alice = app.logged_in("alice").await;
    let mut device = SoftAuthenticator::new();
    add_passkey(&app, &alice, &mut device, "Laptop").await;
    let alice_id = id_of(&root, "alice").await;
    let (status, body) = call(
        &root,
        Method::POST,
        &format!("/api/admin/users/{alice_id}/reset-2fa"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["two_factor_was_enabled"], true);
    let (status, _) = passkey_login(&app, &app.browser(), &mut device).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Her sessions ended; she logs in with the password alone now.
    assert_eq!(
        alice.get("/api/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let again = app.browser();
    let response = again
        .post_json(
            "/api/login",
            &json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    let body: Value = response.json().await.unwrap();
    assert!(body["two_factor_required"].is_null(), "{body}");
    let reset = events(&app, "two_factor_reset");
    assert_eq!(reset[0]["detail"]["passkeys_removed"], 1);
}

async fn a_passkey_satisfies_a_policy_that_demands_a_second_factor(backend: Backend) {
    let app = spawn!(backend, |s| s.two_factor.required = true);
    let alice = app.logged_in("alice").await;
    // Until she has a second factor, only enrolment is open to her...
    let (status, body) = call(&alice, Method::GET, "/api/sessions", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "two_factor_enrolment_required");
    // ...and a passkey is enrolment enough.
    let mut device = SoftAuthenticator::new();
    add_passkey(&app, &alice, &mut device, "Laptop").await;
    let (status, _) = call(&alice, Method::GET, "/api/sessions", None).await;
    assert_eq!(status, StatusCode::OK);
    let (_, page) = alice.page("/account/passkeys").await;
    assert!(page.contains("value=\"Laptop\""));
}

async fn registering_and_removing_want_a_recent_login(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let mut device = SoftAuthenticator::new();
    add_passkey(&app, &alice, &mut device, "Laptop").await;
    let id = passkey_ids(&alice).await[0];
    app.clock.advance(time::Duration::minutes(20));
    let (status, body) = post(&alice, "/api/passkeys/register/begin", &json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "reauthentication_required");
    let (status, _) = remove(&alice, id).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let page = alice.get("/account/passkeys").await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert!(
        crate::common::location(&page).starts_with("/auth/reauthenticate"),
        "{}",
        crate::common::location(&page)
    );
}
