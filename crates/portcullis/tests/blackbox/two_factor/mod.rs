//! Two-factor sign-in, tried as its user and as an attacker would: real
//! codes computed by the tests' own RFC 6238 implementation against the
//! test clock, replays, guesses, stale sessions, and the routes and field
//! names of the Flask tutorial it replaces. Enrolling and the second step
//! are here; managing the factor is in `manage`, and the rules around it
//! (roles, administrators, expiry, audit) in `policy`.

mod manage;
mod policy;

use crate::admin::csrf;
use crate::common::{
    Backend, Browser, PASSWORD, TestApp, location, on_both_backends, set_cookies, spawn,
};
use crate::totp::code;
use portcullis_core::Clock as _;
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

on_both_backends!(
    enrolling_through_the_pages_shows_a_qr_code_and_turns_on_with_a_current_code,
    a_pending_login_grants_nothing_but_the_second_step,
    next_and_remember_survive_the_second_step,
    a_code_works_once_on_every_instance_and_one_step_of_skew_is_allowed,
    wrong_codes_count_toward_the_lockout_and_five_end_the_pending_login,
    a_right_password_alone_does_not_end_a_run_of_failures,
);

/// Unix time on the test clock.
pub(super) fn now(app: &TestApp) -> i64 {
    app.clock.now().unix_timestamp()
}

/// Moves the clock to the next 30-second step, so a new code is due.
pub(super) fn next_step(app: &TestApp) {
    app.clock.advance(Duration::seconds(30));
}

/// Turns two-factor on for the logged-in `browser` through the API;
/// returns the base32 key and the recovery codes.
pub(crate) async fn enrol(app: &TestApp, browser: &Browser) -> (String, Vec<String>) {
    let token = csrf(browser).await;
    let setup: Value = browser
        .post_json_with("/api/2fa/setup", &token, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let secret = setup["secret"].as_str().unwrap().to_owned();
    assert!(
        setup["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/")
    );
    assert!(setup["qr_svg"].as_str().unwrap().starts_with("<svg"));
    let response = browser
        .post_json_with(
            "/api/2fa/enable",
            &token,
            &json!({"token": code(&secret, now(app))}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let codes: Vec<String> = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    next_step(app);
    (secret, codes)
}

/// A fresh browser that has given the password of `username`: it holds a
/// pending login.
pub(super) async fn half_logged_in(app: &TestApp, username: &str) -> Browser {
    let browser = app.browser();
    let response = browser.login(username, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        location(&response).starts_with("/auth/login-2fa"),
        "{}",
        location(&response)
    );
    browser
}

/// Gives the second step `token` through the page.
pub(super) async fn second_step(browser: &Browser, token: &str) -> reqwest::Response {
    browser
        .submit("/auth/login-2fa", "/auth/login-2fa", &[("token", token)])
        .await
}

pub(super) async fn me(browser: &Browser) -> (StatusCode, Value) {
    let response = browser.get("/api/me").await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn enrolling_through_the_pages_shows_a_qr_code_and_turns_on_with_a_current_code(
    backend: Backend,
) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let (status, html) = alice.page("/auth/enable-2fa").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<svg role=\"img\""), "an inline SVG QR code");
    let secret = scraper::Html::parse_document(&html)
        .select(&scraper::Selector::parse("code.secret").unwrap())
        .next()
        .unwrap()
        .text()
        .collect::<String>();
    // A reload shows the same key, so an app that scanned it still works.
    let (_, again) = alice.page("/auth/enable-2fa").await;
    assert!(again.contains(&secret));
    let wrong = alice
        .submit(
            "/auth/enable-2fa",
            "/auth/verify-2fa",
            &[("token", "000000")],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let right = alice
        .submit(
            "/auth/enable-2fa",
            "/auth/verify-2fa",
            &[("token", &code(&secret, now(&app)))],
        )
        .await;
    assert_eq!(right.status(), StatusCode::OK);
    let page = right.text().await.unwrap();
    assert!(page.contains("shown only now"));
    let codes: Vec<&str> = page
        .split(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"')
        .filter(|w| w.len() == 11 && w.as_bytes()[5] == b'-')
        .collect();
    assert!(codes.len() >= 10, "ten codes on the page");
    // The codes download as a text file.
    let token = alice.csrf_token("/profile").await;
    let file = alice
        .post_form(
            "/auth/recovery-codes/download",
            &[("csrf_token", &token), ("codes", &codes[..10].join(" "))],
        )
        .await;
    assert_eq!(file.status(), StatusCode::OK);
    assert!(
        file.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    assert!(file.text().await.unwrap().contains(codes[0]));
    app.mail
        .wait_for_subject("alice@example.com", "Two-factor authentication is on", 1)
        .await;
    let (_, profile) = alice.page("/profile").await;
    assert!(
        profile.contains("on: an authenticator app, 10 recovery codes left"),
        "{profile}"
    );
    let again = alice.get("/auth/enable-2fa").await;
    assert_eq!(location(&again), "/auth/two-factor");
    let (_, body) = me(&alice).await;
    assert_eq!(body["user"]["two_factor_enabled"], true);
    assert_eq!(body["user"]["recovery_codes_left"], 10);
}

async fn a_pending_login_grants_nothing_but_the_second_step(backend: Backend) {
    let app = spawn!(backend);
    let root = app.admin("root").await;
    let (secret, _) = enrol(&app, &root).await;
    let pending = half_logged_in(&app, "root").await;
    let pending_cookie = pending.cookie("portcullis_session").unwrap();
    for path in [
        "/profile",
        "/admin/users",
        "/account/sessions",
        "/auth/change-password",
    ] {
        let response = pending.get(path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(
            location(&response).starts_with("/auth/login-2fa?next="),
            "{path}"
        );
    }
    for path in ["/api/me", "/api/admin/users", "/api/sessions"] {
        let response = pending.get(path).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "two_factor_required", "{path}");
    }
    // Not even a password change or re-authentication upgrades it.
    let token = pending.csrf_token("/auth/login-2fa").await;
    for (path, body) in [
        (
            "/api/change-password",
            json!({"current_password": PASSWORD, "new_password": "another long passphrase 7"}),
        ),
        ("/api/reauthenticate", json!({"password": PASSWORD})),
        ("/api/2fa/setup", json!({})),
    ] {
        let response = pending.post_json_with(path, &token, &body).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    // The second step rotates the token again.
    let done = second_step(&pending, &code(&secret, now(&app))).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let full_cookie = pending.cookie("portcullis_session").unwrap();
    assert_ne!(full_cookie, pending_cookie);
    let (status, body) = me(&pending).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["user"]["two_factor_enabled"], true);
    // The pending token is dead.
    let replay = Browser::with_headers(
        &app.base,
        &[("cookie", &format!("portcullis_session={pending_cookie}"))],
    );
    assert_eq!(
        replay.get("/api/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    // The API says the same as the pages.
    let api = app.browser();
    let first: Value = api
        .post_json(
            "/api/login",
            &json!({"username": "root", "password": PASSWORD}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["two_factor_required"], true);
    assert!(
        first.get("user").is_none(),
        "no account data before the second factor"
    );
    next_step(&app);
    let second = api
        .post_json_with(
            "/api/login/2fa",
            first["csrf_token"].as_str().unwrap(),
            &json!({"token": code(&secret, now(&app))}),
        )
        .await;
    assert_eq!(second.status(), StatusCode::OK);
    let body: Value = second.json().await.unwrap();
    assert_eq!(body["user"]["username"], "root");
    assert_eq!(body["roles"], json!(["admin"]));
}

async fn next_and_remember_survive_the_second_step(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let (secret, _) = enrol(&app, &alice).await;
    let browser = app.browser();
    let token = browser.csrf_token("/auth/login").await;
    let response = browser
        .post_form(
            "/auth/login?next=/account/sessions",
            &[
                ("csrf_token", &token),
                ("username", "alice"),
                ("password", PASSWORD),
                ("remember", "y"),
            ],
        )
        .await;
    assert_eq!(
        location(&response),
        "/auth/login-2fa?next=%2Faccount%2Fsessions"
    );
    let pending_cookies = set_cookies(&response).join("\n");
    assert!(
        !pending_cookies.contains("Max-Age"),
        "the pending cookie is not remembered"
    );
    let done = browser
        .submit(
            "/auth/login-2fa?next=/account/sessions",
            "/auth/login-2fa?next=/account/sessions",
            &[("token", &code(&secret, now(&app)))],
        )
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&done), "/account/sessions");
    assert!(
        set_cookies(&done).join("\n").contains("Max-Age"),
        "remember-me kept"
    );
    // And next cannot lead off the site here either.
    let evil = half_logged_in(&app, "alice").await;
    next_step(&app);
    let done = evil
        .submit(
            "/auth/login-2fa",
            "/auth/login-2fa?next=//evil.example",
            &[
                ("token", &code(&secret, now(&app))),
                ("next", "//evil.example"),
            ],
        )
        .await;
    assert_eq!(location(&done), "/");
}

async fn a_code_works_once_on_every_instance_and_one_step_of_skew_is_allowed(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let (secret, _) = enrol(&app, &alice).await;
    let current = code(&secret, now(&app));
    let first = half_logged_in(&app, "alice").await;
    assert_eq!(
        second_step(&first, &current).await.status(),
        StatusCode::SEE_OTHER
    );
    // The same code again, here and on another instance: refused.
    let again = half_logged_in(&app, "alice").await;
    assert_eq!(
        second_step(&again, &current).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let sibling = app.sibling(|_| {}).await;
    let elsewhere = Browser::new(&sibling.base);
    elsewhere.login("alice", PASSWORD).await;
    assert_eq!(
        second_step(&elsewhere, &current).await.status(),
        StatusCode::UNAUTHORIZED,
        "replayed on another instance"
    );
    // One step of skew either way is accepted; two steps are not.
    app.clock.advance(Duration::seconds(90));
    let skewed = half_logged_in(&app, "alice").await;
    let one_behind = code(&secret, now(&app) - 30);
    assert_eq!(
        second_step(&skewed, &one_behind).await.status(),
        StatusCode::SEE_OTHER
    );
    app.clock.advance(Duration::seconds(90));
    let stale = half_logged_in(&app, "alice").await;
    assert_eq!(
        second_step(&stale, &code(&secret, now(&app) - 60))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        second_step(&stale, &code(&secret, now(&app) + 30))
            .await
            .status(),
        StatusCode::SEE_OTHER,
        "one step ahead"
    );
}

async fn wrong_codes_count_toward_the_lockout_and_five_end_the_pending_login(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let (secret, _) = enrol(&app, &alice).await;
    // Four wrong codes are forgiven by a right one, as four wrong passwords
    // are. No answer says whether the password was right.
    let slow_typist = half_logged_in(&app, "alice").await;
    for guess in ["111111", "222222", "333333", "444444"] {
        let response = second_step(&slow_typist, guess).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.text().await.unwrap().contains("Invalid code."));
    }
    let done = second_step(&slow_typist, &code(&secret, now(&app))).await;
    assert_eq!(location(&done), "/");
    // Five end the pending login and lock the account, as five wrong
    // passwords would.
    let guesser = half_logged_in(&app, "alice").await;
    let token = guesser.csrf_token("/auth/login-2fa").await;
    for guess in ["111111", "222222", "333333", "444444"] {
        let response = guesser
            .post_form(
                "/auth/login-2fa",
                &[("csrf_token", &token), ("token", guess)],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let fifth = guesser
        .post_form(
            "/auth/login-2fa",
            &[("csrf_token", &token), ("token", "555555")],
        )
        .await;
    assert_eq!(location(&fifth), "/auth/login", "the login is over");
    assert_eq!(
        location(&guesser.get("/auth/login-2fa").await),
        "/auth/login",
        "the pending login is gone"
    );
    assert_eq!(
        app.browser().login("alice", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED,
        "locked: even the right password fails"
    );
    let (_, html) = app.browser().page("/auth/login").await;
    assert!(!html.contains("locked"), "the lock is not revealed");
}

async fn a_right_password_alone_does_not_end_a_run_of_failures(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    enrol(&app, &alice).await;
    let attacker = app.browser();
    for _ in 0..4 {
        assert_eq!(
            attacker.login("alice", "wrong password").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Someone who knows the password but not the code...
    half_logged_in(&app, "alice").await;
    // ...does not reset the count: one more wrong guess locks the account
    // (without a second factor, the right password would have reset it).
    attacker.login("alice", "wrong password").await;
    let owner = app.browser();
    assert_eq!(
        owner.login("alice", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED,
        "locked"
    );
}
