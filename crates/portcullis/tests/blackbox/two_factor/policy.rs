//! The rules around a second factor: roles that require it, administrators
//! resetting it, pending logins ending, and what the audit log records.

use super::{enrol, half_logged_in, next_step, now, second_step};
use crate::admin::{call, csrf, id_of};
use crate::common::{Backend, Browser, PASSWORD, location, on_both_backends, spawn};
use crate::totp::code;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::Duration;

on_both_backends!(
    a_role_that_requires_two_factor_sends_its_holders_to_enrolment,
    administrators_reset_a_second_factor_under_the_containment_rules,
    logout_ends_a_pending_login_and_it_expires_by_itself,
    the_audit_log_records_each_step_and_no_code_or_seed,
);

async fn a_role_that_requires_two_factor_sends_its_holders_to_enrolment(backend: Backend) {
    let app = spawn!(backend, |s| s.two_factor.required_for_roles =
        vec!["admin".into()]);
    let root = app.admin("root").await;
    // Relogin so the session carries the role from the start.
    let root_again = app.browser();
    root_again.login("root", PASSWORD).await;
    for path in ["/profile", "/admin/users", "/"] {
        let response = root_again.get(path).await;
        assert_eq!(location(&response), "/auth/enable-2fa", "{path}");
    }
    let response = root_again.get("/api/admin/users").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"]["code"],
        "two_factor_enrolment_required"
    );
    assert_eq!(
        root_again.get("/auth/enable-2fa").await.status(),
        StatusCode::OK
    );
    // A plain user is not held up.
    let alice = app.logged_in("alice").await;
    assert_eq!(alice.get("/profile").await.status(), StatusCode::OK);
    // Once enrolled, everything opens.
    let (secret, _) = enrol(&app, &root_again).await;
    assert_eq!(
        root_again.get("/admin/users").await.status(),
        StatusCode::OK
    );
    let _ = (root, secret);
}

async fn administrators_reset_a_second_factor_under_the_containment_rules(backend: Backend) {
    let app = spawn!(backend);
    let root = app.admin("root").await;
    let alice = app.logged_in("alice").await;
    enrol(&app, &alice).await;
    enrol(&app, &root).await;
    // A helpdesk may reset a plain user's second factor, not an admin's.
    let (status, _) = call(
        &root,
        Method::POST,
        "/api/admin/roles",
        Some(json!({"name": "helpdesk", "permissions": ["users:read", "users:manage"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let helpdesk = app.logged_in("helen").await;
    let helen = id_of(&root, "helen").await;
    call(
        &root,
        Method::POST,
        &format!("/api/admin/users/{helen}/roles"),
        Some(json!({"role": "helpdesk"})),
    )
    .await;
    let root_id = id_of(&root, "root").await;
    let (status, _) = call(
        &helpdesk,
        Method::POST,
        &format!("/api/admin/users/{root_id}/reset-2fa"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let alice_id = id_of(&root, "alice").await;
    let (_, before) = call(
        &root,
        Method::GET,
        &format!("/api/admin/users/{alice_id}"),
        None,
    )
    .await;
    assert_eq!(before["two_factor_enabled"], true);
    let (status, body) = call(
        &helpdesk,
        Method::POST,
        &format!("/api/admin/users/{alice_id}/reset-2fa"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["two_factor_was_enabled"], true);
    // Alice's sessions ended, she was told, and logs in with a password.
    assert_eq!(
        alice.get("/api/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.mail
        .wait_for_subject("alice@example.com", "Two-factor authentication is off", 1)
        .await;
    assert_eq!(location(&app.browser().login("alice", PASSWORD).await), "/");
    // The command line, as the system, may reset anyone's.
    let out = crate::cli::portcullis(&app.db_url, &["users", "reset-2fa", "root"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Removed the second factor of root"));
    assert_eq!(location(&app.browser().login("root", PASSWORD).await), "/");
}

async fn logout_ends_a_pending_login_and_it_expires_by_itself(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let (secret, _) = enrol(&app, &alice).await;
    let browser = half_logged_in(&app, "alice").await;
    let cookie = browser.cookie("portcullis_session").unwrap();
    let token = browser.csrf_token("/auth/login-2fa").await;
    let out = browser
        .post_form("/auth/logout", &[("csrf_token", &token)])
        .await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let replay = Browser::with_headers(
        &app.base,
        &[("cookie", &format!("portcullis_session={cookie}"))],
    );
    assert_eq!(
        location(&replay.get("/auth/login-2fa").await),
        "/auth/login",
        "the pending login is gone"
    );
    // Five minutes without the second factor, and it is over.
    let slow = half_logged_in(&app, "alice").await;
    let token = slow.csrf_token("/auth/login-2fa").await;
    app.clock.advance(Duration::minutes(6));
    let late = slow
        .post_form(
            "/auth/login-2fa",
            &[("csrf_token", &token), ("token", &code(&secret, now(&app)))],
        )
        .await;
    assert!(late.status().is_client_error(), "a stale form does nothing");
    assert_eq!(location(&slow.get("/auth/login-2fa").await), "/auth/login");
}

async fn the_audit_log_records_each_step_and_no_code_or_seed(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let (secret, codes) = enrol(&app, &alice).await;
    let browser = half_logged_in(&app, "alice").await;
    second_step(&browser, "999999").await;
    second_step(&browser, &codes[0]).await;
    let token = csrf(&browser).await;
    browser
        .post_json_with(
            "/api/2fa/recovery-codes",
            &token,
            &json!({"password": PASSWORD}),
        )
        .await;
    next_step(&app);
    browser
        .post_json_with(
            "/api/2fa/disable",
            &token,
            &json!({"password": PASSWORD, "token": code(&secret, now(&app))}),
        )
        .await;
    let log = app.audit(&[]);
    let kinds: Vec<&str> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "two_factor_enabled",
        "two_factor_failed",
        "recovery_code_used",
        "recovery_codes_regenerated",
        "two_factor_disabled",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let text = log.to_string();
    assert!(!text.contains(&secret), "no seed");
    assert!(!text.contains(&codes[0]), "no recovery code");
    assert!(!text.contains("999999"), "no code");
}
