//! Bad input gets a clear 4xx, as HTML on pages and JSON under /api; never a
//! 500 or a dropped connection. And the health endpoints.

use crate::common::{Backend, on_both_backends, spawn};
use reqwest::StatusCode;

on_both_backends!(
    unknown_pages_get_an_html_404_and_unknown_endpoints_a_json_one,
    malformed_json_wrong_content_types_and_oversized_bodies_are_client_errors,
    malformed_forms_are_client_errors,
    health_and_readiness_answer,
);

async fn unknown_pages_get_an_html_404_and_unknown_endpoints_a_json_one(backend: Backend) {
    let app = spawn!(backend);
    let browser = app.browser();
    let response = browser.get("/no/such/page").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(response.text().await.unwrap().contains("404"));

    let response = browser.get("/api/no/such/endpoint").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    assert!(body["error"]["message"].is_string());
    assert!(body["error"]["fields"].is_object());

    // A wrong method on a known route is a 405, in the route's style.
    let response = browser
        .client
        .delete(browser.url("/api/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}

async fn malformed_json_wrong_content_types_and_oversized_bodies_are_client_errors(
    backend: Backend,
) {
    let app = spawn!(backend);
    let client = &app.browser().client;
    let url = format!("{}/api/register", app.base);
    let send = |body: String, content_type: &'static str| {
        let request = client
            .post(&url)
            .header("content-type", content_type)
            .body(body);
        async move { request.send().await.unwrap() }
    };
    let cases = [
        (
            send("{not json".into(), "application/json").await,
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            send("[]".into(), "application/json").await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
        (
            send(r#"{"username": 5}"#.into(), "application/json").await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
        (
            send("username=a".into(), "text/plain").await,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            send(
                format!(r#"{{"username": "{}"}}"#, "a".repeat(200_000)),
                "application/json",
            )
            .await,
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
    ];
    for (response, status, code) in cases {
        assert_eq!(response.status(), status);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{body}");
    }
    // Validation errors name each field.
    let response = client
        .post(&url)
        .json(&serde_json::json!({"username": "x", "email": "nope", "password": "short"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "validation_failed");
    for field in ["username", "email", "password"] {
        assert!(
            body["error"]["fields"][field].is_string(),
            "{field}: {body}"
        );
    }
}

async fn malformed_forms_are_client_errors(backend: Backend) {
    let app = spawn!(backend);
    let browser = app.browser();
    let token = browser.csrf_token("/auth/login").await;
    // Oversized form: refused before any work.
    let big = "a".repeat(200_000);
    let response = browser
        .post_form("/auth/login", &[("csrf_token", &token), ("username", &big)])
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        response.headers()["connection"],
        "close",
        "the unread body must not poison the connection"
    );
    // A JSON body to a form route: CSRF cannot be read, so 403, not 500.
    let response = browser
        .client
        .post(browser.url("/auth/login"))
        .header("x-csrf-token", &token)
        .json(&serde_json::json!({"username": "a"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    // Invalid percent-encoding and missing fields are handled like empty input.
    let response = browser
        .client
        .post(browser.url("/auth/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf_token={token}&username=%ZZ&password"))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_client_error(), "{}", response.status());
}

async fn health_and_readiness_answer(backend: Backend) {
    let app = spawn!(backend);
    let browser = app.browser();
    assert_eq!(
        browser.page("/healthz").await,
        (StatusCode::OK, "ok".to_owned())
    );
    assert_eq!(
        browser.page("/readyz").await,
        (StatusCode::OK, "ready".to_owned())
    );
}
