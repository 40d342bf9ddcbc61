//! A real OpenID provider for the tests: `tests/oidc-provider/provider.mjs`
//! (oidc-provider from npm) run by Node.js, one process per [`OidcProvider`],
//! on a free loopback port. Logins complete by themselves with the user the
//! test set, so a client that follows redirects with cookies goes through
//! the whole authorization code flow.
//!
//! `node_modules` is installed with `npm ci` the first time it is missing,
//! under a file lock, as nextest runs tests in parallel processes. Without
//! Node.js the tests that need it are skipped with a notice, except when
//! `CI` is set, where they fail: the rule the suite has for PostgreSQL.

use portcullis_store::testing::in_ci;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::Duration;

/// Longest wait for the provider's first line.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A client registered at the provider.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ClientSpec {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
}

impl ClientSpec {
    /// A confidential client (client_secret_basic) with one redirect URI.
    pub fn new(client_id: &str, client_secret: &str, redirect_uri: &str) -> Self {
        Self {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            redirect_uris: vec![redirect_uri.to_owned()],
            post_logout_redirect_uris: Vec::new(),
        }
    }

    /// Registers `uri` for RP-initiated logout.
    pub fn post_logout_redirect_uri(mut self, uri: &str) -> Self {
        self.post_logout_redirect_uris.push(uri.to_owned());
        self
    }
}

/// The account a provider logs in, with the claims its ID tokens carry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TestUser {
    pub sub: String,
    pub email: String,
    pub email_verified: bool,
    pub preferred_username: String,
    pub name: String,
}

impl TestUser {
    /// `sub` with a verified `SUB@example.com`.
    pub fn new(sub: &str) -> Self {
        Self {
            sub: sub.to_owned(),
            email: format!("{sub}@example.com"),
            email_verified: true,
            preferred_username: sub.to_owned(),
            name: format!("Test User {sub}"),
        }
    }

    /// The same user with another address.
    pub fn with_email(mut self, email: &str, verified: bool) -> Self {
        self.email = email.to_owned();
        self.email_verified = verified;
        self
    }
}

/// A running `provider.mjs`; the process is killed on drop, and what it
/// wrote to stderr is printed if the test is failing.
pub struct OidcProvider {
    issuer: String,
    port: u16,
    child: Child,
    // Held open: the provider exits when it closes (also when this process dies).
    _stdin: Option<ChildStdin>,
    stderr: Arc<Mutex<String>>,
    http: reqwest::Client,
}

/// Starts an [`OidcProvider`], or returns from the test when Node.js is
/// absent outside CI.
macro_rules! start_oidc_provider {
    ($clients:expr) => {
        match crate::oidc_provider::OidcProvider::start($clients) {
            Some(provider) => provider,
            None => return,
        }
    };
}
pub(crate) use start_oidc_provider;

/// The folder with `package.json` and `provider.mjs`.
pub fn provider_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc-provider")
}

#[derive(Serialize)]
struct Config<'a> {
    port: u16,
    clients: &'a [ClientSpec],
    exit_on_stdin_close: bool,
}

#[derive(Deserialize)]
struct FirstLine {
    issuer: String,
    port: u16,
}

impl OidcProvider {
    /// Starts a provider with these clients and its default user. `None`
    /// (after a notice) when Node.js is missing and `CI` is not set.
    pub fn start(clients: Vec<ClientSpec>) -> Option<Self> {
        if !node_available() {
            return None;
        }
        let dir = provider_dir();
        ensure_node_modules(&dir);

        let config = serde_json::to_string(&Config {
            port: 0,
            clients: &clients,
            exit_on_stdin_close: true,
        })
        .unwrap();
        let mut child = Command::new("node")
            .arg("provider.mjs")
            .current_dir(&dir)
            .env("OIDC_TEST_CONFIG", config)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("node provider.mjs starts");

        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        let mut err_pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&chunk[..n]));
            }
        });

        let (tx, rx) = mpsc::channel();
        let out_pipe = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(out_pipe).lines();
            let _ = tx.send(lines.next());
            // Keep draining, so the provider never blocks on a full pipe.
            for _ in lines {}
        });
        let first = match rx.recv_timeout(START_TIMEOUT) {
            Ok(Some(Ok(line))) => line,
            outcome => {
                let _ = child.kill();
                let _ = child.wait();
                // Let the reader thread take the last of stderr.
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "provider.mjs did not announce itself ({outcome:?}); its stderr:\n{}",
                    stderr.lock().unwrap()
                );
            }
        };
        let announced: FirstLine = serde_json::from_str(&first)
            .unwrap_or_else(|err| panic!("provider.mjs's first line {first:?}: {err}"));

        Some(Self {
            issuer: announced.issuer,
            port: announced.port,
            _stdin: child.stdin.take(),
            child,
            stderr,
            http: crate::common::http_client().no_proxy().build().unwrap(),
        })
    }

    /// `http://127.0.0.1:PORT`, as the provider's discovery document says.
    pub fn issuer(&self) -> String {
        self.issuer.clone()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Makes `user` the account the next authorizations log in; a request
    /// with `login_hint=SUB` logs in any user set before.
    pub async fn set_user(&self, user: &TestUser) {
        self.control("/test/user", Some(serde_json::to_value(user).unwrap()))
            .await;
    }

    /// The next authorization answers the client `error=access_denied`.
    pub async fn deny_next(&self) {
        self.control("/test/deny", None).await;
    }

    /// The recent token endpoint requests, oldest first: `grant_type`,
    /// `client_id`, `code_verifier` (whether one was sent), `status`, and
    /// `error` when the request failed.
    pub async fn token_requests(&self) -> Vec<serde_json::Value> {
        let response = self
            .http
            .get(format!("{}/test/log", self.issuer))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "GET /test/log");
        let log: serde_json::Value = response.json().await.unwrap();
        log["token_requests"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// What the provider wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    async fn control(&self, path: &str, body: Option<serde_json::Value>) {
        let mut request = self.http.post(format!("{}{path}", self.issuer));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        assert!(
            status.is_success(),
            "POST {path}: {status} {}",
            response.text().await.unwrap_or_default()
        );
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "--- stderr of the OpenID provider at {} ---\n{}--- end ---",
                self.issuer,
                self.stderr.lock().unwrap()
            );
        }
    }
}

/// Whether `node` runs; panics instead under CI.
fn node_available() -> bool {
    static NODE: OnceLock<Option<String>> = OnceLock::new();
    let version = NODE.get_or_init(|| {
        Command::new("node")
            .arg("--version")
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    });
    if version.is_some() {
        return true;
    }
    if in_ci() {
        panic!("Node.js (`node`) is needed for the test OpenID provider and CI is set");
    }
    eprintln!("skipping: no Node.js (`node`) for the test OpenID provider (under CI this fails)");
    false
}

/// Runs `npm ci` in `dir` unless `node_modules` already matches
/// `package-lock.json`. Once per process; across processes a lock file
/// makes the others wait for the one that installs.
fn ensure_node_modules(dir: &Path) {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        if installed(dir) {
            return;
        }
        let lock = std::fs::File::create(dir.join(".npm-ci.lock")).expect("create .npm-ci.lock");
        lock.lock().expect("lock .npm-ci.lock");
        if !installed(dir) {
            eprintln!(
                "installing the test OpenID provider: npm ci in {}",
                dir.display()
            );
            let out = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(dir)
                .output()
                .unwrap_or_else(|err| panic!("npm ci in {} could not start: {err}", dir.display()));
            assert!(
                out.status.success(),
                "npm ci in {} failed:\n{}\n{}",
                dir.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // The lock is released when `lock` is dropped.
    });
}

/// Whether every package in `package-lock.json` is in `node_modules` at its
/// locked version, as npm's record of the last install says (npm writes it
/// when an install completes).
fn installed(dir: &Path) -> bool {
    let read = |path: PathBuf| -> Option<serde_json::Value> {
        serde_json::from_slice(&std::fs::read(path).ok()?).ok()
    };
    let Some(wanted) = read(dir.join("package-lock.json")) else {
        panic!("no package-lock.json in {}", dir.display());
    };
    let Some(present) = read(dir.join("node_modules/.package-lock.json")) else {
        return false;
    };
    let Some(packages) = wanted["packages"].as_object() else {
        return false;
    };
    packages
        .iter()
        .filter(|(path, _)| !path.is_empty())
        .all(|(path, entry)| {
            !entry["version"].is_null()
                && present["packages"][path.as_str()]["version"] == entry["version"]
        })
}
