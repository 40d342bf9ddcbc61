//! Forgotten passwords probed as an attacker would: enumeration by answer
//! or by mail, spoofed Host headers, flooding, and a mail server that is
//! down (the answer must not change).

use crate::common::{Backend, PASSWORD, on_both_backends, spawn};
use crate::password_reset::forgot;
use reqwest::StatusCode;
use serde_json::json;
use time::Duration;

on_both_backends!(
    unknown_addresses_get_the_same_answer_and_no_mail,
    links_use_the_public_url_whatever_the_host_headers_say,
    forgot_password_is_rate_limited_per_address_alike_for_unknown_ones,
    a_failed_delivery_is_recorded_and_not_shown,
);

async fn unknown_addresses_get_the_same_answer_and_no_mail(backend: Backend) {
    let app = spawn!(backend);
    app.browser()
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    // One browser, so the CSRF token in both pages is the same.
    let browser = app.browser();
    let mut answers = Vec::new();
    for email in ["nobody@example.com", "alice@example.com"] {
        let response = browser
            .submit(
                "/auth/forgot-password",
                "/auth/forgot-password",
                &[("email", email)],
            )
            .await;
        answers.push((response.status(), response.text().await.unwrap()));
    }
    assert_eq!(answers[0], answers[1]);
    let mut api = Vec::new();
    for email in ["nobody@example.com", "alice@example.com"] {
        let response = browser
            .post_json("/api/forgot-password", &json!({"email": email}))
            .await;
        api.push((response.status(), response.text().await.unwrap()));
    }
    assert_eq!(api[0], api[1]);
    assert_eq!(api[0].0, StatusCode::ACCEPTED);
    // Mail leaves in order: once alice has both, nobody would have had one.
    app.mail
        .wait_for_subject("alice@example.com", "Reset your password", 2)
        .await;
    assert!(app.mail.to("nobody@example.com").is_empty());
}

async fn links_use_the_public_url_whatever_the_host_headers_say(backend: Backend) {
    let app = spawn!(backend, |s| {
        s.public_url = Some("http://auth.portcullis.test:8443/".parse().unwrap());
    });
    app.browser()
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    let browser = app.browser();
    let token = browser.csrf_token("/auth/forgot-password").await;
    let response = browser
        .client
        .post(browser.url("/auth/forgot-password"))
        .header("host", "evil.example")
        .header("x-forwarded-host", "evil.example")
        .header("x-forwarded-proto", "https")
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "alice@example.com"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mail = app
        .mail
        .wait_for_subject("alice@example.com", "Reset your password", 1)
        .await;
    let link = mail.link("/auth/reset-password/");
    assert!(
        link.starts_with("http://auth.portcullis.test:8443/auth/reset-password/"),
        "{link}"
    );
    assert!(!mail.raw.contains("evil.example"));
}

async fn forgot_password_is_rate_limited_per_address_alike_for_unknown_ones(backend: Backend) {
    let app = spawn!(backend, |s| s.rate_limit.enabled = true);
    app.browser()
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    for email in ["alice@example.com", "nobody@example.com"] {
        for _ in 0..3 {
            assert_eq!(forgot(&app, email).await.0, StatusCode::OK);
        }
        let browser = app.browser();
        let refused = browser
            .submit(
                "/auth/forgot-password",
                "/auth/forgot-password",
                &[("email", email)],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS, "{email}");
        assert!(refused.headers().contains_key("retry-after"));
        let api = browser
            .post_json("/api/forgot-password", &json!({"email": email}))
            .await;
        assert_eq!(api.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    // Three links went out, not more.
    app.mail
        .wait_for_subject("alice@example.com", "Reset your password", 3)
        .await;
    // Ten requests also spent this IP's hourly allowance; both windows end.
    app.clock.advance(Duration::minutes(61));
    assert_eq!(forgot(&app, "alice@example.com").await.0, StatusCode::OK);
}

async fn a_failed_delivery_is_recorded_and_not_shown(backend: Backend) {
    // A port nobody listens on: every delivery fails.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let app = spawn!(backend, |s| s.mail.smtp_port = Some(closed));
    app.browser()
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    let (status, html) = forgot(&app, "alice@example.com").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("If an account exists, a password reset link has been sent."));
    // The confirmation and the reset both fail, after their retries (the
    // queue judges when a retry is due by the server's clock, which the
    // test moves on).
    let mut recorded = 0;
    for _ in 0..100 {
        app.clock.advance(time::Duration::seconds(1));
        recorded = app.audit(&["--type", "email_delivery_failed"])["total"]
            .as_i64()
            .unwrap();
        if recorded == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(recorded, 2);
}
