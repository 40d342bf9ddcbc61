//! Hostile connections, spoken to over raw TCP: sockets that never send,
//! requests whose headers or body never finish, idle keep-alive
//! connections, more connections than the cap. The server must close what a
//! client holds too long, keep answering everyone else, and never hang.
//!
//! These are about sockets, not storage, so most run on SQLite only; the
//! slow-handler test makes the database itself slow, so it runs on both.
//! Timeouts are short and every bound is generous (ten times the timeout):
//! the tests check that a socket is closed, never how fast.

use crate::common::{Backend, PASSWORD, TestApp, on_both_backends, spawn};
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

on_both_backends!(a_handler_slower_than_the_request_timeout_gets_503);

mod sqlite_only {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn idle_and_half_sent_connections_are_closed_while_healthz_still_answers() {
        super::idle_and_half_sent_connections_are_closed_while_healthz_still_answers().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn headers_trickled_a_byte_at_a_time_are_cut_at_the_header_timeout() {
        super::headers_trickled_a_byte_at_a_time_are_cut_at_the_header_timeout().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_idle_keep_alive_connection_is_closed_after_the_keepalive_timeout() {
        super::an_idle_keep_alive_connection_is_closed_after_the_keepalive_timeout().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_keep_alive_connection_may_idle_past_the_header_timeout() {
        super::a_keep_alive_connection_may_idle_past_the_header_timeout().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn past_the_connection_cap_a_new_connection_gets_503_and_is_closed() {
        super::past_the_connection_cap_a_new_connection_gets_503_and_is_closed().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_body_slower_than_the_request_timeout_gets_408_and_the_connection_closes() {
        super::a_body_slower_than_the_request_timeout_gets_408_and_the_connection_closes().await;
    }
}

const SHORT: Duration = Duration::from_millis(500);
const LONG: Duration = Duration::from_secs(600);
const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

/// The test server's address, for raw sockets.
fn addr(app: &TestApp) -> String {
    app.addr.to_string()
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(addr(app)).await.unwrap()
}

/// Whether the server closes `stream` (EOF or reset) within `bound`,
/// discarding whatever it sends first.
async fn closed_within(stream: &mut TcpStream, bound: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let closed = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(bound, closed).await.is_ok()
}

/// Reads one response (head and `Content-Length` body) off a connection.
async fn read_response(stream: &mut TcpStream) -> String {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            if let Some(end) = find(&data, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map_or(0, |v| v.trim().parse().unwrap());
                if data.len() >= end + 4 + length {
                    return String::from_utf8_lossy(&data).into_owned();
                }
            }
            let n = stream.read(&mut buf).await.unwrap();
            assert!(
                n > 0,
                "closed mid-response: {:?}",
                String::from_utf8_lossy(&data)
            );
            data.extend_from_slice(&buf[..n]);
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("a response within 10 s")
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

async fn idle_and_half_sent_connections_are_closed_while_healthz_still_answers() {
    let timeout = Duration::from_secs(2);
    let app = spawn!(Backend::Sqlite, |s| {
        s.http.header_read_timeout = timeout;
        s.http.keepalive_timeout = LONG;
    });
    let mut held = Vec::new();
    for _ in 0..50 {
        held.push(connect(&app).await);
        let mut half = connect(&app).await;
        half.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        held.push(half);
    }

    let health = app.browser().get("/healthz").await;
    assert_eq!(health.status(), reqwest::StatusCode::OK);

    for (i, stream) in held.iter_mut().enumerate() {
        assert!(
            closed_within(stream, timeout * 10).await,
            "held socket {i} is still open"
        );
    }
}

async fn headers_trickled_a_byte_at_a_time_are_cut_at_the_header_timeout() {
    let app = spawn!(Backend::Sqlite, |s| {
        s.http.header_read_timeout = SHORT;
        s.http.keepalive_timeout = LONG;
    });
    let stream = connect(&app).await;
    let (mut read, mut write) = stream.into_split();
    // Every byte arrives well within the timeout; the headers never end.
    let trickle = tokio::spawn(async move {
        let _ = write
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await;
        while write.write_all(b"x").await.is_ok() {
            tokio::time::sleep(SHORT / 10).await;
        }
    });
    let mut buf = [0u8; 1024];
    let closed = tokio::time::timeout(SHORT * 10, async {
        loop {
            match read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    trickle.abort();
    assert!(closed.is_ok(), "a trickling client kept its connection");
}

async fn an_idle_keep_alive_connection_is_closed_after_the_keepalive_timeout() {
    let app = spawn!(Backend::Sqlite, |s| {
        s.http.header_read_timeout = LONG;
        s.http.keepalive_timeout = SHORT;
    });
    let mut stream = connect(&app).await;
    stream.write_all(HEALTHZ).await.unwrap();
    let response = read_response(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        closed_within(&mut stream, SHORT * 10).await,
        "the idle connection is still open"
    );
}

/// The header timeout bounds sending headers, not waiting between
/// requests: hyper's own header timeout would close this connection.
async fn a_keep_alive_connection_may_idle_past_the_header_timeout() {
    let header_read = Duration::from_millis(300);
    let app = spawn!(Backend::Sqlite, |s| {
        s.http.header_read_timeout = header_read;
        s.http.keepalive_timeout = LONG;
    });
    let mut stream = connect(&app).await;
    stream.write_all(HEALTHZ).await.unwrap();
    assert!(read_response(&mut stream).await.starts_with("HTTP/1.1 200"));
    tokio::time::sleep(header_read * 5).await;
    stream.write_all(HEALTHZ).await.unwrap();
    let second = read_response(&mut stream).await;
    assert!(second.starts_with("HTTP/1.1 200"), "{second}");
}

async fn past_the_connection_cap_a_new_connection_gets_503_and_is_closed() {
    let cap = 5;
    let app = spawn!(Backend::Sqlite, |s| {
        s.http.header_read_timeout = LONG;
        s.http.max_connections = cap;
    });
    // The server accepts in arrival order, so these take every slot.
    let mut held = Vec::new();
    for _ in 0..cap {
        let mut stream = connect(&app).await;
        stream.write_all(HEALTHZ).await.unwrap();
        assert!(read_response(&mut stream).await.starts_with("HTTP/1.1 200"));
        held.push(stream);
    }

    let mut extra = connect(&app).await;
    extra.write_all(HEALTHZ).await.unwrap();
    let refused = read_response(&mut extra).await;
    let head = refused.to_ascii_lowercase();
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(head.contains("\r\nconnection: close\r\n"), "{refused}");
    assert!(head.contains("\r\nretry-after: 1\r\n"), "{refused}");
    assert!(closed_within(&mut extra, Duration::from_secs(10)).await);

    // A slot freed is a slot for the next client.
    drop(held.pop());
    let browser = app.browser();
    let mut answered = false;
    for _ in 0..100 {
        if let Ok(response) = browser.client.get(browser.url("/healthz")).send().await
            && response.status() == reqwest::StatusCode::OK
        {
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(answered, "no connection admitted after one closed");
}

async fn a_body_slower_than_the_request_timeout_gets_408_and_the_connection_closes() {
    let app = spawn!(Backend::Sqlite, |s| {
        s.http.request_timeout = SHORT;
    });
    let mut stream = connect(&app).await;
    stream
        .write_all(
            b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"username\":",
        )
        .await
        .unwrap();
    let response = read_response(&mut stream).await;
    let head = response.to_ascii_lowercase();
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(head.contains("\r\nconnection: close\r\n"), "{response}");
    assert!(response.contains("\"request_timeout\""), "{response}");
    assert!(closed_within(&mut stream, Duration::from_secs(10)).await);
}

/// A write the database makes wait: another connection holds the lock the
/// handler needs, so the handler is slow through no fault of the client.
async fn a_handler_slower_than_the_request_timeout_gets_503(backend: Backend) {
    let timeout = Duration::from_secs(1);
    let app = spawn!(backend, |s| s.http.request_timeout = timeout);
    let lock = hold_write_lock(&app).await;

    let client = crate::common::http_client()
        .timeout(timeout * 10)
        .build()
        .unwrap();
    let response = client
        .post(format!("{}/api/register", app.base))
        .json(&serde_json::json!({
            "username": "slowpoke",
            "email": "slowpoke@example.com",
            "password": PASSWORD,
        }))
        .send()
        .await
        .expect("an answer, not a hang");
    assert_eq!(response.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable");
    drop(lock);

    // Once the database is free again the same request goes through.
    let response = client
        .post(format!("{}/api/register", app.base))
        .json(&serde_json::json!({
            "username": "quick",
            "email": "quick@example.com",
            "password": PASSWORD,
        }))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
}

enum WriteLock {
    Sqlite(#[allow(dead_code)] sqlx::SqliteConnection),
    Postgres(#[allow(dead_code)] sqlx::PgConnection),
}

/// Takes the lock that inserting a user needs, until dropped.
async fn hold_write_lock(app: &TestApp) -> WriteLock {
    use sqlx::Connection as _;
    match app.backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&app.db_url).await.unwrap();
            sqlx::raw_sql("BEGIN IMMEDIATE")
                .execute(&mut conn)
                .await
                .unwrap();
            WriteLock::Sqlite(conn)
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&app.db_url).await.unwrap();
            sqlx::raw_sql("BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
                .execute(&mut conn)
                .await
                .unwrap();
            WriteLock::Postgres(conn)
        }
    }
}
