//! The OpenAPI description: served, complete, every operation mounted, and
//! its page readable offline under the strict content security policy.

use crate::common::{Backend, on_both_backends, spawn};
use reqwest::StatusCode;
use serde_json::Value;

on_both_backends!(
    every_described_operation_is_mounted_and_nothing_else_is,
    the_docs_page_names_every_operation_without_scripts_or_outside_resources,
);

/// A concrete path for a described one: `{id}` and friends filled in.
fn concrete(path: &str) -> String {
    path.replace("{id}", "1")
        .replace("{token}", "1")
        .replace("{name}", "admin")
        .replace("{role}", "admin")
        .replace("{action}", "unlock")
}

fn is_fallback(status: StatusCode, body: &Value) -> bool {
    status == StatusCode::METHOD_NOT_ALLOWED
        || (status == StatusCode::NOT_FOUND && body["error"]["message"] == "No such endpoint.")
}

async fn every_described_operation_is_mounted_and_nothing_else_is(backend: Backend) {
    let app = spawn!(backend);
    let anonymous = app.browser();
    let response = anonymous.get("/api/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    let mut probed = 0;
    for (path, item) in paths {
        let methods: Vec<&String> = item.as_object().unwrap().keys().collect();
        for method in &methods {
            let url = anonymous.url(&concrete(path));
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = anonymous
                .client
                .request(method.clone(), &url)
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            assert!(
                !is_fallback(status, &body),
                "{method} {path} is described but not mounted ({status})"
            );
            assert!(
                !status.is_server_error(),
                "{method} {path} answered {status}"
            );
            probed += 1;
        }
        // A method the description does not name is not mounted either.
        for method in ["put", "patch", "delete", "post", "get"] {
            if methods.iter().any(|m| *m == method) {
                continue;
            }
            let response = anonymous
                .client
                .request(
                    reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                    anonymous.url(&concrete(path)),
                )
                .send()
                .await
                .unwrap();
            let status = response.status();
            // `/admin/users/{id}/{action}` stands for the concrete paths
            // beside it, so only a method answer counts there.
            assert!(
                status == StatusCode::METHOD_NOT_ALLOWED || path.ends_with("{action}"),
                "{method} {path}: undescribed method answered {status}"
            );
        }
    }
    assert!(probed >= 45, "{probed}");
}

async fn the_docs_page_names_every_operation_without_scripts_or_outside_resources(
    backend: Backend,
) {
    let app = spawn!(backend);
    let anonymous = app.browser();
    let doc: Value = anonymous
        .get("/api/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    let response = anonymous.get("/api/docs").await;
    assert_eq!(response.status(), StatusCode::OK);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'self'") && !csp.contains("unsafe-inline"));
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    // minijinja escapes `/` in text; read the page as a browser shows it.
    let html = response.text().await.unwrap().replace("&#x2f;", "/");
    // Nothing the policy would block, nothing fetched from elsewhere.
    for blocked in [
        "<script",
        " style=",
        "src=\"http",
        "href=\"http",
        "url(",
        "data:",
    ] {
        assert!(!html.contains(blocked), "the page contains {blocked:?}");
    }
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let heading = format!(
                "<span class=\"api-method\">{}</span> <code>{path}</code>",
                method.to_uppercase()
            );
            assert!(
                html.contains(&heading),
                "{method} {path} missing from the page"
            );
        }
    }
    for scheme in ["session + CSRF header", "bearer token (me:read)"] {
        assert!(html.contains(scheme), "{scheme}");
    }
    assert!(html.contains("<h3 id=\"schema-Error\">"));
}
