//! What the server writes to its log, read from the real binary's standard
//! error: route templates rather than paths (so emailed tokens stay out),
//! and request ids only as the server accepts them (database URLs without
//! their passwords: see `readable.rs`).

use crate::common::{Backend, Browser, PASSWORD, on_both_backends};
use crate::process::{Server, database};
use crate::smtp::MailSink;
use reqwest::StatusCode;
use reqwest::header::HeaderValue;
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

on_both_backends!(the_log_names_route_templates_and_never_the_tokens_of_emailed_links);

mod sqlite_only {
    // Request ids do not touch storage.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_hostile_request_id_is_replaced_by_a_fresh_one_in_the_answer_and_the_log() {
        super::a_hostile_request_id_is_replaced_by_a_fresh_one_in_the_answer_and_the_log().await;
    }
}

const NEW_PASSWORD: &str = "a whole new passphrase 42";

fn token_of(path: &str) -> String {
    path.rsplit('/').next().unwrap().to_owned()
}

fn answered(status: StatusCode) -> bool {
    status.is_success() || status.is_redirection()
}

async fn the_log_names_route_templates_and_never_the_tokens_of_emailed_links(backend: Backend) {
    let Some((_db, url)) = database(backend).await else {
        return;
    };
    let mail = MailSink::start().await;
    let server = Server::start(&url, &mail, &[], &[]).await;
    let alice = Browser::new(&server.base);
    let mut tokens = Vec::new();

    let response = alice.register("alice", "alice@example.com", PASSWORD).await;
    assert!(answered(response.status()));
    let confirm = mail
        .wait_for_subject("alice@example.com", "Confirm your email address", 1)
        .await
        .path("/auth/confirm/");
    tokens.push(token_of(&confirm));
    assert_eq!(alice.get(&confirm).await.status(), StatusCode::OK);
    assert!(answered(
        alice.submit(&confirm, &confirm, &[]).await.status()
    ));

    assert!(answered(alice.login("alice", PASSWORD).await.status()));
    let response = alice
        .submit(
            "/auth/change-email",
            "/auth/change-email",
            &[("email", "alice@new.example"), ("password", PASSWORD)],
        )
        .await;
    assert!(answered(response.status()));
    let change = mail
        .wait_for_subject("alice@new.example", "Confirm your new email address", 1)
        .await
        .path("/auth/change-email/");
    tokens.push(token_of(&change));
    assert_eq!(alice.get(&change).await.status(), StatusCode::OK);
    assert!(answered(alice.submit(&change, &change, &[]).await.status()));

    let visitor = Browser::new(&server.base);
    let response = visitor
        .submit(
            "/auth/forgot-password",
            "/auth/forgot-password",
            &[("email", "alice@new.example")],
        )
        .await;
    assert!(answered(response.status()));
    let reset = mail
        .wait_for_subject("alice@new.example", "Reset your password", 1)
        .await
        .path("/auth/reset-password/");
    tokens.push(token_of(&reset));
    assert_eq!(visitor.get(&reset).await.status(), StatusCode::OK);
    let response = visitor
        .submit(
            "/auth/forgot-password",
            &reset,
            &[
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert!(answered(response.status()));
    // A mangled link matches no route, and its path still holds the token.
    let mangled = format!("/auth/reset-passwords/{}", token_of(&reset));
    assert_eq!(visitor.get(&mangled).await.status(), StatusCode::NOT_FOUND);

    // API tokens: one minted, used, revoked and presented again, and a
    // mistyped one; none may reach the log, nor their random parts.
    let minted: serde_json::Value = crate::common::http_client()
        .build()
        .unwrap()
        .post(format!("{}/api/token", server.base))
        .json(&serde_json::json!({"username": "alice", "password": NEW_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let api_token = minted["token"].as_str().unwrap().to_owned();
    let bearer = |token: String, method: reqwest::Method, path: &'static str| {
        let base = server.base.clone();
        async move {
            crate::common::http_client()
                .build()
                .unwrap()
                .request(method, format!("{base}{path}"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        bearer(api_token.clone(), reqwest::Method::GET, "/api/me").await,
        StatusCode::OK
    );
    assert_eq!(
        bearer(api_token.clone(), reqwest::Method::DELETE, "/api/token").await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        bearer(api_token.clone(), reqwest::Method::GET, "/api/me").await,
        StatusCode::UNAUTHORIZED
    );
    let typo = format!("{}x", &api_token[..api_token.len() - 1]);
    assert_eq!(
        bearer(typo, reqwest::Method::GET, "/api/me").await,
        StatusCode::UNAUTHORIZED
    );
    tokens.push(api_token[4..47].to_owned());

    // A route of the nested API router, with an id we can find the line by.
    let out = crate::cli::portcullis(
        &url,
        &[
            "create-admin",
            "--username",
            "root",
            "--email",
            "root@example.com",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let admin = Browser::new(&server.base);
    admin.api_login("root", PASSWORD).await;
    let response = admin
        .client
        .get(admin.url("/api/admin/users/1"))
        .header("x-request-id", "admin-show-1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // Each line is written before its answer is sent, and this is the last.
    let last = server
        .wait_for_line(|line| line.contains("admin-show-1"))
        .await;
    assert!(last.is_some(), "{}", server.output());

    let output = server.output();
    for token in &tokens {
        assert!(token.len() >= 20, "{token}");
        assert!(
            !output.contains(token.as_str()),
            "token {token} logged:\n{output}"
        );
    }
    let lines = server.request_lines();
    for route in [
        "/auth/register",
        "/auth/confirm/{token}",
        "/auth/change-email/{token}",
        "/auth/reset-password/{token}",
        "/api/admin/users/{id}",
        "<unmatched>",
    ] {
        assert!(
            lines.iter().any(|line| line["span"]["route"] == route),
            "no line for {route}:\n{output}"
        );
    }
    let ours: Vec<_> = lines
        .iter()
        .filter(|line| line["span"]["request_id"] == "admin-show-1")
        .collect();
    assert_eq!(ours.len(), 1, "one line per request:\n{output}");
    let line = ours[0];
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["span"]["method"], "GET");
    assert_eq!(line["span"]["route"], "/api/admin/users/{id}");
    assert_eq!(line["fields"]["status"], 200);
    assert!(line["fields"]["latency"].is_string(), "{line}");
}

async fn a_hostile_request_id_is_replaced_by_a_fresh_one_in_the_answer_and_the_log() {
    let (_db, url) = database(Backend::Sqlite).await.unwrap();
    let mail = MailSink::start().await;
    let server = Server::start(&url, &mail, &[], &[]).await;
    let client = crate::common::http_client().build().unwrap();
    let long = "A".repeat(500);
    let hostile: Vec<&[u8]> = vec![
        b"<script>alert(1)</script>",
        long.as_bytes(),
        b"two words",
        b"tab\tseparated",
        "caf\u{e9}-au-lait".as_bytes(),
    ];
    for id in &hostile {
        let response = client
            .get(format!("{}/healthz", server.base))
            .header("x-request-id", HeaderValue::from_bytes(id).unwrap())
            .send()
            .await
            .unwrap();
        let echoed = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(uuid::Uuid::parse_str(&echoed).is_ok(), "{echoed}");
        let logged = server
            .wait_for_line(|line| line.contains(&format!("\"request_id\":\"{echoed}\"")))
            .await;
        assert!(logged.is_some(), "the minted id is the logged one");
    }

    // Two ids are as good as none.
    let response = client
        .get(format!("{}/healthz", server.base))
        .header("x-request-id", "first")
        .header("x-request-id", "second")
        .send()
        .await
        .unwrap();
    let echoed = response.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(echoed).is_ok(), "{echoed}");

    // A carriage return cannot even be sent through an HTTP client; over a
    // raw socket the request is refused before any route sees it.
    let mut stream = tokio::net::TcpStream::connect(&server.addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: evil\rInjected: yes\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");

    // A plain id is kept, echoed and logged.
    let response = client
        .get(format!("{}/healthz", server.base))
        .header("x-request-id", "client-id_1.2")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "client-id_1.2");
    let logged = server
        .wait_for_line(|line| line.contains("\"request_id\":\"client-id_1.2\""))
        .await;
    assert!(logged.is_some(), "{}", server.output());

    let output = server.output();
    for needle in [
        "<script>",
        &"A".repeat(100),
        "two words",
        "separated",
        "au-lait",
        "evil",
        "Injected",
    ] {
        assert!(!output.contains(needle), "{needle:?} logged:\n{output}");
    }
}
