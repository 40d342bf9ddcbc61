//! Security headers on every response.

use crate::common::{Backend, on_both_backends, spawn};

on_both_backends!(
    every_response_carries_the_security_headers,
    authenticated_and_auth_form_responses_are_not_cached,
);

async fn every_response_carries_the_security_headers(backend: Backend) {
    let app = spawn!(backend);
    let browser = app.logged_in("alice").await;
    for path in [
        "/",
        "/auth/login",
        "/profile",
        "/api/me",
        "/nowhere",
        "/api/nowhere",
        "/healthz",
        "/static/app.css",
    ] {
        let response = browser.get(path).await;
        let h = response.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        for directive in [
            "default-src 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
            "base-uri 'none'",
        ] {
            assert!(
                csp.contains(directive),
                "{path}: {directive} missing from {csp}"
            );
        }
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(h.contains_key("referrer-policy"), "{path}");
        assert!(h.contains_key("x-request-id"), "{path}");
        assert!(
            !h.contains_key("strict-transport-security"),
            "no HSTS over plain http: {path}"
        );
    }
}

async fn authenticated_and_auth_form_responses_are_not_cached(backend: Backend) {
    let app = spawn!(backend);
    let anonymous = app.browser();
    for path in ["/auth/login", "/auth/register", "/"] {
        assert_eq!(
            anonymous.get(path).await.headers()["cache-control"],
            "no-store",
            "{path}"
        );
    }
    let browser = app.logged_in("alice").await;
    for path in ["/", "/profile", "/dashboard", "/api/me"] {
        assert_eq!(
            browser.get(path).await.headers()["cache-control"],
            "no-store",
            "{path}"
        );
    }
}
