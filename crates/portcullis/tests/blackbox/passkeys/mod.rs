//! Passkeys (WebAuthn), tried with a software authenticator of the tests'
//! own: registering, signing in without a username, the second factor
//! after a password, and the ways an attacker would try them (another
//! origin, a replayed answer, a cloned device, another browser's ceremony).
//! The rules around removal and administration are in `rules`.

pub(crate) mod authenticator;
mod rules;

use crate::admin::csrf;
use crate::common::{Backend, Browser, PASSWORD, TestApp, on_both_backends, spawn};
use authenticator::SoftAuthenticator;
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_backends!(
    a_passkey_registers_and_signs_in_without_a_username,
    a_passkey_is_the_second_factor_after_a_password,
    another_origin_is_refused,
    an_answer_works_once_and_only_in_the_browser_that_asked,
    a_counter_that_goes_backwards_is_refused_and_audited,
    synced_passkeys_without_a_counter_sign_in_again_and_again,
    passkeys_need_a_named_host,
    the_anonymous_begin_is_rate_limited,
    a_locked_or_deactivated_account_gets_nowhere_with_its_passkey,
);

/// The browser's origin for `app`: its public URL.
pub(super) fn origin(app: &TestApp) -> String {
    app.base.clone()
}

/// POSTs `body` as JSON with the session's CSRF token, as the page script
/// does; the status and the JSON answer.
pub(super) async fn post(browser: &Browser, path: &str, body: &Value) -> (StatusCode, Value) {
    let token = csrf(browser).await;
    let response = browser.post_json_with(path, &token, body).await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Registers a passkey called `name` on `device` for the logged-in
/// `browser`; the new passkey as the API answers it.
pub(super) async fn add_passkey(
    app: &TestApp,
    browser: &Browser,
    device: &mut SoftAuthenticator,
    name: &str,
) -> Value {
    let (status, options) = post(browser, "/api/passkeys/register/begin", &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{options}");
    let credential = device.register(&options, &origin(app)).unwrap();
    let (status, added) = post(
        browser,
        "/api/passkeys/register/finish",
        &json!({"name": name, "credential": credential}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    added
}

/// Signs in with `device` from `browser` without a username; the status
/// and answer of the finish.
pub(super) async fn passkey_login(
    app: &TestApp,
    browser: &Browser,
    device: &mut SoftAuthenticator,
) -> (StatusCode, Value) {
    let response = browser
        .post_json("/api/login/passkey/begin", &json!({}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let options: Value = response.json().await.unwrap();
    let credential = device.authenticate(&options, &origin(app)).unwrap();
    let response = browser
        .post_json(
            "/api/login/passkey/finish",
            &json!({"credential": credential}),
        )
        .await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Audit events of `kind`.
pub(super) fn events(app: &TestApp, kind: &str) -> Vec<Value> {
    app.audit(&["--type", kind])["events"]
        .as_array()
        .unwrap()
        .clone()
}

async fn a_passkey_registers_and_signs_in_without_a_username(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let (status, options) = post(&alice, "/api/passkeys/register/begin", &json!({})).await;
    assert_eq!(status, StatusCode::OK);
    // The relying party is the public URL's host; the passkey must be
    // discoverable (no username at sign-in) and verify its user.
    assert_eq!(options["publicKey"]["rp"]["id"], "localhost");
    let selection = &options["publicKey"]["authenticatorSelection"];
    assert_eq!(selection["residentKey"], "preferred", "{options}");
    assert_eq!(selection["userVerification"], "required");
    assert!(
        alice.cookie("portcullis_passkey").is_some(),
        "the ceremony is bound to this browser by a cookie"
    );

    let mut laptop = SoftAuthenticator::new();
    let credential = laptop.register(&options, &origin(&app)).unwrap();
    let (status, added) = post(
        &alice,
        "/api/passkeys/register/finish",
        &json!({"name": "  Laptop  ", "credential": credential}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["name"], "Laptop");
    assert!(added["last_used_at"].is_null());
    let listed: Value = alice.get("/api/passkeys").await.json().await.unwrap();
    assert_eq!(listed["passkeys"].as_array().unwrap().len(), 1);
    assert!(listed["unavailable"].is_null());
    let mail = app
        .mail
        .wait_for_subject(
            "alice@example.com",
            "A passkey was added to your account",
            1,
        )
        .await;
    assert!(mail.text().contains("Laptop"), "{}", mail.text());
    assert_eq!(events(&app, "passkey_added").len(), 1);

    // Registering the same device again is refused by the device itself
    // (the options exclude the passkeys the account has).
    let (_, again) = post(&alice, "/api/passkeys/register/begin", &json!({})).await;
    assert!(laptop.register(&again, &origin(&app)).is_err());

    // A browser that knows nothing signs in with the device alone.
    let stranger = app.browser();
    let (status, body) = passkey_login(&app, &stranger, &mut laptop).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["username"], "alice");
    assert!(body["csrf_token"].is_string());
    let me: Value = stranger.get("/api/me").await.json().await.unwrap();
    assert_eq!(me["user"]["username"], "alice");
    let login = events(&app, "passkey_login");
    assert_eq!(login.len(), 1);
    assert_eq!(login[0]["detail"]["step"], "passwordless");
    let assurance: Vec<Value> = events(&app, "login_succeeded")
        .into_iter()
        .filter(|e| e["detail"]["assurance"] == "passkey")
        .collect();
    assert_eq!(assurance.len(), 1, "the session counts as a passkey login");
    let listed: Value = alice.get("/api/passkeys").await.json().await.unwrap();
    assert!(listed["passkeys"][0]["last_used_at"].is_string());

    // The page lists it, and the login page offers the button.
    let (status, page) = alice.page("/account/passkeys").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("value=\"Laptop\""), "{page}");
    assert!(page.contains("/static/passkeys.js"));
    // The profile tells a passkey from an authenticator app: no recovery
    // codes to warn about, and the app can still be added.
    let (_, profile) = alice.page("/profile").await;
    assert!(profile.contains("on: 1 passkey"), "{profile}");
    assert!(!profile.contains("recovery code"), "{profile}");
    assert!(profile.contains("Add an authenticator app"), "{profile}");
    let disable = alice.get("/auth/disable-2fa").await;
    assert_eq!(crate::common::location(&disable), "/profile");
    let (_, login_page) = app.browser().page("/auth/login").await;
    assert!(login_page.contains("data-passkey-login"));
    assert!(login_page.contains("autocomplete=\"username webauthn\""));
}

async fn a_passkey_is_the_second_factor_after_a_password(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let mut key = SoftAuthenticator::new();
    add_passkey(&app, &alice, &mut key, "YubiKey").await;

    let browser = app.browser();
    let response = browser
        .post_json(
            "/api/login",
            &json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["two_factor_required"], true, "{body}");
    let token = body["csrf_token"].as_str().unwrap().to_owned();
    // Half a login grants nothing.
    assert_eq!(
        browser.get("/api/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    // The page offers the passkey, and no code field: there is no TOTP.
    let (_, page) = browser.page("/auth/login-2fa").await;
    assert!(page.contains("data-passkey-second-factor"), "{page}");
    assert!(!page.contains("name=\"token\""), "{page}");

    let response = browser
        .post_json_with("/api/login/2fa/passkey/begin", &token, &json!({}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let options: Value = response.json().await.unwrap();
    let allowed = options["publicKey"]["allowCredentials"].as_array().unwrap();
    assert_eq!(
        allowed.len(),
        1,
        "only the account's own passkeys: {options}"
    );
    let credential = key.authenticate(&options, &origin(&app)).unwrap();
    let response = browser
        .post_json_with(
            "/api/login/2fa/passkey/finish",
            &token,
            &json!({"credential": credential}),
        )
        .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["two_factor_enabled"], true);
    let me: Value = browser.get("/api/me").await.json().await.unwrap();
    assert_eq!(me["user"]["username"], "alice");
    let step: Vec<Value> = events(&app, "passkey_login")
        .into_iter()
        .filter(|e| e["detail"]["step"] == "second_factor")
        .collect();
    assert_eq!(step.len(), 1);

    // Another account's passkey is no second factor for alice.
    let bob = app.logged_in("bob").await;
    let mut bobs = SoftAuthenticator::new();
    add_passkey(&app, &bob, &mut bobs, "Bob's").await;
    let browser = app.browser();
    let token = browser.api_login("alice", PASSWORD).await;
    let options: Value = browser
        .post_json_with("/api/login/2fa/passkey/begin", &token, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let mut unlisted = options.clone();
    unlisted["publicKey"]["allowCredentials"] = json!([]);
    let credential = bobs.authenticate(&unlisted, &origin(&app)).unwrap();
    let response = browser
        .post_json_with(
            "/api/login/2fa/passkey/finish",
            &token,
            &json!({"credential": credential}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        browser.get("/api/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn another_origin_is_refused(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let mut device = SoftAuthenticator::new();

    // Registering from a phishing page's origin fails...
    let (_, options) = post(&alice, "/api/passkeys/register/begin", &json!({})).await;
    let credential = device.register(&options, "http://evil.example").unwrap();
    let (status, body) = post(
        &alice,
        "/api/passkeys/register/finish",
        &json!({"name": "Phished", "credential": credential}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "passkey_failed");
    let listed: Value = alice.get("/api/passkeys").await.json().await.unwrap();
    assert!(listed["passkeys"].as_array().unwrap().is_empty());

    // ...and so does signing in from one, with a passkey that is real.
    let mut device = SoftAuthenticator::new();
    add_passkey(&app, &alice, &mut device, "Laptop").await;
    let browser = app.browser();
    let options: Value = browser
        .post_json("/api/login/passkey/begin", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let credential = device
        .authenticate(&options, "http://localhost.evil.example")
        .unwrap();
    let response = browser
        .post_json(
            "/api/login/passkey/finish",
            &json!({"credential": credential}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        browser.get("/api/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert!(
        events(&app, "passkey_failed")
            .iter()
            .any(|e| e["detail"]["reason"] == "refused"),
        "the refusal is audited"
    );
}

async fn an_answer_works_once_and_only_in_the_browser_that_asked(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let mut device = SoftAuthenticator::new();
    add_passkey(&app, &alice, &mut device, "Laptop").await;

    let browser = app.browser();
    let options: Value = browser
        .post_json("/api/login/passkey/begin", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let credential = device.authenticate(&options, &origin(&app)).unwrap();
    let finish = json!({"credential": credential});
    // Another browser that captured the answer cannot use it: the
    // ceremony belongs to the cookie of the browser that began it.
    let thief = app.browser();
    thief
        .post_json("/api/login/passkey/begin", &json!({}))
        .await;
    let response = thief.post_json("/api/login/passkey/finish", &finish).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "passkey_failed");
    // The browser that asked signs in with it once...
    let response = browser
        .post_json("/api/login/passkey/finish", &finish)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    // ...and the same answer again, replayed, gets nothing: the ceremony
    // is gone, and a new one has a new challenge.
    let again = app.browser();
    assert_eq!(
        again
            .post_json("/api/login/passkey/finish", &finish)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    again
        .post_json("/api/login/passkey/begin", &json!({}))
        .await;
    let response = again.post_json("/api/login/passkey/finish", &finish).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        again.get("/api/me").await.status(),
        StatusCode::UNAUTHORIZED
    );

    // A ceremony older than five minutes is over.
    let late = app.browser();
    let options: Value = late
        .post_json("/api/login/passkey/begin", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    app.clock.advance(time::Duration::minutes(6));
    let credential = device.authenticate(&options, &origin(&app)).unwrap();
    let response = late
        .post_json(
            "/api/login/passkey/finish",
            &json!({"credential": credential}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // Garbage is a clear 400, not a 500.
    let garbage = app.browser();
    garbage
        .post_json("/api/login/passkey/begin", &json!({}))
        .await;
    let response = garbage
        .post_json(
            "/api/login/passkey/finish",
            &json!({"credential": {"id": "x", "type": "public-key"}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

async fn a_counter_that_goes_backwards_is_refused_and_audited(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let mut device = SoftAuthenticator::new();
    add_passkey(&app, &alice, &mut device, "Token").await;
    // A copy of the device taken now, used after the original moved on.
    let mut clone = device.duplicate();
    for _ in 0..2 {
        let (status, _) = passkey_login(&app, &app.browser(), &mut device).await;
        assert_eq!(status, StatusCode::OK);
    }
    let stolen = app.browser();
    let (status, body) = passkey_login(&app, &stolen, &mut clone).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "passkey_failed");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("copied"),
        "{body}"
    );
    assert_eq!(
        stolen.get("/api/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let suspected = events(&app, "passkey_clone_suspected");
    assert_eq!(suspected.len(), 1);
    assert_eq!(suspected[0]["detail"]["passkey"], "Token");
    // The real device still works.
    let (status, _) = passkey_login(&app, &app.browser(), &mut device).await;
    assert_eq!(status, StatusCode::OK);
    // A counter set back on the device itself is refused the same way.
    device.set_counter(0, 1);
    let (status, _) = passkey_login(&app, &app.browser(), &mut device).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(events(&app, "passkey_clone_suspected").len(), 2);
}

async fn synced_passkeys_without_a_counter_sign_in_again_and_again(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let mut phone = SoftAuthenticator::without_counter();
    let added = add_passkey(&app, &alice, &mut phone, "Phone").await;
    assert_eq!(added["backup_eligible"], true);
    for _ in 0..3 {
        let (status, body) = passkey_login(&app, &app.browser(), &mut phone).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert!(events(&app, "passkey_clone_suspected").is_empty());
}

async fn passkeys_need_a_named_host(backend: Backend) {
    let app = spawn!(backend, |s| s.public_url =
        Some("http://127.0.0.1:9/".parse().unwrap()));
    let alice = app.logged_in("alice").await;
    let (status, body) = post(&alice, "/api/passkeys/register/begin", &json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "passkeys_unavailable");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("IP address"),
        "{body}"
    );
    let (status, page) = alice.page("/account/passkeys").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("not an IP address"), "{page}");
    assert!(!page.contains("id=\"passkey-register\""));
    let (_, login) = app.browser().page("/auth/login").await;
    assert!(
        !login.contains("data-passkey-login"),
        "no button that cannot work"
    );
    let response = app
        .browser()
        .post_json("/api/login/passkey/begin", &json!({}))
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
}

async fn the_anonymous_begin_is_rate_limited(backend: Backend) {
    let app = spawn!(backend, |s| {
        s.rate_limit.enabled = true;
        s.rate_limit.login_per_ip.max = 3;
    });
    let browser = app.browser();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let response = browser
            .post_json("/api/login/passkey/begin", &json!({}))
            .await;
        statuses.push(response.status());
    }
    assert_eq!(&statuses[..3], &[StatusCode::OK; 3]);
    assert_eq!(statuses[4], StatusCode::TOO_MANY_REQUESTS);
}

async fn a_locked_or_deactivated_account_gets_nowhere_with_its_passkey(backend: Backend) {
    let app = spawn!(backend, |s| s.lockout.max_failures = 3);
    let alice = app.logged_in("alice").await;
    let mut device = SoftAuthenticator::new();
    add_passkey(&app, &alice, &mut device, "Laptop").await;
    // Someone guesses alice's password until the account locks.
    let guesser = app.browser();
    for _ in 0..3 {
        guesser
            .post_json(
                "/api/login",
                &json!({"username": "alice", "password": "not the password"}),
            )
            .await;
    }
    let browser = app.browser();
    let (status, body) = passkey_login(&app, &browser, &mut device).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(
        browser.get("/api/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert!(
        events(&app, "login_failed")
            .iter()
            .any(|e| e["detail"]["reason"] == "locked"),
        "the refusal is audited"
    );

    // Once the lock is over the passkey works; deactivated, it does not.
    app.clock.advance(time::Duration::hours(2));
    let (status, _) = passkey_login(&app, &app.browser(), &mut device).await;
    assert_eq!(status, StatusCode::OK);
    let admin = app.admin("root").await;
    let id = crate::admin::id_of(&admin, "alice").await;
    let (status, _) = crate::admin::call(
        &admin,
        reqwest::Method::POST,
        &format!("/api/admin/users/{id}/deactivate"),
        None,
    )
    .await;
    assert!(status.is_success(), "{status}");
    let (status, body) = passkey_login(&app, &app.browser(), &mut device).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "account_inactive");
}
