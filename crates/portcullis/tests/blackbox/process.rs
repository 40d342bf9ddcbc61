//! The real binary as a subprocess, for what only a process shows: the log
//! it writes (see `logs.rs`) and how it stops on SIGTERM.

use crate::common::Backend;
use crate::smtp::MailSink;
use portcullis_store::testing::{TempSqliteFile, TestDatabase};
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_accepting_and_lets_a_request_in_flight_finish() {
    // About the process, not storage: SQLite only.
    let (_db, url) = database(Backend::Sqlite).await.unwrap();
    let mail = MailSink::start().await;
    let mut server = Server::start(&url, &mail, &[], &[]).await;

    let body = br#"{"username":"nobody","password":"not the password"}"#;
    let mut stream = TcpStream::connect(&server.addr).await.unwrap();
    let head = format!(
        "POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Expect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // The interim answer comes once the handler reads the body: from here
    // on the request is in flight.
    let interim = read_until(&mut stream, b"\r\n\r\n").await;
    assert!(interim.starts_with("HTTP/1.1 100"), "{interim}");

    server.signal("TERM");
    let mut refused = false;
    for _ in 0..200 {
        if TcpStream::connect(&server.addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(refused, "still accepting after SIGTERM");

    stream.write_all(body).await.unwrap();
    let answer = read_until(&mut stream, b"}}").await;
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    let status = server.wait_exit(Duration::from_secs(20)).await;
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "{}",
        server.output()
    );
    assert!(server.output().contains("shutting down"));
}

async fn read_until(stream: &mut TcpStream, end: &[u8]) -> String {
    let mut data = Vec::new();
    let mut buf = [0u8; 1024];
    let read = async {
        while !data.windows(end.len()).any(|w| w == end) {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed early: {:?}", String::from_utf8_lossy(&data));
            data.extend_from_slice(&buf[..n]);
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("an answer within 10 s");
    String::from_utf8_lossy(&data).into_owned()
}

/// Keeps a test database alive.
pub enum Db {
    Sqlite(#[allow(dead_code)] TempSqliteFile),
    Postgres(#[allow(dead_code)] TestDatabase),
}

/// A fresh database for `backend` and its URL, or `None` when PostgreSQL is
/// absent outside CI.
pub async fn database(backend: Backend) -> Option<(Db, String)> {
    match backend {
        Backend::Sqlite => {
            let file = TempSqliteFile::new().unwrap();
            let url = file.url().to_owned();
            Some((Db::Sqlite(file), url))
        }
        Backend::Postgres => {
            let pg = TestDatabase::create_if_available().await?;
            let url = pg.url().to_owned();
            Some((Db::Postgres(pg), url))
        }
    }
}

/// `portcullis serve` on port 0, its standard error captured line by line.
pub struct Server {
    child: Child,
    pub addr: String,
    pub base: String,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts the binary on `db_url`, mailing to `mail`, with `env` on top
    /// of the test settings and `args` after `serve`, and waits until it
    /// says where it listens.
    pub async fn start(db_url: &str, mail: &MailSink, env: &[(&str, &str)], args: &[&str]) -> Self {
        Self::start_mailing_to(db_url, mail.port, env, args).await
    }

    /// [`Server::start`] with mail to an SMTP server on `port`, which need
    /// not be listening yet.
    pub async fn start_mailing_to(
        db_url: &str,
        port: u16,
        env: &[(&str, &str)],
        args: &[&str],
    ) -> Self {
        let port = port.to_string();
        let mut child = Command::new(env!("CARGO_BIN_EXE_portcullis"))
            .args(["serve", "--listen", "127.0.0.1:0", "--database", db_url])
            .args(args)
            .env_remove("RUST_LOG")
            .env("NO_COLOR", "1")
            .env(
                "PORTCULLIS_SECRET",
                "test-secret-0123456789-abcdefghijklmnop",
            )
            .env("PORTCULLIS_PASSWORD__MEMORY_KIB", "1024")
            .env("PORTCULLIS_PASSWORD__ITERATIONS", "1")
            .env("PORTCULLIS_RATE_LIMIT__ENABLED", "false")
            .env("PORTCULLIS_MAIL__TRANSPORT", "smtp")
            .env("PORTCULLIS_MAIL__SMTP_HOST", "127.0.0.1")
            .env("PORTCULLIS_MAIL__SMTP_PORT", &port)
            .env("PORTCULLIS_MAIL__SMTP_TLS", "none")
            .env("PORTCULLIS_LOG__FORMAT", "json")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let lines: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let mut server = Self {
            child,
            addr: String::new(),
            base: String::new(),
            lines,
        };
        let listening = server
            .wait_for_line(|line| line.contains("Portcullis listening on"))
            .await;
        let Some(line) = listening else {
            panic!("the server did not start:\n{}", server.output());
        };
        let json: serde_json::Value = serde_json::from_str(&line).unwrap();
        server.addr = json["fields"]["address"].as_str().unwrap().to_owned();
        server.base = format!("http://{}", server.addr);
        server
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything written to standard error so far.
    pub fn output(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// Waits (up to 10 s) for a line matching `wanted`.
    pub async fn wait_for_line(&self, wanted: impl Fn(&str) -> bool) -> Option<String> {
        for _ in 0..500 {
            let found = self
                .lines
                .lock()
                .unwrap()
                .iter()
                .find(|l| wanted(l))
                .cloned();
            if found.is_some() {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }

    /// Every request log line so far, parsed.
    pub fn request_lines(&self) -> Vec<serde_json::Value> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|json| json["fields"]["message"] == "finished processing request")
            .collect()
    }

    /// Kills the process at once (SIGKILL: no cleanup of any kind).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends the signal named `name` (`TERM`, `INT`) to the process.
    pub fn signal(&self, name: &str) {
        let sent = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// Waits up to `bound` for the process to exit.
    pub async fn wait_exit(&mut self, bound: Duration) -> Option<std::process::ExitStatus> {
        let step = Duration::from_millis(50);
        for _ in 0..(bound.as_millis() / step.as_millis()) {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            tokio::time::sleep(step).await;
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
