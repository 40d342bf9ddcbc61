//! The JSON API: register, login, me, logout.

use crate::common::{Backend, PASSWORD, on_both_backends, set_cookies, spawn};
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(
    a_script_registers_logs_in_reads_itself_and_logs_out,
    api_conflicts_and_login_by_email,
);

async fn a_script_registers_logs_in_reads_itself_and_logs_out(backend: Backend) {
    let app = spawn!(backend);
    let client = app.browser();
    let response = client
        .post_json(
            "/api/register",
            &json!({"username": "alice", "email": "alice@example.com", "password": PASSWORD, "password_confirm": PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["user"]["username"], "alice");
    assert!(
        body["user"].get("password_hash").is_none(),
        "the hash never leaves the server"
    );
    assert!(!body.to_string().contains("argon2"));

    assert_eq!(
        client.get("/api/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let body: serde_json::Value = client.get("/api/me").await.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthenticated");

    let response = client
        .post_json(
            "/api/login",
            &json!({"username": "alice", "password": PASSWORD, "remember": true}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        set_cookies(&response)
            .iter()
            .any(|c| c.starts_with("portcullis_session=") && c.contains("HttpOnly"))
    );
    let login: serde_json::Value = response.json().await.unwrap();
    assert_eq!(login["user"]["email"], "alice@example.com");
    assert_eq!(login["roles"], json!([]));
    let token = login["csrf_token"].as_str().unwrap();
    assert!(token.len() >= 40);

    let me: serde_json::Value = client.get("/api/me").await.json().await.unwrap();
    assert_eq!(me["user"]["username"], "alice");
    assert_eq!(me["csrf_token"], token);

    let response = client
        .client
        .post(client.url("/api/logout"))
        .header("x-csrf-token", token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        client.get("/api/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Logging out without a session is a 401, not a 500.
    let response = client
        .client
        .post(client.url("/api/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

async fn api_conflicts_and_login_by_email(backend: Backend) {
    let app = spawn!(backend);
    let client = app.browser();
    let register = |username: &str, email: &str| json!({"username": username, "email": email, "password": PASSWORD});
    assert_eq!(
        client
            .post_json("/api/register", &register("alice", "alice@example.com"))
            .await
            .status(),
        StatusCode::CREATED
    );

    let response = client
        .post_json("/api/register", &register("ALICE", "new@example.com"))
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "conflict");
    assert!(body["error"]["fields"]["username"].is_string());

    let response = client
        .post_json("/api/register", &register("newbie", "Alice@Example.com"))
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["error"]["fields"]["email"].is_string());

    let response = client
        .post_json("/api/register", &json!({"username": "bob", "email": "b@example.com", "password": PASSWORD, "password_confirm": "other"}))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let response = client
        .post_json(
            "/api/login",
            &json!({"username": "ALICE@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}
