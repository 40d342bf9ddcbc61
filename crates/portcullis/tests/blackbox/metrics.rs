//! `/metrics` on its own listener: never on the public one, the counters
//! and levels an operator watches, route templates rather than paths, and
//! no token in any label.

use crate::common::{Backend, PASSWORD, TestApp, http_client, on_both_backends, spawn};
use reqwest::StatusCode;

on_both_backends!(
    metrics_are_served_on_their_own_listener_and_count_what_operators_watch,
    without_metrics_listen_there_is_no_metrics_listener,
);

/// The sample `name{labels}` in Prometheus text, as a number; 0 when absent
/// (a counter not yet incremented is not written).
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (key, value) = line.rsplit_once(' ')?;
            (key == series).then(|| value.parse().unwrap())
        })
        .unwrap_or(0.0)
}

async fn scrape(app: &TestApp) -> String {
    let url = format!(
        "{}/metrics",
        app.metrics.as_deref().expect("metrics.listen is set")
    );
    let response = http_client()
        .build()
        .unwrap()
        .get(url)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    response.text().await.unwrap()
}

async fn metrics_are_served_on_their_own_listener_and_count_what_operators_watch(backend: Backend) {
    let app = spawn!(backend, |s| {
        s.metrics.listen = Some("127.0.0.1:0".parse().unwrap());
        s.lockout.max_failures = 3;
    });
    assert_ne!(app.metrics.as_deref(), Some(app.base.as_str()));
    // Not on the public listener.
    assert_eq!(
        app.browser().get("/metrics").await.status(),
        StatusCode::NOT_FOUND
    );

    let mail = app.registered_with_confirmation("alice").await;
    let token_path = mail.path("/auth/confirm");
    let alice = app.browser();
    let confirmed = alice.submit(&token_path, &token_path, &[]).await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        alice.login("alice", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let mallory = app.browser();
    for _ in 0..3 {
        mallory.login("alice", "not the password").await;
    }

    let text = scrape(&app).await;
    assert!(
        sample(&text, r#"portcullis_logins_total{outcome="succeeded"}"#) >= 1.0,
        "{text}"
    );
    assert!(
        sample(&text, r#"portcullis_logins_total{outcome="failed"}"#) >= 3.0,
        "{text}"
    );
    assert!(sample(&text, "portcullis_lockouts_total") >= 1.0, "{text}");
    assert!(sample(&text, r#"portcullis_audit_events_total{kind="registered"}"#) >= 1.0);
    assert!(
        sample(
            &text,
            r#"portcullis_http_requests_total{method="POST",route="/auth/login",status="303"}"#
        ) >= 1.0,
        "{text}"
    );
    assert!(
        sample(
            &text,
            r#"portcullis_http_request_duration_seconds_count{method="POST",route="/auth/login"}"#
        ) >= 4.0
    );
    assert!(text.contains(r#"portcullis_http_request_duration_seconds_bucket{method="POST",route="/auth/login",le="0.005"}"#));
    assert!(
        sample(&text, "portcullis_password_hash_wait_seconds_count") >= 4.0,
        "{text}"
    );
    assert_eq!(sample(&text, "portcullis_password_hash_waiting"), 0.0);
    assert!(sample(&text, "portcullis_mail_sent_total") >= 1.0, "{text}");
    assert_eq!(sample(&text, "portcullis_mail_queue_depth"), 0.0);
    assert!(sample(&text, "portcullis_sessions_active") >= 1.0, "{text}");
    assert!(text.contains(r#"portcullis_db_pool_connections{state="idle"}"#));
    // Routes by template: the emailed token never becomes a label.
    let token = token_path.rsplit('/').next().unwrap();
    assert!(!text.contains(token), "a token in the metrics");
    assert!(text.contains(r#"route="/auth/confirm/{token}""#), "{text}");
}

async fn without_metrics_listen_there_is_no_metrics_listener(backend: Backend) {
    let app = spawn!(backend);
    assert!(app.metrics.is_none());
    assert_eq!(
        app.browser().get("/metrics").await.status(),
        StatusCode::NOT_FOUND
    );
}
