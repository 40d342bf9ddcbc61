//! The command line, run as a user would: the real binary, a real database.

use crate::common::{Backend, PASSWORD, TestApp, on_both_backends, spawn};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

on_both_backends!(
    create_admin_then_users_list_shows_the_admin_role,
    migrate_reports_success_and_bad_config_names_the_key,
    a_bad_configuration_value_is_reported_once_with_its_variable_and_an_example,
    production_over_plain_http_starts_only_when_allowed_and_then_warns,
);

pub fn portcullis(db_url: &str, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    portcullis_with(db_url, args, stdin, &[])
}

/// [`portcullis`] with more environment variables.
pub fn portcullis_with(
    db_url: &str,
    args: &[&str],
    stdin: Option<&str>,
    env: &[(&str, &str)],
) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(["--database", db_url])
        .args(args)
        .env("PORTCULLIS_PASSWORD__MEMORY_KIB", "1024")
        .env("PORTCULLIS_PASSWORD__ITERATIONS", "1")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    if let Some(input) = stdin {
        pipe.write_all(input.as_bytes()).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

async fn create_admin_then_users_list_shows_the_admin_role(backend: Backend) {
    let app: TestApp = spawn!(backend);
    let out = portcullis(
        &app.db_url,
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
    assert!(String::from_utf8_lossy(&out.stdout).contains("Created administrator root"));

    // The new admin logs in on the running server.
    let browser = app.browser();
    assert_eq!(
        browser.login("root", PASSWORD).await.status(),
        reqwest::StatusCode::SEE_OTHER
    );
    let me: serde_json::Value = browser.get("/api/me").await.json().await.unwrap();
    assert_eq!(me["roles"], serde_json::json!(["admin"]));
    assert!(me["user"]["confirmed_at"].is_string());

    // A second admin with the same name is refused with a reason.
    let out = portcullis(
        &app.db_url,
        &[
            "create-admin",
            "--username",
            "ROOT",
            "--email",
            "x@example.com",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("username is already taken"));
    // A weak password is refused before anything is written.
    let out = portcullis(
        &app.db_url,
        &[
            "create-admin",
            "--username",
            "weak",
            "--email",
            "w@example.com",
            "--password-stdin",
        ],
        Some("short\n"),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 8 characters"));

    let out = portcullis(&app.db_url, &["users", "list", "--json"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["users"][0]["username"], "root");
    assert_eq!(listed["users"][0]["roles"], serde_json::json!(["admin"]));

    let out = portcullis(&app.db_url, &["users", "list"], None);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("root") && table.contains("admin") && table.contains("1 of 1 users"),
        "{table}"
    );
}

async fn migrate_reports_success_and_bad_config_names_the_key(backend: Backend) {
    let app: TestApp = spawn!(backend);
    let out = portcullis(&app.db_url, &["migrate"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("up to date"));

    let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(["--database", &app.db_url, "migrate"])
        .env("PORTCULLIS_DATABASE__MAX_CONNECTIONS", "many")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("max_connections"));
}

/// The lines of `stderr` that carry a message (not blank).
fn lines(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

async fn a_bad_configuration_value_is_reported_once_with_its_variable_and_an_example(
    backend: Backend,
) {
    let app: TestApp = spawn!(backend);
    let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(["--database", &app.db_url, "migrate"])
        .env("PORTCULLIS_SESSION__IDLE_TIMEOUT", "soon")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        lines(&out.stderr),
        [
            "portcullis: configuration key session.idle_timeout (PORTCULLIS_SESSION__IDLE_TIMEOUT): \
          \"soon\" is not a duration; example: 30m"
        ]
    );

    // A key only the database can judge fails after start-up has begun,
    // with the log already running: still one message.
    let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(["--database", &app.db_url, "migrate"])
        .env("PORTCULLIS_REGISTRATION__DEFAULT_ROLE", "Nobody")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr
            .matches(
                "configuration key registration.default_role \
                 (PORTCULLIS_REGISTRATION__DEFAULT_ROLE): there is no role \"Nobody\""
            )
            .count(),
        1,
        "{stderr}"
    );
    assert_eq!(stderr.matches("configuration key").count(), 1, "{stderr}");
}

/// The server binary in production mode behind a plain-http public URL,
/// with `extra` in the environment.
fn production_over_http(db_url: &str, extra: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_portcullis"));
    command
        .args(["--database", db_url, "serve", "--listen", "127.0.0.1:0"])
        .env("PORTCULLIS_MODE", "production")
        .env(
            "PORTCULLIS_SECRET",
            "5a9615132fff686a316846a37d10747825c51da81206ec0700575bbd250f67c3",
        )
        .env("PORTCULLIS_PUBLIC_URL", "http://auth.internal.test")
        .env("PORTCULLIS_MAIL__TRANSPORT", "smtp")
        .env("PORTCULLIS_MAIL__SMTP_HOST", "127.0.0.1")
        .env("PORTCULLIS_MAIL__SMTP_TLS", "none")
        .env("NO_COLOR", "1")
        .envs(extra.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

async fn production_over_plain_http_starts_only_when_allowed_and_then_warns(backend: Backend) {
    let app: TestApp = spawn!(backend);
    let out = production_over_http(&app.db_url, &[]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let refused = lines(&out.stderr);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(
        refused[0].starts_with(
            "portcullis: configuration key public_url (PORTCULLIS_PUBLIC_URL): \
             \"http://auth.internal.test/\" is plain http"
        ),
        "{refused:?}"
    );

    let mut server =
        production_over_http(&app.db_url, &[("PORTCULLIS_ALLOW_INSECURE_HTTP", "true")])
            .spawn()
            .unwrap();
    let stderr = BufReader::new(server.stderr.take().unwrap());
    let mut seen = Vec::new();
    for line in stderr.lines() {
        let line = line.unwrap();
        let listening = line.contains("Portcullis listening");
        seen.push(line);
        if listening {
            break;
        }
    }
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(
        seen.last()
            .is_some_and(|l| l.contains("Portcullis listening")),
        "the server did not start: {seen:#?}"
    );
    assert!(
        seen.iter()
            .any(|l| l.contains("WARN") && l.contains("allow_insecure_http = true")),
        "no warning before listening: {seen:#?}"
    );
}
