//! API tokens, tried as the tutorial's script would use them and as an
//! attacker would: a revoked token, an expired one, a mistyped one, a token
//! with fewer scopes than it needs, a token after its role was taken away,
//! a token of a deactivated account, cookie and bearer together, CSRF with
//! and without a token.

use crate::admin::{call, csrf, id_of};
use crate::common::{Backend, Browser, PASSWORD, TestApp, on_both_backends, spawn};
use crate::totp::code;
use portcullis_core::Clock as _;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::Duration;

on_both_backends!(
    the_tutorials_token_flow_works_and_a_revoked_token_is_refused_and_recorded,
    a_token_login_has_the_logins_lockout_and_answers,
    an_account_with_a_second_factor_sends_it_as_otp_and_a_code_works_once,
    malformed_unknown_and_expired_tokens_get_invalid_token,
    a_bearer_token_wins_over_cookies_and_never_falls_back_to_them,
    csrf_is_not_needed_with_a_bearer_token_and_still_needed_with_a_cookie,
    personal_tokens_are_made_after_a_recent_login_shown_once_and_revoked_by_their_owner,
    a_token_does_what_its_scopes_allow_and_makes_no_wider_token,
    taking_a_role_away_takes_it_from_the_owners_tokens_at_the_next_request,
    tokens_of_a_deactivated_or_deleted_account_stop_at_once,
    a_password_change_ends_login_tokens_and_a_reset_ends_every_token,
);

/// A script: no cookies, a bearer token.
pub(crate) struct Script {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Script {
    pub(crate) fn new(app: &TestApp, token: &str) -> Self {
        Self {
            client: crate::common::http_client().build().unwrap(),
            base: app.base.clone(),
            token: token.to_owned(),
        }
    }

    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        (
            status,
            headers,
            serde_json::from_str(&text).unwrap_or(Value::Null),
        )
    }

    pub(crate) async fn get(&self, path: &str) -> (StatusCode, Value) {
        let (status, _, body) = self.send(Method::GET, path, None).await;
        (status, body)
    }
}

/// `POST /api/token` as the tutorial's client sends it.
pub(crate) async fn token_login(app: &TestApp, body: Value) -> (StatusCode, Value) {
    let response = crate::common::http_client()
        .build()
        .unwrap()
        .post(format!("{}/api/token", app.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A login token for `username` (registered with [`PASSWORD`]).
pub(crate) async fn login_token(app: &TestApp, username: &str) -> String {
    let (status, body) =
        token_login(app, json!({"username": username, "password": PASSWORD})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

/// A personal token made through `browser`'s (recent) session.
pub(crate) async fn personal_token(browser: &Browser, scopes: &[&str]) -> (i64, String) {
    let (status, body) = call(
        browser,
        Method::POST,
        "/api/tokens",
        Some(json!({"name": "script", "scopes": scopes})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (
        body["id"].as_i64().unwrap(),
        body["token"].as_str().unwrap().to_owned(),
    )
}

fn challenge(headers: &reqwest::header::HeaderMap) -> String {
    headers
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

async fn the_tutorials_token_flow_works_and_a_revoked_token_is_refused_and_recorded(
    backend: Backend,
) {
    let app = spawn!(backend);
    app.logged_in("alice").await;
    let (status, body) =
        token_login(&app, json!({"username": "alice", "password": PASSWORD})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 86_400);
    let token = body["token"].as_str().unwrap();
    assert!(token.starts_with("pcl_") && token.len() == 53, "{token}");

    let script = Script::new(&app, token);
    let (status, me) = script.get("/api/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["user"]["username"], "alice");
    assert_eq!(me["csrf_token"], Value::Null);
    // Only the hash is stored.
    let stored = app.query_text("SELECT token_hash FROM api_tokens").await;
    assert_eq!(stored.len(), 64);
    assert!(!stored.contains(&token[4..20]));

    let (status, _, _) = script.send(Method::DELETE, "/api/token", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for _ in 0..3 {
        let (status, headers, body) = script.send(Method::GET, "/api/me", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["error"]["code"], "invalid_token");
        assert_eq!(challenge(&headers), "Bearer error=\"invalid_token\"");
    }
    // Recorded once (not once per retry), and never with the token.
    let used = app.audit(&["--type", "token_used_after_revocation"]);
    assert_eq!(used["events"].as_array().unwrap().len(), 1, "{used}");
    let all = app.audit(&[]).to_string();
    assert!(!all.contains(&token[4..]), "a token in the audit log");
    for kind in ["token_created", "token_revoked"] {
        let events = app.audit(&["--type", kind]);
        assert_eq!(events["events"].as_array().unwrap().len(), 1, "{kind}");
    }
}

async fn a_token_login_has_the_logins_lockout_and_answers(backend: Backend) {
    let app = spawn!(backend);
    app.logged_in("alice").await;
    let (status, body) = token_login(&app, json!({"username": "alice", "password": "wrong"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "invalid_credentials");
    let (status, unknown) = token_login(&app, json!({"username": "nobody", "password": "x"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown["error"], body["error"], "unknown and wrong alike");
    for _ in 0..5 {
        token_login(&app, json!({"username": "alice", "password": "wrong"})).await;
    }
    // Locked: the right password gets nowhere, by token or by page.
    let (status, body) =
        token_login(&app, json!({"username": "alice", "password": PASSWORD})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "invalid_credentials");
    assert_eq!(
        app.browser().login("alice", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED,
        "the login page refuses too"
    );
    // Malformed bodies are 4xx.
    for bad in [
        json!({"username": "alice"}),
        json!([1, 2]),
        json!({"username": 1}),
    ] {
        let (status, _) = token_login(&app, bad).await;
        assert!(status.is_client_error(), "{status}");
    }
}

async fn an_account_with_a_second_factor_sends_it_as_otp_and_a_code_works_once(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let (secret, recovery) = crate::two_factor::enrol(&app, &alice).await;
    let (status, body) =
        token_login(&app, json!({"username": "alice", "password": PASSWORD})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "two_factor_required");
    let now = app.clock.now().unix_timestamp();
    let current = code(&secret, now);
    let (status, body) = token_login(
        &app,
        json!({"username": "alice", "password": PASSWORD, "otp": "000000"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "invalid_code");
    let with = |otp: &str| json!({"username": "alice", "password": PASSWORD, "otp": otp});
    let (status, body) = token_login(&app, with(&current)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The same code again (a replay) is refused, on the token path too.
    let (status, body) = token_login(&app, with(&current)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "invalid_code");
    // A recovery code works once.
    let (status, _) = token_login(&app, with(&recovery[0])).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = token_login(&app, with(&recovery[0])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A wrong password with a right code is still a wrong password.
    app.clock.advance(Duration::seconds(30));
    let fresh = code(&secret, app.clock.now().unix_timestamp());
    let (status, body) = token_login(
        &app,
        json!({"username": "alice", "password": "wrong", "otp": fresh}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "invalid_credentials");
}

async fn malformed_unknown_and_expired_tokens_get_invalid_token(backend: Backend) {
    let app = spawn!(backend);
    app.logged_in("alice").await;
    let token = login_token(&app, "alice").await;
    let mut typo = token.clone();
    let last = typo.pop().unwrap();
    typo.push(if last == 'x' { 'y' } else { 'x' });
    let unknown = portcullis_core::token::ApiTokenSecret::generate();
    let session_shaped = portcullis_core::SecretToken::generate();
    for bad in [
        "",
        "pcl_",
        "not a token",
        typo.as_str(),
        unknown.expose(),
        session_shaped.expose(),
        &"a".repeat(5000),
    ] {
        let (status, headers, body) = Script::new(&app, bad)
            .send(Method::GET, "/api/me", None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad:?}");
        assert_eq!(body["error"]["code"], "invalid_token", "{bad:?}");
        assert!(challenge(&headers).contains("invalid_token"));
    }
    // Whatever the route: a page, a public route, an unknown one.
    for path in ["/", "/healthz", "/api/nothing-here"] {
        let (status, _) = Script::new(&app, unknown.expose()).get(path).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let script = Script::new(&app, &token);
    assert_eq!(script.get("/api/me").await.0, StatusCode::OK);
    app.clock.advance(Duration::days(1) + Duration::seconds(1));
    assert_eq!(script.get("/api/me").await.0, StatusCode::UNAUTHORIZED);
}

async fn a_bearer_token_wins_over_cookies_and_never_falls_back_to_them(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    app.logged_in("bob").await;
    let bob = login_token(&app, "bob").await;
    let me = |token: String| {
        let alice = &alice;
        async move {
            let response = alice
                .client
                .get(alice.url("/api/me"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    // Alice's cookie and Bob's token: the request is Bob's.
    let (status, body) = me(bob.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["user"]["username"], "bob");
    // A bad token with a good cookie is refused, not served as Alice.
    let (status, body) = me(format!("{bob}x")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "invalid_token");
    // The cookie alone still works, and the token request left it alone.
    let (status, body) = call(&alice, Method::GET, "/api/me", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["user"]["username"], "alice");
}

async fn csrf_is_not_needed_with_a_bearer_token_and_still_needed_with_a_cookie(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let token = login_token(&app, "alice").await;
    let body = json!({"name": "from a script", "scopes": ["me:read"]});
    let (status, _, created) = Script::new(&app, &token)
        .send(Method::POST, "/api/tokens", Some(body.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    // The browser's cookie without the CSRF token is refused...
    let response = alice.post_json("/api/tokens", &body).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // ...and with a wrong one.
    let response = alice.post_json_with("/api/tokens", "wrong", &body).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = alice
        .post_json_with("/api/tokens", &csrf(&alice).await, &body)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

async fn personal_tokens_are_made_after_a_recent_login_shown_once_and_revoked_by_their_owner(
    backend: Backend,
) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let bob = app.logged_in("bob").await;
    let (id, secret) = personal_token(&alice, &["me:read"]).await;
    let (status, listed) = call(&alice, Method::GET, "/api/tokens", None).await;
    assert_eq!(status, StatusCode::OK);
    let tokens = listed["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0]["id"], id);
    assert_eq!(tokens[0]["scopes"], json!(["me:read"]));
    assert_eq!(tokens[0]["last_used_at"], Value::Null);
    assert!(
        !listed.to_string().contains(&secret[4..]),
        "the secret is shown once"
    );
    // Ninety days unless asked otherwise.
    let created = time::OffsetDateTime::parse(
        tokens[0]["created_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let expires = time::OffsetDateTime::parse(
        tokens[0]["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(expires - created, Duration::days(90));

    // A use is noted, with where it came from.
    assert_eq!(
        Script::new(&app, &secret).get("/api/me").await.0,
        StatusCode::OK
    );
    let (_, listed) = call(&alice, Method::GET, "/api/tokens", None).await;
    assert_ne!(listed["tokens"][0]["last_used_at"], Value::Null);
    assert_eq!(listed["tokens"][0]["last_used_ip"], "127.0.0.1");

    // Lifetimes past the maximum, and "never", are refused by default.
    for expires_in in [
        json!(367 * 86_400),
        json!("never"),
        json!(0),
        json!(-5),
        json!("soon"),
    ] {
        let (status, body) = call(
            &alice,
            Method::POST,
            "/api/tokens",
            Some(json!({"name": "x", "scopes": ["me:read"], "expires_in": expires_in})),
        )
        .await;
        assert!(status.is_client_error(), "{expires_in}: {status} {body}");
    }

    // Bob cannot see or revoke Alice's token.
    let (status, _) = call(&bob, Method::DELETE, &format!("/api/tokens/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, theirs) = call(&bob, Method::GET, "/api/tokens", None).await;
    assert_eq!(theirs["tokens"], json!([]));

    // Half an hour after the login, a new token needs the password again.
    app.clock.advance(Duration::minutes(20));
    let (status, body) = call(
        &alice,
        Method::POST,
        "/api/tokens",
        Some(json!({"name": "late", "scopes": ["me:read"]})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "reauthentication_required");
    let (status, _) = call(
        &alice,
        Method::POST,
        "/api/reauthenticate",
        Some(json!({"password": PASSWORD})),
    )
    .await;
    assert!(status.is_success(), "{status}");
    personal_token(&alice, &["me:read"]).await;

    let (status, _) = call(&alice, Method::DELETE, &format!("/api/tokens/{id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        Script::new(&app, &secret).get("/api/me").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = call(&alice, Method::DELETE, "/api/tokens", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["revoked"], 1);
}

async fn a_token_does_what_its_scopes_allow_and_makes_no_wider_token(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let (_, reader) = personal_token(&alice, &["me:read"]).await;
    let reader = Script::new(&app, &reader);
    assert_eq!(reader.get("/api/me").await.0, StatusCode::OK);
    for path in ["/api/sessions", "/api/tokens"] {
        let (status, headers, body) = reader.send(Method::GET, path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(body["error"]["code"], "insufficient_scope");
        assert!(challenge(&headers).contains("insufficient_scope"), "{path}");
    }
    // Credentials are a browser's business, whatever the scopes.
    let (_, full) = personal_token(&alice, &["me:read", "me:sessions", "me:tokens"]).await;
    let full = Script::new(&app, &full);
    for (path, body) in [
        (
            "/api/change-password",
            json!({"current_password": PASSWORD, "new_password": "x y z w v u t", "confirm_password": "x y z w v u t"}),
        ),
        ("/api/2fa/setup", json!({})),
        ("/api/reauthenticate", json!({"password": PASSWORD})),
    ] {
        let (status, _, answer) = full.send(Method::POST, path, Some(body)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(answer["error"]["code"], "session_required", "{path}");
    }
    // A token makes tokens only within its own scopes.
    let (_, minter) = personal_token(&alice, &["me:tokens"]).await;
    let minter = Script::new(&app, &minter);
    let (status, _, body) = minter
        .send(
            Method::POST,
            "/api/tokens",
            Some(json!({"name": "wider", "scopes": ["me:tokens", "me:read"]})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _, _) = minter
        .send(
            Method::POST,
            "/api/tokens",
            Some(json!({"name": "same", "scopes": ["me:tokens"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // A permission the owner does not hold is no scope to ask for.
    let (status, body) = call(
        &alice,
        Method::POST,
        "/api/tokens",
        Some(json!({"name": "grab", "scopes": ["users:manage"]})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["fields"]["scopes"]
            .as_str()
            .unwrap()
            .contains("users:manage")
    );
    for scopes in [json!([]), json!(["Not A Scope"]), json!(["me:read\u{0}"])] {
        let (status, _) = call(
            &alice,
            Method::POST,
            "/api/tokens",
            Some(json!({"name": "x", "scopes": scopes})),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{scopes}");
    }
}

async fn taking_a_role_away_takes_it_from_the_owners_tokens_at_the_next_request(backend: Backend) {
    let app = spawn!(backend);
    let root = app.admin("root").await;
    let (status, _) = call(
        &root,
        Method::POST,
        "/api/admin/roles",
        Some(json!({"name": "auditor", "permissions": ["audit:read"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let alice = app.logged_in("alice").await;
    let alice_id = id_of(&root, "alice").await;
    let (status, _) = call(
        &root,
        Method::POST,
        &format!("/api/admin/users/{alice_id}/roles"),
        Some(json!({"role": "auditor"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, scoped) = personal_token(&alice, &["audit:read"]).await;
    let (_, unscoped) = personal_token(&alice, &["me:read"]).await;
    let login = login_token(&app, "alice").await;
    let scoped = Script::new(&app, &scoped);
    assert_eq!(scoped.get("/api/admin/audit").await.0, StatusCode::OK);
    assert_eq!(
        Script::new(&app, &login).get("/api/admin/audit").await.0,
        StatusCode::OK
    );
    // The role is Alice's, but this token does not carry it.
    let (status, headers, _) = Script::new(&app, &unscoped)
        .send(Method::GET, "/api/admin/audit", None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(challenge(&headers).contains("scope=\"audit:read\""));

    let (status, _) = call(
        &root,
        Method::DELETE,
        &format!("/api/admin/users/{alice_id}/roles/auditor"),
        None,
    )
    .await;
    assert!(status.is_success(), "{status}");
    let (status, body) = scoped.get("/api/admin/audit").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "insufficient_scope");
    assert_eq!(
        Script::new(&app, &login).get("/api/admin/audit").await.0,
        StatusCode::FORBIDDEN
    );
}

async fn tokens_of_a_deactivated_or_deleted_account_stop_at_once(backend: Backend) {
    let app = spawn!(backend);
    let root = app.admin("root").await;
    app.logged_in("alice").await;
    let alice_id = id_of(&root, "alice").await;
    let token = login_token(&app, "alice").await;
    let script = Script::new(&app, &token);
    assert_eq!(script.get("/api/me").await.0, StatusCode::OK);
    let (status, _) = call(
        &root,
        Method::POST,
        &format!("/api/admin/users/{alice_id}/deactivate"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(script.get("/api/me").await.0, StatusCode::UNAUTHORIZED);
    // Active again: the token was never revoked, so it works again.
    call(
        &root,
        Method::POST,
        &format!("/api/admin/users/{alice_id}/activate"),
        None,
    )
    .await;
    assert_eq!(script.get("/api/me").await.0, StatusCode::OK);
    let (status, _) = call(
        &root,
        Method::DELETE,
        &format!("/api/admin/users/{alice_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(script.get("/api/me").await.0, StatusCode::UNAUTHORIZED);
}

async fn a_password_change_ends_login_tokens_and_a_reset_ends_every_token(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let login = login_token(&app, "alice").await;
    let (_, named) = personal_token(&alice, &["me:read"]).await;
    let new_password = "a whole new passphrase 42";
    let (status, body) = call(
        &alice,
        Method::POST,
        "/api/change-password",
        Some(json!({"current_password": PASSWORD, "new_password": new_password, "confirm_password": new_password})),
    )
    .await;
    assert!(status.is_success(), "{status} {body}");
    assert_eq!(
        Script::new(&app, &login).get("/api/me").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        Script::new(&app, &named).get("/api/me").await.0,
        StatusCode::OK
    );

    // A reset may follow a compromise: every token goes.
    let asked = app
        .browser()
        .post_json(
            "/api/forgot-password",
            &json!({"email": "alice@example.com"}),
        )
        .await;
    assert_eq!(asked.status(), StatusCode::ACCEPTED);
    let link = app
        .mail
        .wait_for_subject("alice@example.com", "Reset your password", 1)
        .await
        .token("/auth/reset-password/");
    let done = app
        .browser()
        .post_json(
            "/api/reset-password",
            &json!({"token": link, "password": "yet another passphrase 7"}),
        )
        .await;
    assert!(done.status().is_success(), "{}", done.status());
    assert_eq!(
        Script::new(&app, &named).get("/api/me").await.0,
        StatusCode::UNAUTHORIZED
    );
    let revoked = app.audit(&["--type", "token_revoked"]);
    let reasons: Vec<&str> = revoked["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"]["reason"].as_str().unwrap_or(""))
        .collect();
    assert!(reasons.contains(&"password_reset"), "{revoked}");
    assert!(reasons.contains(&"password_changed"), "{revoked}");
}
