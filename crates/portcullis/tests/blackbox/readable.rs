//! What a person reads from the real binary: the development banner, plain
//! text wherever output is not a terminal, one-shot commands that answer
//! without a log around the answer, and a database that is not there
//! reported at once. About the process rather than storage: SQLite, and a
//! PostgreSQL URL nothing answers at.

use crate::cli::portcullis;
use crate::common::PASSWORD;
use portcullis_store::testing::TempSqliteFile;
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const ESCAPE: &str = "\x1b[";

/// `portcullis serve` in development mode on port 0, from `dir`, with the
/// text log and nothing that would turn colour off but the pipe itself.
fn dev_server(file: &TempSqliteFile) -> Child {
    Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database", file.url()])
        .current_dir(file.dir())
        .env_remove("RUST_LOG")
        .env_remove("NO_COLOR")
        .env_remove("PORTCULLIS_MODE")
        .env("PORTCULLIS_PASSWORD__MEMORY_KIB", "1024")
        .env("PORTCULLIS_PASSWORD__ITERATIONS", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Standard error of `child` up to the line saying where it listens, then
/// the process is stopped.
fn until_listening(mut child: Child) -> String {
    let stderr = child.stderr.take().unwrap();
    let mut seen = String::new();
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("Portcullis listening on") {
            break;
        }
    }
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    seen.push_str(&String::from_utf8_lossy(&output.stdout));
    seen
}

/// The address in "Portcullis listening on http://ADDR".
fn listening_address(log: &str) -> String {
    let (_, rest) = log
        .split_once("Portcullis listening on http://")
        .unwrap_or_else(|| panic!("the server did not start:\n{log}"));
    rest.split_whitespace().next().unwrap().to_owned()
}

#[test]
fn the_dev_banner_says_what_to_open_where_mail_goes_and_how_to_make_the_first_admin() {
    let file = TempSqliteFile::new().unwrap();
    let log = until_listening(dev_server(&file));
    let addr = listening_address(&log);
    assert!(!addr.ends_with(":0"), "{log}");
    let outbox = file.dir().join("outbox");
    for line in [
        // Loopback is advertised as localhost, which passkeys accept.
        format!(
            "open:     http://localhost:{}/",
            addr.rsplit_once(':').unwrap().1
        ),
        format!("email:    written to {}/", outbox.display()),
        "admin:    none yet: run `portcullis create-admin`".to_owned(),
    ] {
        assert!(log.contains(&line), "no {line:?} in:\n{log}");
    }
    assert!(!log.contains(ESCAPE), "colour in a pipe:\n{log:?}");

    let out = portcullis(
        file.url(),
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
    assert!(out.status.success(), "{}", text(&out.stderr));
    let log = until_listening(dev_server(&file));
    assert!(log.contains("DEVELOPMENT MODE"), "{log}");
    assert!(!log.contains("admin:"), "an admin exists:\n{log}");
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `portcullis ARGS` on `file`, with `env`, colour left to the binary.
fn run(file: &TempSqliteFile, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(["--database", file.url()])
        .args(args)
        .current_dir(file.dir())
        .env_remove("RUST_LOG")
        .env_remove("NO_COLOR")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn piped_output_of_commands_and_errors_carries_no_colour() {
    let file = TempSqliteFile::new().unwrap();
    // The log asked for in full, so that there is something to colour.
    let out = run(&file, &["migrate"], &[("RUST_LOG", "info")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("database connected"), "{out:?}");
    for (what, out) in [
        ("migrate", out),
        (
            "a configuration error",
            run(
                &file,
                &["migrate"],
                &[("PORTCULLIS_SESSION__IDLE_TIMEOUT", "soon")],
            ),
        ),
        (
            "a mistyped flag",
            run(&file, &["users", "list", "--jsn"], &[]),
        ),
        ("help", run(&file, &["users", "--help"], &[])),
    ] {
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert!(!stdout.is_empty() || !stderr.is_empty(), "{what}: silent");
        assert!(!stdout.contains(ESCAPE), "{what}: {stdout:?}");
        assert!(!stderr.contains(ESCAPE), "{what}: {stderr:?}");
    }
}

#[test]
fn commands_answer_without_info_logs_or_prompts_in_their_output() {
    let file = TempSqliteFile::new().unwrap();
    let out = run(&file, &["migrate"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("up to date"));
    assert_eq!(text(&out.stderr), "", "migrate logged");

    let out = portcullis(
        file.url(),
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
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "", "a prompt or a log line");
    assert_eq!(
        text(&out.stdout).lines().count(),
        1,
        "{}",
        text(&out.stdout)
    );

    // RUST_LOG still has the last word.
    let out = run(&file, &["migrate"], &[("RUST_LOG", "info")]);
    assert!(text(&out.stderr).contains("INFO"), "RUST_LOG is obeyed");
}

#[test]
fn the_options_naming_an_account_say_what_they_are() {
    let file = TempSqliteFile::new().unwrap();
    for command in [
        &["create-admin", "--help"][..],
        &["users", "create", "--help"],
    ] {
        let out = run(&file, command, &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let help = text(&out.stdout);
        for flag in ["--username", "--email"] {
            let line = help
                .lines()
                .find(|l| l.trim_start().starts_with(flag))
                .unwrap_or_else(|| panic!("no {flag} in:\n{help}"));
            let described = line.split_once(" <").map_or("", |(_, rest)| rest);
            let words = described.split_once('>').map_or("", |(_, rest)| rest);
            assert!(words.trim().len() > 5, "{command:?}: {line:?} says nothing");
        }
    }
}

/// A port on loopback that nothing listens at.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Runs `portcullis --database URL ARGS`; `None` if it had not stopped
/// after `bound` (and was killed).
pub(crate) fn exits_within(url: &str, args: &[&str], bound: Duration) -> Option<Output> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(["--database", url])
        .args(args)
        .env_remove("RUST_LOG")
        .env(
            "PORTCULLIS_SECRET",
            "test-secret-0123456789-abcdefghijklmnop",
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while started.elapsed() < bound {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

#[test]
fn a_refused_database_connection_is_reported_at_once_with_the_url_but_not_its_password() {
    let port = closed_port();
    for (url, masked) in [
        (
            format!("postgres://u:hunter2pw@127.0.0.1:{port}/x?password=secret2xyz"),
            format!("postgres://u:***@127.0.0.1:{port}/x?password=***"),
        ),
        (
            format!("postgresql://app@127.0.0.1:{port}/x?sslmode=disable&password=secret2xyz"),
            format!("postgresql://app@127.0.0.1:{port}/x?sslmode=disable&password=***"),
        ),
    ] {
        for args in [&["migrate"][..], &["serve", "--listen", "127.0.0.1:0"]] {
            // The pool alone would have retried for 10 s.
            let out = exits_within(&url, args, Duration::from_secs(5))
                .unwrap_or_else(|| panic!("{args:?} on {masked} still running after 5 s"));
            assert!(!out.status.success());
            let stderr = text(&out.stderr);
            assert!(stderr.contains("connection refused"), "{stderr}");
            assert!(stderr.contains(&masked), "{stderr}");
            for secret in ["hunter2pw", "secret2xyz"] {
                assert!(!stderr.contains(secret), "{stderr}");
            }
        }
    }
}
