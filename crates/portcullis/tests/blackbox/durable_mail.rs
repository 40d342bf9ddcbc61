//! The mail queue is in the database: an email the server acknowledged
//! (202 "we sent you a link") survives the mail server being down and the
//! server being killed, and goes out once both are back. And every write
//! the server acknowledged before a `kill -9` is there after the restart.

use crate::cli::portcullis;
use crate::common::{Backend, PASSWORD, on_both_backends};
use crate::process::{Server, database};
use crate::smtp::MailSink;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

on_both_backends!(
    email_waits_while_the_mail_server_is_down_and_goes_out_when_it_returns,
    after_a_kill_9_under_write_load_every_acknowledged_write_and_email_is_there,
    two_instances_share_the_queue_and_send_each_message_once,
    the_operator_retries_a_failed_message_and_an_expired_one_is_never_sent,
);

/// A loopback port nothing listens on (yet).
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Quick retries, so that a test sees several attempts in a few seconds.
const QUICK_RETRIES: [(&str, &str); 4] = [
    ("PORTCULLIS_MAIL__RETRY_BACKOFF", "100ms"),
    ("PORTCULLIS_MAIL__RETRY_BACKOFF_MAX", "400ms"),
    ("PORTCULLIS_MAIL__SMTP_TIMEOUT", "1s"),
    ("PORTCULLIS_CONFIRM__REQUIRED", "false"),
];

fn client() -> reqwest::Client {
    crate::common::http_client()
        .cookie_store(true)
        .build()
        .unwrap()
}

/// `portcullis mail list --json`.
fn queue(url: &str) -> Vec<Value> {
    let out = portcullis(url, &["mail", "list", "--json"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn email_waits_while_the_mail_server_is_down_and_goes_out_when_it_returns(backend: Backend) {
    let Some((_db, url)) = database(backend).await else {
        return;
    };
    let port = closed_port();
    let server = Server::start_mailing_to(&url, port, &QUICK_RETRIES, &[]).await;
    let http = client();
    let registered = http
        .post(format!("{}/api/register", server.base))
        .json(&json!({"username": "alice", "email": "alice@example.com",
            "password": PASSWORD, "password_confirm": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::CREATED);
    let asked = http
        .post(format!("{}/api/forgot-password", server.base))
        .json(&json!({"email": "alice@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), StatusCode::ACCEPTED);

    // The mail server stays away; the messages wait in the queue and are
    // tried again and again (more often than the old in-memory queue's
    // four attempts), each failure noted.
    let deadline = Instant::now() + Duration::from_secs(20);
    let waiting = loop {
        let waiting = queue(&url);
        if waiting.len() == 2 && waiting.iter().all(|m| m["attempts"].as_i64().unwrap() > 4) {
            break waiting;
        }
        assert!(
            Instant::now() < deadline,
            "no retries: {waiting:?}\n{}",
            server.output()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut kinds: Vec<&str> = waiting
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["confirm_email", "password_reset"]);
    for m in &waiting {
        assert_eq!(m["state"], "queued");
        assert_eq!(m["to"], "alice@example.com");
        assert!(
            m["last_error"].as_str().is_some_and(|e| !e.is_empty()),
            "{m}"
        );
        assert!(
            m.get("payload").is_none(),
            "the list never shows the contents"
        );
    }
    // Ready all along: a mail server that is down is not the server's fault.
    let ready = http
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    // The sealed payload in the database holds no usable link.
    let dump = payloads(&url).await;
    assert!(dump.iter().all(|p| p.starts_with("v1.")), "{dump:?}");

    // The mail server returns: both emails go out, and the link works.
    let sink = MailSink::start_on(port).await;
    let reset = sink
        .wait_for_subject_within(
            "alice@example.com",
            "Reset your password",
            1,
            Duration::from_secs(15),
        )
        .await;
    sink.wait_for_subject("alice@example.com", "Confirm your email address", 1)
        .await;
    let page = http
        .get(format!(
            "{}{}",
            server.base,
            reset.path("/auth/reset-password/")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text().await.unwrap().contains("password_confirm"),
        "the reset form"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !queue(&url).is_empty() {
        assert!(Instant::now() < deadline, "delivered mail stays queued");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = server.output();
    assert!(log.contains("email delivery failed; will retry"), "{log}");
    assert!(
        !log.contains(&reset.token("/auth/reset-password/")),
        "a link in the log"
    );
}

async fn two_instances_share_the_queue_and_send_each_message_once(backend: Backend) {
    const USERS: usize = 12;
    let Some((_db, url)) = database(backend).await else {
        return;
    };
    let port = closed_port();
    let a = Server::start_mailing_to(&url, port, &QUICK_RETRIES, &[]).await;
    let b = Server::start_mailing_to(&url, port, &QUICK_RETRIES, &[]).await;
    for i in 0..USERS {
        let server = if i % 2 == 0 { &a } else { &b };
        let name = format!("user{i}");
        let created = client()
            .post(format!("{}/api/register", server.base))
            .json(
                &json!({"username": name, "email": format!("{name}@example.com"),
                "password": PASSWORD, "password_confirm": PASSWORD}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    // Both workers keep retrying the whole queue while the mail server is
    // away; when it returns they race for every message.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !queue(&url)
        .iter()
        .all(|m| m["attempts"].as_i64().unwrap() >= 2)
    {
        assert!(Instant::now() < deadline, "no retries");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sink = MailSink::start_on(port).await;
    for i in 0..USERS {
        sink.wait_for_subject(
            &format!("user{i}@example.com"),
            "Confirm your email address",
            1,
        )
        .await;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while !queue(&url).is_empty() {
        assert!(Instant::now() < deadline, "delivered mail stays queued");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Time for a second delivery of anything, were one coming.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut per_address: HashMap<String, usize> = HashMap::new();
    for mail in sink.all() {
        for to in mail.to {
            *per_address.entry(to).or_default() += 1;
        }
    }
    assert_eq!(per_address.len(), USERS);
    assert!(
        per_address.values().all(|&n| n == 1),
        "sent twice: {per_address:?}"
    );
    // Both instances did some of the work.
    for server in [&a, &b] {
        assert!(
            server.output().contains("will retry"),
            "{}",
            server.output()
        );
    }
}

async fn the_operator_retries_a_failed_message_and_an_expired_one_is_never_sent(backend: Backend) {
    let closed = closed_port();
    let app = crate::common::spawn!(backend, |s| s.mail.smtp_port = Some(closed));
    crate::password_reset::forgot(&app, "nobody@example.com").await;
    app.browser()
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    let url = app.db_url.clone();
    // Two attempts (the test server's mail.max_attempts), a retry due by
    // the server's clock, which the test moves on: then it is given up.
    let deadline = Instant::now() + Duration::from_secs(20);
    let failed = loop {
        app.clock.advance(time::Duration::seconds(1));
        let failed = portcullis(&url, &["mail", "list", "--state", "failed", "--json"], None);
        let failed: Vec<Value> = serde_json::from_slice(&failed.stdout).unwrap();
        if !failed.is_empty() {
            break failed;
        }
        assert!(Instant::now() < deadline, "never given up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(failed.len(), 1, "one message, for alice only: {failed:?}");
    assert_eq!(
        (failed[0]["to"].as_str(), failed[0]["attempts"].as_i64()),
        (Some("alice@example.com"), Some(2))
    );
    let text = String::from_utf8(portcullis(&url, &["mail", "list"], None).stdout).unwrap();
    assert!(
        text.contains("failed") && text.contains("alice@example.com"),
        "{text}"
    );

    // The operator sends it again: queued, due at once, attempts afresh.
    let id = failed[0]["id"].as_i64().unwrap().to_string();
    let retried = portcullis(&url, &["mail", "retry", &id], None);
    assert!(
        retried.status.success(),
        "{}",
        String::from_utf8_lossy(&retried.stderr)
    );
    assert!(String::from_utf8_lossy(&retried.stdout).contains("1 message(s) queued again"));
    let unknown = portcullis(&url, &["mail", "retry", "999999"], None);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("not a failed message"));
    let neither = portcullis(&url, &["mail", "retry"], None);
    assert!(!neither.status.success());
    let bad = portcullis(&url, &["mail", "list", "--state", "lost"], None);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("use queued, failed or expired"));

    // Its link dies (confirmation links live a day): the message is marked
    // expired, never sent, and cannot be queued again.
    app.clock.advance(time::Duration::hours(25));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let expired = portcullis(
            &url,
            &["mail", "list", "--state", "expired", "--json"],
            None,
        );
        let expired: Vec<Value> = serde_json::from_slice(&expired.stdout).unwrap();
        if expired.len() == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never expired: {:?}",
            queue(&url)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let retried = portcullis(&url, &["mail", "retry", "--all"], None);
    assert!(String::from_utf8_lossy(&retried.stdout).contains("0 message(s) queued again"));
    let purged = portcullis(&url, &["mail", "purge"], None);
    assert!(String::from_utf8_lossy(&purged.stdout).contains("1 message(s) deleted"));
    assert!(queue(&url).is_empty());
}

/// Every `mail_queue.payload`, read straight from the database.
async fn payloads(url: &str) -> Vec<String> {
    const SQL: &str = "SELECT payload FROM mail_queue";
    if url.starts_with("sqlite") {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        let rows = sqlx::query_scalar(SQL).fetch_all(&pool).await.unwrap();
        pool.close().await;
        rows
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let rows = sqlx::query_scalar(SQL).fetch_all(&pool).await.unwrap();
        pool.close().await;
        rows
    }
}

/// What the load below had acknowledged, to look for after the restart.
#[derive(Default)]
struct Acknowledged {
    /// Accounts created (201).
    registrations: Vec<String>,
    /// Sessions made (200): the client holding the cookie.
    sessions: Vec<reqwest::Client>,
    /// Reset links asked for (202), per address.
    resets: HashMap<String, usize>,
    /// Per account: the passwords set, in order, and how many changes were
    /// acknowledged (the last acknowledged one, or a later one whose answer
    /// was cut off, is in force).
    passwords: HashMap<String, (Vec<String>, usize)>,
    /// Per account: the display names set, in order, and how many were
    /// acknowledged.
    names: HashMap<String, (Vec<String>, usize)>,
    /// Requests that got no answer (cut off by the kill).
    cut_off: usize,
}

impl Acknowledged {
    fn writes(&self) -> usize {
        self.registrations.len()
            + self.sessions.len()
            + self.resets.values().sum::<usize>()
            + self.passwords.values().map(|p| p.1).sum::<usize>()
            + self.names.values().map(|n| n.1).sum::<usize>()
    }
}

/// Logs `client` in through the API; the CSRF token.
async fn login(base: &str, client: &reqwest::Client, name: &str, password: &str) -> Option<String> {
    let response = client
        .post(format!("{base}/api/login"))
        .json(&json!({"username": name, "password": password}))
        .send()
        .await
        .ok()?;
    if response.status() != StatusCode::OK {
        return None;
    }
    let body: Value = response.json().await.ok()?;
    Some(body["csrf_token"].as_str()?.to_owned())
}

/// One worker of the load: its own accounts, every kind of write in turn,
/// until the server stops answering.
async fn work(
    base: String,
    w: usize,
    admin: (reqwest::Client, String),
    ids: HashMap<String, i64>,
    acked: Arc<Mutex<Acknowledged>>,
) {
    let seed = format!("seed{w}");
    let own = client();
    let Some(mut csrf) = login(&base, &own, &seed, PASSWORD).await else {
        return;
    };
    let mut password = PASSWORD.to_owned();
    for i in 0.. {
        // A registration.
        let name = format!("r{w}x{i}");
        let sent = client()
            .post(format!("{base}/api/register"))
            .json(
                &json!({"username": name, "email": format!("{name}@example.com"),
                "password": PASSWORD, "password_confirm": PASSWORD}),
            )
            .send()
            .await;
        match sent.map(|r| r.status()) {
            Ok(StatusCode::CREATED) => acked.lock().unwrap().registrations.push(name),
            Ok(other) => panic!("register {name}: {other}"),
            Err(_) => break,
        }
        // A login.
        let session = client();
        match login(&base, &session, &format!("login{w}"), PASSWORD).await {
            Some(_) => acked.lock().unwrap().sessions.push(session),
            None => break,
        }
        // A reset link.
        let address = format!("{seed}@example.com");
        let sent = client()
            .post(format!("{base}/api/forgot-password"))
            .json(&json!({"email": address}))
            .send()
            .await;
        match sent.map(|r| r.status()) {
            Ok(StatusCode::ACCEPTED) => {
                *acked.lock().unwrap().resets.entry(address).or_default() += 1
            }
            Ok(other) => panic!("forgot-password: {other}"),
            Err(_) => break,
        }
        // A password change.
        let next = format!("{PASSWORD}-{i}");
        acked
            .lock()
            .unwrap()
            .passwords
            .entry(seed.clone())
            .or_default()
            .0
            .push(next.clone());
        let sent = own
            .post(format!("{base}/api/change-password"))
            .header("x-csrf-token", &csrf)
            .json(&json!({"current_password": password, "new_password": next}))
            .send()
            .await;
        match sent.map(|r| r.status()) {
            Ok(StatusCode::NO_CONTENT) => {
                acked.lock().unwrap().passwords.get_mut(&seed).unwrap().1 += 1;
                password = next;
            }
            Ok(other) => panic!("change-password: {other}"),
            Err(_) => break,
        }
        // An administrator's edit.
        let display = format!("Seed {w} edit {i}");
        acked
            .lock()
            .unwrap()
            .names
            .entry(seed.clone())
            .or_default()
            .0
            .push(display.clone());
        let sent = admin
            .0
            .patch(format!("{base}/api/admin/users/{}", ids[&seed]))
            .header("x-csrf-token", &admin.1)
            .json(&json!({"name": display}))
            .send()
            .await;
        match sent.map(|r| r.status()) {
            Ok(StatusCode::OK) => acked.lock().unwrap().names.get_mut(&seed).unwrap().1 += 1,
            Ok(other) => panic!("admin edit: {other}"),
            Err(_) => break,
        }
        // The session survives password changes made in it.
        if let Some(fresh) = login(&base, &own, &seed, &password).await {
            csrf = fresh;
        }
    }
    acked.lock().unwrap().cut_off += 1;
}

async fn after_a_kill_9_under_write_load_every_acknowledged_write_and_email_is_there(
    backend: Backend,
) {
    const WORKERS: usize = 4;
    let Some((_db, url)) = database(backend).await else {
        return;
    };
    let port = closed_port();
    let made = portcullis(
        &url,
        &[
            "create-admin",
            "--username",
            "root",
            "--email",
            "root@example.com",
            "--password-stdin",
        ],
        Some(PASSWORD),
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    // The mail server is down throughout the load: every email the load
    // causes is still queued when the server dies.
    let mut server = Server::start_mailing_to(&url, port, &QUICK_RETRIES, &[]).await;
    let base = server.base.clone();
    let admin = client();
    let admin_csrf = login(&base, &admin, "root", PASSWORD).await.unwrap();
    let mut ids = HashMap::new();
    for w in 0..WORKERS {
        for name in [format!("seed{w}"), format!("login{w}")] {
            let created = admin
                .post(format!("{base}/api/admin/users"))
                .header("x-csrf-token", &admin_csrf)
                .json(
                    &json!({"username": name, "email": format!("{name}@example.com"),
                    "password": PASSWORD, "roles": [], "confirmed": true}),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(created.status(), StatusCode::CREATED);
            let body: Value = created.json().await.unwrap();
            ids.insert(name, body["user"]["id"].as_i64().unwrap());
        }
    }
    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            tokio::spawn(work(
                base.clone(),
                w,
                (admin.clone(), admin_csrf.clone()),
                ids.clone(),
                acked.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    server.kill();
    for worker in workers {
        worker.await.unwrap();
    }
    let acked = Arc::into_inner(acked).unwrap().into_inner().unwrap();
    assert_eq!(acked.cut_off, WORKERS, "every worker ran until the kill");
    assert!(acked.registrations.len() >= WORKERS, "the load did little");

    // Restarted, with the mail server back.
    let sink = MailSink::start_on(port).await;
    let server = Server::start_mailing_to(&url, port, &QUICK_RETRIES, &[]).await;
    let base = server.base.clone();
    let mut found = 0;
    for name in &acked.registrations {
        let session = client();
        assert!(
            login(&base, &session, name, PASSWORD).await.is_some(),
            "{name} was acknowledged and lost"
        );
        found += 1;
    }
    for session in &acked.sessions {
        let me = session.get(format!("{base}/api/me")).send().await.unwrap();
        assert_eq!(
            me.status(),
            StatusCode::OK,
            "an acknowledged login's session was lost"
        );
        found += 1;
    }
    for (name, (set, acknowledged)) in &acked.passwords {
        // The last acknowledged password, or one set after it whose answer
        // the kill cut off.
        let mut works = None;
        for (k, candidate) in set.iter().enumerate().skip(acknowledged.saturating_sub(1)) {
            if login(&base, &client(), name, candidate).await.is_some() {
                works = Some(k);
            }
        }
        let k = works.unwrap_or_else(|| panic!("{name}: no acknowledged password works"));
        assert!(k + 1 >= *acknowledged);
        found += acknowledged;
    }
    let root = client();
    assert!(login(&base, &root, "root", PASSWORD).await.is_some());
    for (name, (set, acknowledged)) in &acked.names {
        let user: Value = root
            .get(format!("{base}/api/admin/users/{}", ids[name]))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let name_now = user["user"]["name"].as_str().unwrap_or_default();
        let position = set.iter().position(|n| n == name_now);
        assert!(
            position.is_some_and(|p| p + 1 >= *acknowledged),
            "{name}: name {name_now:?}, {acknowledged} edits acknowledged of {set:?}"
        );
        found += acknowledged;
    }
    found += acked.resets.values().sum::<usize>();
    assert_eq!(found, acked.writes());

    // Every email an acknowledged request queued goes out.
    let patience = Duration::from_secs(30);
    for name in &acked.registrations {
        sink.wait_for_subject_within(
            &format!("{name}@example.com"),
            "Confirm your email address",
            1,
            patience,
        )
        .await;
    }
    for (address, n) in &acked.resets {
        sink.wait_for_subject_within(address, "Reset your password", *n, patience)
            .await;
    }
    for (name, (_, n)) in &acked.passwords {
        if *n > 0 {
            sink.wait_for_subject_within(
                &format!("{name}@example.com"),
                "Your password was changed",
                *n,
                patience,
            )
            .await;
        }
    }
    let emails = acked.registrations.len()
        + acked.resets.values().sum::<usize>()
        + acked.passwords.values().map(|p| p.1).sum::<usize>();
    eprintln!(
        "kill -9 under load ({backend:?}): {} acknowledged writes, all {} found after the restart; \
         {emails} acknowledged emails, {} delivered in all (including those of requests the kill cut off)",
        acked.writes(),
        found,
        sink.all().len()
    );
}
