//! Managing a second factor: recovery codes, turning it off, the recent
//! login it needs, a stolen session, a password reset, and seeds sealed at
//! rest under a rotated secret.

use super::{enrol, half_logged_in, me, next_step, now, second_step};
use crate::admin::csrf;
use crate::common::{Backend, Browser, PASSWORD, location, on_both_backends, spawn};
use crate::totp::code;
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

on_both_backends!(
    recovery_codes_work_once_tell_the_owner_and_can_be_replaced,
    turning_it_off_needs_the_password_and_a_current_code,
    changing_the_second_factor_needs_a_recent_login,
    a_stolen_session_cannot_swap_the_seed,
    a_password_reset_keeps_the_second_factor,
    seeds_are_sealed_at_rest_and_survive_a_rotated_secret,
);

async fn recovery_codes_work_once_tell_the_owner_and_can_be_replaced(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let (_, codes) = enrol(&app, &alice).await;
    let browser = half_logged_in(&app, "alice").await;
    let typed = codes[0].to_uppercase().replace('-', " ");
    assert_eq!(
        second_step(&browser, &typed).await.status(),
        StatusCode::SEE_OTHER,
        "case and dashes do not matter"
    );
    let notice = app
        .mail
        .wait_for_subject("alice@example.com", "A recovery code was used", 1)
        .await;
    assert!(
        notice.text().contains("9 unused codes are left"),
        "{}",
        notice.text()
    );
    let again = half_logged_in(&app, "alice").await;
    assert_eq!(
        second_step(&again, &codes[0]).await.status(),
        StatusCode::UNAUTHORIZED,
        "a code works once"
    );
    let (_, body) = me(&browser).await;
    assert_eq!(body["user"]["recovery_codes_left"], 9);
    // Running low: the profile warns.
    for spent in &codes[1..8] {
        let b = half_logged_in(&app, "alice").await;
        assert_eq!(second_step(&b, spent).await.status(), StatusCode::SEE_OTHER);
    }
    let (_, profile) = browser.page("/profile").await;
    assert!(
        profile.contains("Only 2 recovery codes are left"),
        "{profile}"
    );
    // New codes need the password and void the old ones.
    let token = csrf(&browser).await;
    let wrong = browser
        .post_json_with(
            "/api/2fa/recovery-codes",
            &token,
            &json!({"password": "nope"}),
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let fresh: Value = browser
        .post_json_with(
            "/api/2fa/recovery-codes",
            &token,
            &json!({"password": PASSWORD}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fresh["recovery_codes"].as_array().unwrap().len(), 10);
    let old = half_logged_in(&app, "alice").await;
    assert_eq!(
        second_step(&old, &codes[9]).await.status(),
        StatusCode::UNAUTHORIZED,
        "the old set is void"
    );
    let new = half_logged_in(&app, "alice").await;
    assert_eq!(
        second_step(&new, fresh["recovery_codes"][0].as_str().unwrap())
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

async fn turning_it_off_needs_the_password_and_a_current_code(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let (secret, _) = enrol(&app, &alice).await;
    for (password, token, field) in [
        ("wrong password", code(&secret, now(&app)), "password"),
        (PASSWORD, "123456".to_owned(), "token"),
    ] {
        let response = alice
            .submit(
                "/auth/disable-2fa",
                "/auth/disable-2fa",
                &[("password", password), ("token", &token)],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}"
        );
        next_step(&app);
    }
    let done = alice
        .submit(
            "/auth/disable-2fa",
            "/auth/disable-2fa",
            &[("password", PASSWORD), ("token", &code(&secret, now(&app)))],
        )
        .await;
    assert_eq!(location(&done), "/profile");
    app.mail
        .wait_for_subject("alice@example.com", "Two-factor authentication is off", 1)
        .await;
    assert_eq!(
        app.browser().login("alice", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        location(&app.browser().login("alice", PASSWORD).await),
        "/",
        "no second step any more"
    );
}

async fn changing_the_second_factor_needs_a_recent_login(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    // Sixteen minutes later the session is alive, but not fresh.
    app.clock.advance(Duration::minutes(16));
    let response = alice.get("/auth/enable-2fa").await;
    assert_eq!(
        location(&response),
        "/auth/reauthenticate?next=%2Fauth%2Fenable-2fa"
    );
    for path in ["/auth/change-password", "/auth/change-email"] {
        assert!(
            location(&alice.get(path).await).starts_with("/auth/reauthenticate"),
            "{path}"
        );
    }
    let token = csrf(&alice).await;
    let api = alice
        .post_json_with("/api/2fa/setup", &token, &json!({}))
        .await;
    assert_eq!(api.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        api.json::<Value>().await.unwrap()["error"]["code"],
        "reauthentication_required"
    );
    let wrong = alice
        .submit(
            "/auth/reauthenticate",
            "/auth/reauthenticate?next=/auth/enable-2fa",
            &[("password", "wrong password")],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let done = alice
        .submit(
            "/auth/reauthenticate",
            "/auth/reauthenticate?next=/auth/enable-2fa",
            &[("password", PASSWORD)],
        )
        .await;
    assert_eq!(location(&done), "/auth/enable-2fa");
    assert_eq!(alice.get("/auth/enable-2fa").await.status(), StatusCode::OK);
}

async fn a_stolen_session_cannot_swap_the_seed(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let (secret, _) = enrol(&app, &alice).await;
    let token = csrf(&alice).await;
    let response = alice
        .post_json_with("/api/2fa/setup", &token, &json!({}))
        .await;
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "turn it off first"
    );
    // The original seed still works.
    let browser = half_logged_in(&app, "alice").await;
    assert_eq!(
        second_step(&browser, &code(&secret, now(&app)))
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

async fn a_password_reset_keeps_the_second_factor(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let (secret, _) = enrol(&app, &alice).await;
    crate::password_reset::forgot(&app, "alice@example.com").await;
    let link = crate::password_reset::reset_path(&app, "alice@example.com", 1).await;
    let new = crate::password_reset::NEW_PASSWORD;
    let done = app
        .browser()
        .submit(
            "/auth/forgot-password",
            &link,
            &[("password", new), ("password_confirm", new)],
        )
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let browser = app.browser();
    let response = browser.login("alice", new).await;
    assert!(
        location(&response).starts_with("/auth/login-2fa"),
        "still asked"
    );
    assert_eq!(
        second_step(&browser, &code(&secret, now(&app)))
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

async fn seeds_are_sealed_at_rest_and_survive_a_rotated_secret(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let (secret, codes) = enrol(&app, &alice).await;
    let stored = app.query_text("SELECT secret FROM totp_credentials").await;
    assert!(stored.starts_with("v1."), "sealed: {stored}");
    assert!(!stored.contains(&secret) && !stored.to_uppercase().contains(&secret));
    let hashes = app
        .query_text("SELECT code_hash FROM recovery_codes LIMIT 1")
        .await;
    assert!(!codes.iter().any(|c| hashes.contains(c.as_str())));
    // A new secret that lists the old one still opens the seed, and seals it
    // again under the new one.
    let old = crate::common::TEST_SECRET.to_owned();
    let rotated = app
        .sibling(|s| {
            s.secret = Some("a rotated secret: 9f8e7d6c5b4a39281706f5e4d3c2b1a0".into());
            s.previous_secrets = vec![old.clone()];
        })
        .await;
    let browser = Browser::new(&rotated.base);
    browser.login("alice", PASSWORD).await;
    assert_eq!(
        second_step(&browser, &code(&secret, now(&app)))
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let resealed = app.query_text("SELECT secret FROM totp_credentials").await;
    assert_ne!(resealed, stored, "sealed again under the current secret");
    // Without the old secret the seed cannot be opened: the code fails,
    // but a recovery code (a hash, not sealed) still lets its owner in.
    let forgetful = app
        .sibling(|s| s.secret = Some("yet another secret: 0a1b2c3d4e5f60718293a4b5c6d7e8f9".into()))
        .await;
    next_step(&app);
    let browser = Browser::new(&forgetful.base);
    browser.login("alice", PASSWORD).await;
    assert_eq!(
        second_step(&browser, &code(&secret, now(&app)))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        second_step(&browser, &codes[0]).await.status(),
        StatusCode::SEE_OTHER
    );
}
