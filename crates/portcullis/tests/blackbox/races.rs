//! Rules that must hold under concurrent requests: two administrators
//! acting on each other at the same instant, a burst of parallel password
//! guesses, and a use case that fails halfway.

use crate::admin::{call, id_of};
use crate::common::{Backend, Browser, PASSWORD, TestApp, on_both_backends, spawn};
use portcullis::settings::LimitSettings;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration as StdDuration;

on_both_backends!(
    two_admins_deactivating_each_other_at_once_leave_one_active_admin,
    two_admins_demoting_each_other_at_once_leave_one_admin,
    two_admins_deleting_each_other_at_once_leave_one_admin,
    parallel_wrong_guesses_get_no_more_verifications_than_the_lockout_allows,
    a_right_password_racing_wrong_ones_cannot_clear_the_lock,
    successful_logins_do_not_use_up_the_per_account_limit,
    an_email_change_that_fails_halfway_leaves_its_link_usable,
);

/// Rounds per race: enough that an unguarded check-then-write loses at
/// least once in practice (it did about one time in seven).
const ROUNDS: usize = 10;

/// Two fresh administrators, the only active ones.
async fn two_admins(app: &TestApp, round: usize) -> (Browser, Browser) {
    let (a, b) = (format!("alpha{round}"), format!("bravo{round}"));
    let first = app.admin(&a).await;
    let second = app.admin(&b).await;
    app.sql(&format!(
        "UPDATE users SET is_active = false WHERE username NOT IN ('{a}', '{b}')"
    ))
    .await;
    (first, second)
}

/// Active holders of `admin`, as `portcullis users list` sees them.
fn active_admins(app: &TestApp) -> usize {
    let out = crate::cli::portcullis(&app.db_url, &["users", "list", "--json"], None);
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    listed["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| {
            u["is_active"] == true && u["roles"].as_array().unwrap().contains(&json!("admin"))
        })
        .count()
}

/// Each of `a` and `b` does `action` to the other, at the same instant;
/// returns how many succeeded.
async fn race(round: usize, a: &Browser, b: &Browser, action: &str) -> usize {
    let a_id = id_of(a, &format!("alpha{round}")).await;
    let b_id = id_of(a, &format!("bravo{round}")).await;
    let path = |target: i64| match action {
        "deactivate" => (
            Method::POST,
            format!("/api/admin/users/{target}/deactivate"),
        ),
        "demote" => (
            Method::DELETE,
            format!("/api/admin/users/{target}/roles/admin"),
        ),
        _ => (Method::DELETE, format!("/api/admin/users/{target}")),
    };
    // Both requests are ready, CSRF tokens included, before either is sent.
    let mut requests = Vec::new();
    for (who, target) in [(a, b_id), (b, a_id)] {
        let (method, path) = path(target);
        requests.push(
            who.client
                .request(method, who.url(&path))
                .header("x-csrf-token", crate::admin::csrf(who).await)
                .send(),
        );
    }
    let second = requests.pop().unwrap();
    let first = requests.pop().unwrap();
    let (first, second) = tokio::join!(first, second);
    [first.unwrap().status(), second.unwrap().status()]
        .iter()
        .filter(|s| s.is_success())
        .count()
}

async fn mutual(backend: Backend, action: &str) {
    let app = spawn!(backend);
    for round in 0..ROUNDS {
        let (a, b) = two_admins(&app, round).await;
        let succeeded = race(round, &a, &b, action).await;
        assert_eq!(succeeded, 1, "round {round}: exactly one {action} may win");
        assert_eq!(
            active_admins(&app),
            1,
            "round {round}: one active administrator remains"
        );
    }
}

async fn two_admins_deactivating_each_other_at_once_leave_one_active_admin(backend: Backend) {
    mutual(backend, "deactivate").await;
}

async fn two_admins_demoting_each_other_at_once_leave_one_admin(backend: Backend) {
    mutual(backend, "demote").await;
}

async fn two_admins_deleting_each_other_at_once_leave_one_admin(backend: Backend) {
    mutual(backend, "delete").await;
}

/// Logs `login` in with `password` through the API from a fresh client.
async fn api_login(app: &TestApp, login: &str, password: &str) -> StatusCode {
    app.browser()
        .post_json(
            "/api/login",
            &json!({"username": login, "password": password}),
        )
        .await
        .status()
}

async fn parallel_wrong_guesses_get_no_more_verifications_than_the_lockout_allows(
    backend: Backend,
) {
    let app = spawn!(backend);
    app.browser()
        .register("lockme", "LockMe@Example.com", PASSWORD)
        .await;
    let guesses = (0..20)
        .map(|i| {
            let login = if i % 2 == 0 {
                "lockme"
            } else {
                "LockMe@Example.com"
            };
            (login, "wrong password")
        })
        .collect();
    let answers = all_at_once(&app, guesses).await;
    assert!(
        answers.iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{answers:?}"
    );
    // Only as many guesses as the lockout allows were checked; the rest were
    // refused as if locked, without a verdict on the password.
    let log = app.audit(&["--type", "login_failed"]);
    let checked = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["detail"]["reason"] == "bad_password")
        .count();
    assert!(checked <= 5, "{checked} guesses were checked");
    assert_eq!(log["total"], 20);
    assert_eq!(
        api_login(&app, "lockme", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "locked: the right password fails"
    );
}

async fn a_right_password_racing_wrong_ones_cannot_clear_the_lock(backend: Backend) {
    let app = spawn!(backend);
    app.browser()
        .register("lockme", "LockMe@Example.com", PASSWORD)
        .await;
    for round in 0..3 {
        app.sql("UPDATE users SET failed_logins = 0, locked_until = NULL")
            .await;
        let attempts = (0..20)
            .map(|i| ("lockme", if i == 19 { PASSWORD } else { "wrong password" }))
            .collect();
        all_at_once(&app, attempts).await;
        assert_eq!(
            api_login(&app, "lockme", PASSWORD).await,
            StatusCode::UNAUTHORIZED,
            "round {round}: the burst locked the account, whatever the right guess did"
        );
    }
}

async fn successful_logins_do_not_use_up_the_per_account_limit(backend: Backend) {
    let app = spawn!(backend, |s| {
        s.rate_limit.enabled = true;
        s.rate_limit.login_per_account = LimitSettings {
            max: 3,
            window: StdDuration::from_secs(300),
        };
        s.rate_limit.login_per_ip = LimitSettings {
            max: 100,
            window: StdDuration::from_secs(300),
        };
    });
    app.browser()
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    for i in 0..8 {
        assert_eq!(
            api_login(&app, "alice", PASSWORD).await,
            StatusCode::OK,
            "login {i}: a person logging in is not guessing"
        );
    }
    // Guesses still count: three, then the limit.
    for _ in 0..3 {
        assert_eq!(
            api_login(&app, "alice", "wrong password").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        api_login(&app, "alice", "wrong password").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn an_email_change_that_fails_halfway_leaves_its_link_usable(backend: Backend) {
    let app = spawn!(backend);
    let alice = app.logged_in("alice").await;
    let response = alice
        .submit(
            "/auth/change-email",
            "/auth/change-email",
            &[("email", "new@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let link = app
        .mail
        .wait_for("new@example.com", 1)
        .await
        .path("/auth/change-email/");
    // Before Alice follows it, Bob takes the address.
    let bob = app.browser();
    bob.register("bob", "new@example.com", PASSWORD).await;
    let token = alice.csrf_token(&link).await;
    let response = alice.post_form(&link, &[("csrf_token", &token)]).await;
    assert_eq!(
        response.status(),
        StatusCode::CONFLICT,
        "the address is taken"
    );
    // The failed switch changed nothing, the link included: once the
    // address is free again, it works.
    let root = app.admin("root").await;
    let bob_id = id_of(&root, "bob").await;
    let (status, _) = call(
        &root,
        Method::DELETE,
        &format!("/api/admin/users/{bob_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let response = alice.post_form(&link, &[("csrf_token", &token)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let me: serde_json::Value = alice.get("/api/me").await.json().await.unwrap();
    assert_eq!(me["user"]["email"], "new@example.com");
}

/// Runs every login at once, each from its own client, and collects the
/// answers in order.
async fn all_at_once(app: &TestApp, attempts: Vec<(&str, &str)>) -> Vec<StatusCode> {
    let tasks: Vec<_> = attempts
        .into_iter()
        .map(|(login, password)| {
            let browser = app.browser();
            let body = json!({"username": login, "password": password});
            tokio::spawn(async move { browser.post_json("/api/login", &body).await.status() })
        })
        .collect();
    let mut answers = Vec::with_capacity(tasks.len());
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}
