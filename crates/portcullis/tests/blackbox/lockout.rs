//! Account lockout, probed as an attacker would: scripted wrong passwords,
//! then the right one.

use crate::common::{Backend, PASSWORD, on_both_backends, spawn};
use reqwest::StatusCode;
use time::Duration;

on_both_backends!(
    five_wrong_passwords_lock_the_account_even_against_the_right_one,
    the_lock_is_not_extended_by_attempts_and_expires_by_itself,
    a_successful_login_resets_the_count,
    the_cli_unlocks_at_once,
    revealing_the_lock_is_a_configuration_choice,
);

async fn five_wrong_passwords_lock_the_account_even_against_the_right_one(backend: Backend) {
    let app = spawn!(backend);
    app.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    let attacker = app.browser();
    // "Alice", "alice" and the email share one counter.
    for login in ["alice", "ALICE", "Alice", "alice@example.com", "alice"] {
        let response = attacker.login(login, "wrong password").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let owner = app.browser();
    let response = owner.login("alice", PASSWORD).await;
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "locked: the right password fails"
    );
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Invalid username or password."),
        "same answer as a wrong password"
    );
    assert!(!html.to_lowercase().contains("locked"));
    let api = owner
        .post_json(
            "/api/login",
            &serde_json::json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        api.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "invalid_credentials"
    );
    assert!(owner.cookie("portcullis_session").is_none());
}

async fn the_lock_is_not_extended_by_attempts_and_expires_by_itself(backend: Backend) {
    let app = spawn!(backend);
    app.browser()
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    let attacker = app.browser();
    for _ in 0..5 {
        attacker.login("alice", "wrong password").await;
    }
    // Keep hammering during the lock: 14 minutes of attempts.
    for _ in 0..14 {
        app.clock.advance(Duration::minutes(1));
        assert_eq!(
            attacker.login("alice", "wrong password").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        app.browser().login("alice", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.clock.advance(Duration::seconds(61));
    // 15 minutes after the lock began it is over, whatever happened since.
    assert_eq!(
        app.browser().login("alice", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}

async fn a_successful_login_resets_the_count(backend: Backend) {
    let app = spawn!(backend);
    app.browser()
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    let browser = app.browser();
    for _ in 0..4 {
        browser.login("alice", "wrong password").await;
    }
    assert_eq!(
        app.browser().login("alice", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    for _ in 0..4 {
        browser.login("alice", "wrong password").await;
    }
    assert_eq!(
        app.browser().login("alice", PASSWORD).await.status(),
        StatusCode::SEE_OTHER,
        "4 + 4 is not 5 in a row"
    );
}

async fn the_cli_unlocks_at_once(backend: Backend) {
    let app = spawn!(backend);
    app.browser()
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    for _ in 0..5 {
        app.browser().login("alice", "wrong password").await;
    }
    assert_eq!(
        app.browser().login("alice", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let out = crate::cli::portcullis(&app.db_url, &["users", "unlock", "ALICE"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Unlocked alice"));
    assert_eq!(
        app.browser().login("alice", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );

    let out = crate::cli::portcullis(&app.db_url, &["users", "unlock", "nobody"], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nobody"));
}

async fn revealing_the_lock_is_a_configuration_choice(backend: Backend) {
    let app = spawn!(backend, |s| {
        s.lockout.reveal = true;
        s.lockout.max_failures = 3;
    });
    app.browser()
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    for _ in 0..3 {
        app.browser().login("alice", "wrong password").await;
    }
    let response = app.browser().login("alice", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Try again in 15 minute(s).")
    );
    let api = app
        .browser()
        .post_json(
            "/api/login",
            &serde_json::json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        api.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "account_locked"
    );
}
