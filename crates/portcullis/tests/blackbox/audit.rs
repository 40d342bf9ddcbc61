//! The audit log: what is recorded, what never is, and who may read it.

use crate::common::{Backend, PASSWORD, on_both_backends, spawn};
use reqwest::StatusCode;
use serde_json::Value;

on_both_backends!(
    a_day_of_logins_leaves_the_expected_trail_and_no_secrets,
    control_characters_in_user_input_are_escaped,
    only_administrators_read_the_audit_api,
    the_audit_api_filters_and_paginates,
);

fn kinds(events: &Value) -> Vec<String> {
    events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_day_of_logins_leaves_the_expected_trail_and_no_secrets(backend: Backend) {
    let app = spawn!(backend);
    let browser = app.browser();
    browser
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    browser.login("alice", "wrong password").await;
    browser.login("ghost", "wrong password").await;
    browser.login("alice", PASSWORD).await;
    let session_cookie = browser.cookie("portcullis_session").unwrap();
    let csrf = browser.csrf_token("/").await;
    browser.logout().await;
    for _ in 0..5 {
        app.browser().login("alice", "wrong password").await;
    }

    let log = app.audit(&[]);
    let kinds = kinds(&log);
    for expected in [
        "registered",
        "login_failed",
        "login_succeeded",
        "logged_out",
        "locked_out",
    ] {
        assert!(
            kinds.contains(&expected.to_owned()),
            "{expected} missing from {kinds:?}"
        );
    }
    let reasons: Vec<&str> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "login_failed")
        .map(|e| e["detail"]["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons.contains(&"bad_password") && reasons.contains(&"unknown_user"),
        "{reasons:?}"
    );
    // Newest first.
    assert_eq!(log["events"][0]["kind"], "locked_out");
    let text = log.to_string();
    for secret in [
        PASSWORD,
        "wrong password",
        session_cookie.as_str(),
        csrf.as_str(),
        "argon2",
    ] {
        assert!(!text.contains(secret), "the audit log contains {secret:?}");
    }
}

async fn control_characters_in_user_input_are_escaped(backend: Backend) {
    let app = spawn!(backend);
    app.browser()
        .login("evil\r\n2026-01-01 login_succeeded admin", "x")
        .await;
    let log = app.audit(&["--type", "login_failed"]);
    let login = log["events"][0]["detail"]["login"].as_str().unwrap();
    assert!(!login.contains('\n') && !login.contains('\r'), "{login:?}");
    assert!(login.contains("\\r\\n"), "{login:?}");
    let out = crate::cli::portcullis(&app.db_url, &["audit", "list"], None);
    let table = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        table
            .lines()
            .filter(|l| l.contains("login_succeeded admin"))
            .count(),
        1,
        "one line, not a forged second one:\n{table}"
    );
}

async fn only_administrators_read_the_audit_api(backend: Backend) {
    let app = spawn!(backend);
    assert_eq!(
        app.browser().get("/api/admin/audit").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let user = app.logged_in("alice").await;
    let response = user.get("/api/admin/audit").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"]["code"],
        "forbidden"
    );
    let admin = app.admin("root").await;
    let response = admin.get("/api/admin/audit").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert!(body["total"].as_i64().unwrap() >= 4);
}

async fn the_audit_api_filters_and_paginates(backend: Backend) {
    let app = spawn!(backend);
    let admin = app.admin("root").await;
    let alice = app.logged_in("alice").await;
    alice.login("alice", "wrong password").await;
    app.browser().login("root", "wrong password").await;

    let get = |query: &'static str| {
        let admin = &admin;
        async move {
            let response = admin.get(&format!("/api/admin/audit?{query}")).await;
            (response.status(), response.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = get("user=alice&type=login_failed").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["total"], 1);
    assert_eq!(body["events"][0]["detail"]["reason"], "bad_password");

    let (_, all) = get("user=alice").await;
    // Registering also mails a confirmation link.
    assert_eq!(
        kinds(&all),
        [
            "login_failed",
            "login_succeeded",
            "confirmation_sent",
            "registered"
        ]
    );
    let (_, page) = get("user=alice&limit=1&offset=1").await;
    assert_eq!(kinds(&page), ["login_succeeded"]);
    assert_eq!(page["total"], 4);

    let (_, none) = get("since=2999-01-01T00:00:00Z").await;
    assert_eq!(none["total"], 0);
    let (_, until) = get("until=2000-01-01T00:00:00Z").await;
    assert_eq!(until["total"], 0);

    for bad in [
        "type=nonsense",
        "since=yesterday",
        "user=nobody",
        "limit=abc",
        "unknown=1",
    ] {
        let response = admin.get(&format!("/api/admin/audit?{bad}")).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert!(response.json::<Value>().await.unwrap()["error"]["message"].is_string());
    }
}
