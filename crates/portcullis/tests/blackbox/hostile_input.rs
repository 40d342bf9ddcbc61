//! Input built to break the backend rather than the rules: NUL bytes that
//! PostgreSQL cannot store, timestamps past what it can hold, malformed path
//! parameters, a handler that panics, forwarding headers with junk in them.
//! Each gets a clear 4xx (or, for the panic, a 500 that still carries every
//! security header), never a bare 500.

use crate::admin::call;
use crate::common::{Backend, Browser, PASSWORD, TestApp, on_both_backends, spawn, test_settings};
use axum::Router;
use axum::routing::get;
use portcullis::settings::LimitSettings;
use portcullis_axum::{Portcullis, WebConfig};
use portcullis_core::ManualClock;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration as StdDuration;

on_both_backends!(
    nul_bytes_in_logins_searches_and_role_names_are_client_errors,
    timestamps_the_database_cannot_hold_are_refused,
    malformed_path_parameters_under_api_answer_json,
    even_a_panic_answers_with_the_security_headers,
    junk_in_forwarded_for_does_not_lump_clients_together,
);

fn is_client_error(status: StatusCode, what: &str) {
    assert!(status.is_client_error(), "{what}: {status}");
}

async fn nul_bytes_in_logins_searches_and_role_names_are_client_errors(backend: Backend) {
    let app = spawn!(backend);
    let root = app.admin("root").await;
    // Logging in as a name with a NUL: the generic failure, page and API.
    let browser = app.browser();
    let page = browser.login("ro\u{0}ot", PASSWORD).await;
    assert_eq!(page.status(), StatusCode::UNAUTHORIZED);
    let api = app
        .browser()
        .post_json(
            "/api/login",
            &json!({"username": "ro\u{0}ot", "password": PASSWORD}),
        )
        .await;
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        api.json::<Value>().await.unwrap()["error"]["code"],
        "invalid_credentials"
    );
    for (method, path, body) in [
        (Method::GET, "/api/admin/users?q=a%00b".to_owned(), None),
        (Method::GET, "/api/admin/users?role=a%00b".to_owned(), None),
        (Method::GET, "/api/admin/roles/a%00b".to_owned(), None),
        (Method::DELETE, "/api/admin/roles/a%00b".to_owned(), None),
        (
            Method::PATCH,
            "/api/admin/roles/a%00b".to_owned(),
            Some(json!({"description": "x"})),
        ),
        (
            Method::POST,
            "/api/admin/roles".to_owned(),
            Some(json!({"name": "clerk", "description": "a\u{0}b"})),
        ),
        (
            Method::POST,
            "/api/admin/roles".to_owned(),
            Some(json!({"name": "a\u{0}b"})),
        ),
        (
            Method::POST,
            "/api/admin/users/1/roles".to_owned(),
            Some(json!({"role": "ad\u{0}min"})),
        ),
        (
            Method::POST,
            "/api/admin/users".to_owned(),
            Some(
                json!({"username": "x1x", "email": "x@example.com", "password": PASSWORD,
                        "roles": ["a\u{0}b"]}),
            ),
        ),
        (Method::GET, "/api/admin/audit?user=a%00b".to_owned(), None),
        (
            Method::POST,
            "/api/forgot-password".to_owned(),
            Some(json!({"email": "a\u{0}b@example.com"})),
        ),
    ] {
        let (status, answer) = call(&root, method.clone(), &path, body).await;
        is_client_error(status, &format!("{method} {path}"));
        assert!(
            answer["error"]["code"].is_string(),
            "{method} {path}: {answer}"
        );
    }
    let (status, _) = root.page("/admin/users?q=a%00b").await;
    is_client_error(status, "admin page search");
    let (status, _) = root.page("/admin/roles/a%00b").await;
    is_client_error(status, "admin role page");
}

async fn timestamps_the_database_cannot_hold_are_refused(backend: Backend) {
    let app = spawn!(backend);
    let root = app.admin("root").await;
    for since in [
        "9999-12-31T23:59:59-23:59",
        "0000-01-01T00:00:00%2B23:00",
        "not-a-time",
    ] {
        let (status, body) = call(
            &root,
            Method::GET,
            &format!("/api/admin/audit?since={since}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{since}: {body}");
        assert!(body["error"]["fields"]["since"].is_string());
    }
    let (status, _) = call(
        &root,
        Method::GET,
        "/api/admin/audit?until=9999-12-31T23:59:59-23:59",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // The server is still fine.
    let (status, _) = call(&root, Method::GET, "/api/admin/audit", None).await;
    assert_eq!(status, StatusCode::OK);
}

async fn malformed_path_parameters_under_api_answer_json(backend: Backend) {
    let app = spawn!(backend);
    let root = app.admin("root").await;
    for (method, path) in [
        (Method::GET, "/api/admin/users/abc"),
        (Method::GET, "/api/admin/users/99999999999999999999999"),
        (Method::POST, "/api/admin/users/1.5/deactivate"),
        (Method::DELETE, "/api/sessions/abc"),
    ] {
        let (status, body) = call(&root, method.clone(), path, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {path}");
        assert_eq!(
            body["error"]["code"], "invalid_request",
            "{method} {path}: {body}"
        );
    }
    // The same mistake on a page is a page that does not exist.
    let (status, html) = root.page("/admin/users/abc").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("<html"), "an HTML page");
}

async fn even_a_panic_answers_with_the_security_headers(backend: Backend) {
    let base = spawn!(backend);
    let settings = test_settings(&base.db_url);
    let services = portcullis::Services::open(&settings, Arc::new(ManualClock::starting_now()))
        .await
        .unwrap();
    let config = WebConfig::new(
        "http://127.0.0.1/".parse().unwrap(),
        b"an embedding app's own secret, 32+ bytes".to_vec(),
    );
    let portcullis = Portcullis::new(services.auth.clone(), config).unwrap();
    #[allow(clippy::unreachable)]
    async fn boom() -> &'static str {
        panic!("a bug in the application")
    }
    let app = portcullis.wrap(
        Router::new()
            .route("/boom", get(boom))
            .route("/api/boom", get(boom))
            .merge(portcullis.routes()),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let browser = Browser::new(&url);
    for path in ["/boom", "/api/boom"] {
        let response = browser.get(path).await;
        assert_eq!(
            response.status(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "{path}"
        );
        let headers = response.headers();
        for name in [
            "content-security-policy",
            "x-content-type-options",
            "x-frame-options",
        ] {
            assert!(headers.contains_key(name), "{path} lacks {name}");
        }
        assert_eq!(headers["cache-control"], "no-store", "{path}");
        let body = response.text().await.unwrap();
        assert!(
            !body.contains("a bug in the application"),
            "no detail leaks"
        );
    }
}

async fn junk_in_forwarded_for_does_not_lump_clients_together(backend: Backend) {
    let app: TestApp = spawn!(backend, |s| {
        s.rate_limit.enabled = true;
        s.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
        s.rate_limit.login_per_ip = LimitSettings {
            max: 2,
            window: StdDuration::from_secs(300),
        };
    });
    // Each client sent junk of its own; the proxy appended its real address.
    let first = app.browser_from("nonsense, 203.0.113.1");
    let second = app.browser_from("<junk>, 203.0.113.2");
    for _ in 0..2 {
        assert_eq!(
            first.login("nobody", "wrong password").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        first.login("nobody", "wrong password").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        second.login("nobody", "wrong password").await.status(),
        StatusCode::UNAUTHORIZED,
        "another client behind the same proxy is not limited with the first"
    );
    let log = app.audit(&["--type", "login_failed"]);
    let ips: Vec<&str> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["ip"].as_str())
        .collect();
    assert!(
        ips.contains(&"203.0.113.1") && ips.contains(&"203.0.113.2"),
        "{ips:?}"
    );
}
