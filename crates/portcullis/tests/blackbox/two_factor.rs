//! Two-factor sign-in, tried as its user and as an attacker would: real
//! codes computed by the tests' own RFC 6238 implementation against the
//! test clock, replays, guesses, stale sessions, a rotated secret, and the
//! routes and field names of the Flask tutorial it replaces.

use crate::admin::{call, csrf, id_of};
use crate::common::{
    Backend, Browser, PASSWORD, TestApp, location, on_both_backends, set_cookies, spawn,
};
use crate::totp::code;
use portcullis_core::Clock as _;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::Duration;

on_both_backends!(
    enrolling_through_the_pages_shows_a_qr_code_and_turns_on_with_a_current_code,
    a_pending_login_grants_nothing_but_the_second_step,
    next_and_remember_survive_the_second_step,
    a_code_works_once_on_every_instance_and_one_step_of_skew_is_allowed,
    wrong_codes_count_toward_the_lockout_and_five_end_the_pending_login,
    a_right_password_alone_does_not_end_a_run_of_failures,
    recovery_codes_work_once_tell_the_owner_and_can_be_replaced,
    turning_it_off_needs_the_password_and_a_current_code,
    changing_the_second_factor_needs_a_recent_login,
    a_stolen_session_cannot_swap_the_seed,
    a_password_reset_keeps_the_second_factor,
    seeds_are_sealed_at_rest_and_survive_a_rotated_secret,
    a_role_that_requires_two_factor_sends_its_holders_to_enrolment,
    administrators_reset_a_second_factor_under_the_containment_rules,
    logout_ends_a_pending_login_and_it_expires_by_itself,
    the_audit_log_records_each_step_and_no_code_or_seed,
);

/// Unix time on the test clock.
fn now(app: &TestApp) -> i64 {
    app.clock.now().unix_timestamp()
}

/// Moves the clock to the next 30-second step, so a new code is due.
fn next_step(app: &TestApp) {
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
async fn half_logged_in(app: &TestApp, username: &str) -> Browser {
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
async fn second_step(browser: &Browser, token: &str) -> reqwest::Response {
    browser
        .submit("/auth/login-2fa", "/auth/login-2fa", &[("token", token)])
        .await
}

async fn me(browser: &Browser) -> (StatusCode, Value) {
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
    assert!(profile.contains("on, 10 recovery codes left"), "{profile}");
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
