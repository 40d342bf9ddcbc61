//! The database going away under a running server: every request answers
//! 503 well within the request timeout (pages and JSON alike, never a 500
//! or a hang), `/readyz` says so, and the server recovers by itself when
//! the database is back. PostgreSQL is reached through a TCP proxy the test
//! cuts and restores; the machine's PostgreSQL itself is never restarted.

use crate::common::{Backend, PASSWORD, TestApp};
use portcullis_store::testing::TestDatabase;
use reqwest::StatusCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A TCP proxy in front of PostgreSQL that can drop every connection
/// through it and refuse new ones, then let them through again.
struct Cuttable {
    port: u16,
    open: Arc<AtomicBool>,
    /// Bumped at each cut; forwarding tasks end when it changes.
    epoch: watch::Sender<u64>,
    accept: tokio::task::JoinHandle<()>,
}

impl Cuttable {
    async fn start(upstream: std::net::SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = Arc::new(AtomicBool::new(true));
        let (epoch, _) = watch::channel(0u64);
        let accept = tokio::spawn({
            let (open, epoch) = (open.clone(), epoch.clone());
            async move {
                loop {
                    let Ok((mut client, _)) = listener.accept().await else {
                        return;
                    };
                    if !open.load(Ordering::SeqCst) {
                        drop(client);
                        continue;
                    }
                    let mut cut = epoch.subscribe();
                    tokio::spawn(async move {
                        let Ok(mut server) = TcpStream::connect(upstream).await else {
                            return;
                        };
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                            _ = cut.changed() => {}
                        }
                    });
                }
            }
        });
        Self {
            port,
            open,
            epoch,
            accept,
        }
    }

    fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        self.epoch.send_modify(|e| *e += 1);
    }

    fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for Cuttable {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

/// `GET path` with `browser`, and how long the answer took.
async fn timed(
    browser: &crate::common::Browser,
    path: &str,
    json: bool,
) -> (StatusCode, Duration, String) {
    let started = Instant::now();
    let mut request = browser.client.get(browser.url(path));
    if json {
        request = request.header("accept", "application/json");
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let body = response.text().await.unwrap();
    (status, started.elapsed(), body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_cut_mid_load_gives_fast_503s_and_the_server_recovers_by_itself() {
    let Some(db) = TestDatabase::create_if_available().await else {
        return;
    };
    let mut url = url::Url::parse(db.url()).unwrap();
    let upstream = (
        url.host_str().unwrap().to_owned(),
        url.port().unwrap_or(5432),
    );
    let upstream = tokio::net::lookup_host(upstream)
        .await
        .unwrap()
        .next()
        .unwrap();
    let proxy = Cuttable::start(upstream).await;
    url.set_port(Some(proxy.port)).unwrap();
    let app = TestApp::on_database(url.as_str(), Backend::Postgres).await;

    let alice = app.logged_in("alice").await;
    assert_eq!(alice.get("/api/me").await.status(), StatusCode::OK);
    proxy.cut();
    // Pages, JSON, the readiness check and a login, all at once, as load
    // would have them.
    // (A load balancer asks /readyz without cookies.)
    let visitor = app.browser();
    let balancer = app.browser();
    let (page, api, ready, login) = tokio::join!(
        timed(&alice, "/profile", false),
        timed(&alice, "/api/me", true),
        timed(&balancer, "/readyz", false),
        visitor.login("alice", PASSWORD),
    );
    for (what, (status, took, body)) in [("page", &page), ("api", &api), ("readyz", &ready)] {
        assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE, "{what}: {body}");
        assert!(*took < Duration::from_secs(15), "{what} took {took:?}");
    }
    assert!(api.2.contains(r#""code":"unavailable""#), "{}", api.2);
    assert!(
        page.2.contains("briefly unavailable") && page.2.contains("<html"),
        "{}",
        page.2
    );
    assert_eq!(ready.2, "database unavailable");
    assert_eq!(login.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(login.headers().contains_key("retry-after"));

    proxy.restore();
    let back = Instant::now();
    loop {
        let (status, _, _) = timed(&alice, "/api/me", true).await;
        if status == StatusCode::OK {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(15),
            "not recovered: {status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The session survived, and new work is taken.
    assert_eq!(timed(&balancer, "/readyz", false).await.0, StatusCode::OK);
    let bob = app.logged_in("bob").await;
    assert_eq!(bob.get("/api/me").await.status(), StatusCode::OK);
    drop(app);
    drop(proxy);
    db.drop_database().await;
}

/// Registers `name` through the API; the status.
async fn register(base: &str, name: &str) -> StatusCode {
    crate::common::http_client()
        .build()
        .unwrap()
        .post(format!("{base}/api/register"))
        .json(&serde_json::json!({
            "username": name, "email": format!("{name}@example.com"),
            "password": PASSWORD, "password_confirm": PASSWORD,
        }))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_writes_with_503_keeps_reads_and_loses_nothing() {
    use crate::process::{Server, database};
    let (db, url) = database(Backend::Sqlite).await.unwrap();
    let mail = crate::smtp::MailSink::start().await;
    let server = Server::start(&url, &mail, &[], &[]).await;
    let reader = crate::common::Browser::new(&server.base);
    assert_eq!(register(&server.base, "reader").await, StatusCode::CREATED);
    reader.api_login("reader", PASSWORD).await;

    // No file of the server's may grow more than a little from here: the
    // process's file size limit, as a full disk would be (root ignores
    // permissions, so a read-only directory would prove nothing).
    let path = std::path::PathBuf::from(url.trim_start_matches("sqlite://"));
    let largest = ["", "-wal"]
        .iter()
        .filter_map(|suffix| {
            let mut p = path.clone().into_os_string();
            p.push(suffix);
            std::fs::metadata(p).ok().map(|m| m.len())
        })
        .max()
        .unwrap();
    let limit = largest + 48 * 1024;
    rlimit::prlimit(
        i32::try_from(server.pid()).unwrap(),
        rlimit::Resource::FSIZE,
        Some((limit, limit)),
        None,
    )
    .unwrap();

    let mut acknowledged = Vec::new();
    let mut refused = None;
    for i in 0..2000 {
        let name = format!("user{i}");
        match register(&server.base, &name).await {
            StatusCode::CREATED => acknowledged.push(name),
            StatusCode::SERVICE_UNAVAILABLE => {
                refused = Some(i);
                break;
            }
            other => panic!("{name}: {other}\n{}", server.output()),
        }
    }
    assert!(refused.is_some(), "writes never failed under the limit");
    assert!(!acknowledged.is_empty());
    // Reads go on: the session made before, the public pages, readiness.
    assert_eq!(reader.get("/api/me").await.status(), StatusCode::OK);
    let visitor = crate::common::Browser::new(&server.base);
    assert_eq!(visitor.get("/auth/login").await.status(), StatusCode::OK);
    // Writes keep failing cleanly, not by crashing the server.
    let late = register(&server.base, "late").await;
    assert_eq!(late, StatusCode::SERVICE_UNAVAILABLE, "{}", server.output());
    let log = server.output();
    assert!(log.contains("database unavailable"), "{log}");
    assert!(log.contains("file size limit"), "{log}");
    drop(server);

    // Nothing is lost or damaged: every acknowledged account is there.
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(integrity, "ok");
    for name in &acknowledged {
        let found: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE username = $1")
            .bind(name)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(found, 1, "{name} was acknowledged and lost");
    }
    pool.close().await;
    drop(db);
}
