//! The development outbox, and `RequireConfirmed` on a route of an
//! application that embeds Portcullis.

use crate::common::{Backend, PASSWORD, location, on_both_backends, spawn, test_settings};
use axum::Router;
use axum::routing::get;
use portcullis::Services;
use portcullis_axum::{Portcullis, RequireConfirmed, WebConfig};
use reqwest::StatusCode;

on_both_backends!(
    the_dev_outbox_writes_each_email_to_a_file_with_its_link,
    require_confirmed_turns_away_unconfirmed_users,
    links_in_smtp_mail_stay_whole_on_one_line_of_the_raw_message,
    links_in_outbox_files_stay_whole_on_one_line_and_work,
);

async fn the_dev_outbox_writes_each_email_to_a_file_with_its_link(backend: Backend) {
    let dir = std::env::temp_dir().join(format!("portcullis-outbox-{}", uuid::Uuid::new_v4()));
    let outbox = dir.clone();
    let app = spawn!(backend, move |s| {
        s.mail = Default::default();
        s.mail.outbox_dir = outbox;
    });
    app.browser()
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    let mut found = None;
    for _ in 0..100 {
        if let Ok(mut entries) = std::fs::read_dir(&dir)
            && let Some(Ok(entry)) = entries.next()
        {
            found = Some(std::fs::read_to_string(entry.path()).unwrap());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let eml = found.expect("an .eml file in the outbox");
    assert!(eml.contains("To: alice@example.com"));
    assert!(eml.contains("Confirm your email address"));
    assert!(eml.contains("/auth/confirm/"));
    assert!(app.mail.all().is_empty(), "nothing went over SMTP");
    std::fs::remove_dir_all(dir).unwrap();
}

/// The lines of a raw message that hold a link to `path`.
fn link_lines<'a>(raw: &'a str, path: &str) -> Vec<&'a str> {
    raw.lines().filter(|line| line.contains(path)).collect()
}

async fn links_in_smtp_mail_stay_whole_on_one_line_of_the_raw_message(backend: Backend) {
    let app = spawn!(backend);
    let mail = app.registered_with_confirmation("alice").await;
    let link = mail.link("/auth/confirm/");
    let text_part = mail
        .raw
        .split("\r\n--")
        .find(|part| {
            part.to_ascii_lowercase()
                .contains("content-type: text/plain")
        })
        .expect("a text part");
    assert!(
        link_lines(text_part, "/auth/confirm/")
            .iter()
            .any(|line| line.split_whitespace().any(|word| word == link)),
        "{link} whole on one line of {text_part}"
    );
    assert!(!text_part.contains("=\r\n"), "no soft line breaks");
}

async fn links_in_outbox_files_stay_whole_on_one_line_and_work(backend: Backend) {
    let dir = std::env::temp_dir().join(format!("portcullis-outbox-{}", uuid::Uuid::new_v4()));
    let outbox = dir.clone();
    let app = spawn!(backend, move |s| {
        s.mail = Default::default();
        s.mail.outbox_dir = outbox;
    });
    let browser = app.browser();
    browser
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    let mut eml = None;
    for _ in 0..100 {
        if let Ok(mut entries) = std::fs::read_dir(&dir)
            && let Some(Ok(entry)) = entries.next()
        {
            eml = Some(std::fs::read_to_string(entry.path()).unwrap());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let eml = eml.expect("an .eml file in the outbox");
    assert!(!eml.contains("=3D") && !eml.contains("=\r\n"), "{eml}");
    // The link as a developer copies it from the file: one line, whole.
    let copied = link_lines(&eml, "/auth/confirm/")
        .into_iter()
        .flat_map(str::split_whitespace)
        .find(|word| word.starts_with("http"))
        .unwrap_or_else(|| panic!("a link in {eml}"));
    let url = reqwest::Url::parse(copied).unwrap();
    let token = url.path().strip_prefix("/auth/confirm/").unwrap();
    assert_eq!(token.len(), 43, "the whole token: {copied}");
    let (status, html) = browser.page(url.path()).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let response = browser.submit(url.path(), url.path(), &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    browser.login("alice", PASSWORD).await;
    let me: serde_json::Value = browser.get("/api/me").await.json().await.unwrap();
    assert!(me["user"]["confirmed_at"].is_string(), "{me}");
    std::fs::remove_dir_all(dir).unwrap();
}

async fn confirmed_only(RequireConfirmed(user): RequireConfirmed) -> String {
    format!("hello {}", user.username)
}

async fn require_confirmed_turns_away_unconfirmed_users(backend: Backend) {
    let app = spawn!(backend);
    // An application embedding Portcullis on the same database.
    let settings = test_settings(&app.db_url);
    let services = Services::open(&settings, app.clock.clone()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let web = WebConfig::new(
        base.parse().unwrap(),
        b"embedding-app-secret-0123456789abcdef".to_vec(),
    );
    let portcullis = Portcullis::new(services.auth.clone(), web).unwrap();
    let router = portcullis.wrap(
        Router::new()
            .route("/members", get(confirmed_only))
            .merge(portcullis.routes()),
    );
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });

    app.browser()
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    let browser = crate::common::Browser::new(&base);
    let anonymous = browser.get("/members").await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert!(location(&anonymous).starts_with("/auth/login"));
    assert_eq!(
        browser.login("alice", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let (status, html) = browser.page("/members").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("confirm your email address"), "{html}");
    let api = browser
        .client
        .get(browser.url("/members"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["error"]["code"], "email_unconfirmed");

    let path = app
        .mail
        .wait_for_subject("alice@example.com", "Confirm your email address", 1)
        .await
        .path("/auth/confirm/");
    let visitor = app.browser();
    visitor.submit(&path, &path, &[]).await;
    // The confirmation shows at once, on every instance.
    let (status, body) = browser.page("/members").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "hello alice"));
    server.abort();
}
