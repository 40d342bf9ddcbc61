//! `TestApp` (a running server on a throwaway database, with a clock the
//! test moves) and `Browser` (an HTTP client that keeps cookies and does not
//! follow redirects, so tests can look at each hop).

use crate::smtp::MailSink;
use portcullis::Settings;
use portcullis::settings::{MailTransport, SmtpTls};
use portcullis::startup::Application;
use portcullis_core::{Clock, ManualClock};
use portcullis_store::testing::{TempSqliteFile, TestDatabase};
use reqwest::cookie::{CookieStore, Jar};
use reqwest::{Response, StatusCode};
use std::net::SocketAddr;
use std::sync::Arc;

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates `mod sqlite { #[tokio::test] fn name() }` and the same under
/// `mod postgres` for each listed `async fn name(backend: Backend)`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(crate::common::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(crate::common::Backend::Postgres).await
                }
            )*
        }
    };
}
pub(crate) use on_both_backends;

/// Starts a server for `backend`, or returns from the test when PostgreSQL
/// is absent outside CI (under CI its absence panics instead).
macro_rules! spawn {
    ($backend:expr) => {
        spawn!($backend, |_settings| {})
    };
    ($backend:expr, $tweak:expr) => {
        match crate::common::TestApp::spawn_with($backend, $tweak).await {
            Some(app) => app,
            None => return,
        }
    };
}
pub(crate) use spawn;

enum DbHandle {
    Sqlite(#[allow(dead_code)] TempSqliteFile),
    Postgres(#[allow(dead_code)] TestDatabase),
}

/// A running server.
pub struct TestApp {
    /// Where the tests' browsers go: the server's derived public URL
    /// (`http://localhost:PORT`), or `http://ADDR` when the test set one.
    pub base: String,
    /// The address it listens on.
    pub addr: std::net::SocketAddr,
    /// `http://ADDR` of the metrics listener, when `metrics.listen` is set.
    pub metrics: Option<String>,
    pub clock: Arc<ManualClock>,
    pub db_url: String,
    pub backend: Backend,
    /// The SMTP server on loopback that receives this server's email.
    pub mail: MailSink,
    server: tokio::task::JoinHandle<()>,
    _db: Option<DbHandle>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Settings every test server starts from: loopback, port 0, and argon2
/// parameters cheap enough for a test suite (the defaults are unit-tested in
/// core; here the cost would only slow the suite down).
pub fn test_settings(db_url: &str) -> Settings {
    let mut settings = Settings {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..Settings::default()
    };
    settings.database.url = db_url.to_owned();
    settings.database.max_connections = 5;
    settings.password.memory_kib = 1024;
    settings.password.iterations = 1;
    // Instances of one test share the secret, as a deployment would.
    settings.secret = Some(TEST_SECRET.to_owned());
    // Most tests log in many times from 127.0.0.1; the rate-limit tests
    // switch limits back on.
    settings.rate_limit.enabled = false;
    settings
}

/// Points the server's mail at `sink` over plain SMTP, retrying quickly.
pub fn send_mail_to(settings: &mut Settings, sink: &MailSink) {
    settings.mail.transport = Some(MailTransport::Smtp);
    settings.mail.smtp_host = Some("127.0.0.1".into());
    settings.mail.smtp_port = Some(sink.port);
    settings.mail.smtp_tls = SmtpTls::None;
    settings.mail.retry_backoff = std::time::Duration::from_millis(20);
    settings.mail.max_attempts = 2;
}

/// The secret every test server starts with.
pub const TEST_SECRET: &str = "test-secret-0123456789-abcdefghijklmnop";

impl TestApp {
    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> Option<Self> {
        let (db, db_url) = match backend {
            Backend::Sqlite => {
                let file = TempSqliteFile::new().expect("temp dir");
                let url = file.url().to_owned();
                (DbHandle::Sqlite(file), url)
            }
            Backend::Postgres => {
                let pg = TestDatabase::create_if_available().await?;
                let url = pg.url().to_owned();
                (DbHandle::Postgres(pg), url)
            }
        };
        let mail = MailSink::start().await;
        let mut settings = test_settings(&db_url);
        send_mail_to(&mut settings, &mail);
        tweak(&mut settings);
        let clock = Arc::new(ManualClock::starting_now());
        let mut app = Self::start(settings, clock, backend, mail).await;
        app._db = Some(db);
        Some(app)
    }

    async fn start(
        settings: Settings,
        clock: Arc<ManualClock>,
        backend: Backend,
        mail: MailSink,
    ) -> Self {
        settings.validate().expect("test settings are valid");
        let configured_url = settings.public_url.is_some();
        let db_url = settings.database.url.clone();
        let app = Application::build_with_clock(settings, clock.clone())
            .await
            .expect("the application builds");
        let addr = app.local_addr();
        // Where a browser goes: the derived public URL (localhost, which
        // passkeys need), or the address itself when a test names a public
        // URL that does not resolve here.
        let base = if configured_url {
            format!("http://{addr}")
        } else {
            app.public_url().as_str().trim_end_matches('/').to_owned()
        };
        let metrics = app.metrics_addr().map(|addr| format!("http://{addr}"));
        let server = tokio::spawn(async move {
            app.run_until_stopped().await.expect("server runs");
        });
        Self {
            base,
            addr,
            metrics,
            clock,
            db_url,
            backend,
            mail,
            server,
            _db: None,
        }
    }

    /// A second server process on the same database and secret, with its own
    /// clock (as another machine would have): what a load balancer spreads
    /// requests over.
    pub async fn sibling(&self, tweak: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = test_settings(&self.db_url);
        send_mail_to(&mut settings, &self.mail);
        tweak(&mut settings);
        let clock = Arc::new(ManualClock::new(self.clock.now()));
        Self::start(settings, clock, self.backend, self.mail.clone()).await
    }

    /// A server on an existing database at `db_url` (a restored backup,
    /// say), with a clock and mail sink of its own; the database outlives it.
    pub async fn on_database(db_url: &str, backend: Backend) -> TestApp {
        let mail = MailSink::start().await;
        let mut settings = test_settings(db_url);
        send_mail_to(&mut settings, &mail);
        Self::start(
            settings,
            Arc::new(ManualClock::starting_now()),
            backend,
            mail,
        )
        .await
    }

    /// A browser logged in as a freshly made administrator.
    pub async fn admin(&self, username: &str) -> Browser {
        let browser = self.logged_in(username).await;
        self.sql(&format!(
            "INSERT INTO user_roles (user_id, role_id) SELECT u.id, r.id FROM users u, roles r \
             WHERE u.username_key = '{username}' AND r.name = 'admin'"
        ))
        .await;
        browser
    }

    /// A fresh browser with an empty cookie jar.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }

    /// A fresh browser whose requests arrive through a proxy on loopback that
    /// says, in `X-Forwarded-For`, they come from `ip`.
    pub fn browser_from(&self, ip: &str) -> Browser {
        Browser::with_headers(&self.base, &[("x-forwarded-for", ip)])
    }

    /// A fresh browser sending `user_agent`.
    pub fn browser_as(&self, user_agent: &str) -> Browser {
        Browser::with_headers(&self.base, &[("user-agent", user_agent)])
    }

    /// The audit log as `portcullis audit list --json` prints it.
    pub fn audit(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["audit", "list", "--json", "--limit", "1000"];
        all.extend_from_slice(args);
        let out = crate::cli::portcullis(&self.db_url, &all, None);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// A browser holding a freshly registered and logged-in account.
    pub async fn logged_in(&self, username: &str) -> Browser {
        let browser = self.browser();
        let email = format!("{username}@example.com");
        assert_eq!(
            browser.register(username, &email, PASSWORD).await.status(),
            StatusCode::SEE_OTHER
        );
        assert_eq!(
            browser.login(username, PASSWORD).await.status(),
            StatusCode::SEE_OTHER
        );
        browser
    }

    /// Registers `username` (at `username@example.com`) from a fresh
    /// browser and returns the confirmation mail it was sent.
    pub async fn registered_with_confirmation(&self, username: &str) -> crate::smtp::Mail {
        let email = format!("{username}@example.com");
        self.browser().register(username, &email, PASSWORD).await;
        self.mail
            .wait_for_subject(&email, "Confirm your email address", 1)
            .await
    }

    /// The first column of the first row of `query`, as text.
    pub async fn query_text(&self, query: &str) -> String {
        let query = sqlx::AssertSqlSafe(query.to_owned());
        match self.backend {
            Backend::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&self.db_url).await.unwrap();
                let value: String = sqlx::query_scalar(query).fetch_one(&pool).await.unwrap();
                pool.close().await;
                value
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&self.db_url).await.unwrap();
                let value: String = sqlx::query_scalar(query).fetch_one(&pool).await.unwrap();
                pool.close().await;
                value
            }
        }
    }

    /// Runs one SQL statement on the test database (for state no route sets yet).
    pub async fn sql(&self, statement: &str) {
        match self.backend {
            Backend::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&self.db_url).await.unwrap();
                sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_owned()))
                    .execute(&pool)
                    .await
                    .unwrap();
                pool.close().await;
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&self.db_url).await.unwrap();
                sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_owned()))
                    .execute(&pool)
                    .await
                    .unwrap();
                pool.close().await;
            }
        }
    }
}

/// The password the helpers register accounts with.
pub const PASSWORD: &str = "correct horse battery staple";

/// A cookie-keeping HTTP client that does not follow redirects.
pub struct Browser {
    pub client: reqwest::Client,
    pub jar: Arc<Jar>,
    pub base: String,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        Self::with_headers(base, &[])
    }

    pub fn with_headers(base: &str, headers: &[(&'static str, &str)]) -> Self {
        let mut defaults = reqwest::header::HeaderMap::new();
        for (name, value) in headers {
            defaults.insert(*name, value.parse().unwrap());
        }
        Self::with_builder(base, |builder| builder.default_headers(defaults))
    }

    /// A browser whose client `tweak` configures further (where names
    /// resolve, which certificates it trusts).
    pub fn with_builder(
        base: &str,
        tweak: impl FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder,
    ) -> Self {
        let jar = Arc::new(Jar::default());
        let client = tweak(http_client())
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            client,
            jar,
            base: base.to_owned(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// GET a page and return its status and body.
    pub async fn page(&self, path: &str) -> (StatusCode, String) {
        let response = self.get(path).await;
        (response.status(), response.text().await.unwrap())
    }

    /// The `csrf_token` of the first form on `path`.
    pub async fn csrf_token(&self, path: &str) -> String {
        let (status, html) = self.page(path).await;
        assert_eq!(status, StatusCode::OK, "GET {path}");
        csrf_in(&html).unwrap_or_else(|| panic!("no csrf_token on {path}"))
    }

    /// POSTs a form as is (add `csrf_token` yourself).
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// Fetches the form at `form_page` for its CSRF token, then submits `fields` to `action`.
    pub async fn submit(&self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let token = self.csrf_token(form_page).await;
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post_form(action, &all).await
    }

    pub async fn register(&self, username: &str, email: &str, password: &str) -> Response {
        self.submit(
            "/auth/register",
            "/auth/register",
            &[
                ("username", username),
                ("email", email),
                ("password", password),
                ("password_confirm", password),
            ],
        )
        .await
    }

    pub async fn login(&self, login: &str, password: &str) -> Response {
        // A logged-in browser is sent on from the login page; any page's
        // logout form carries the same token.
        let form_page = if self.get("/auth/login").await.status() == StatusCode::OK {
            "/auth/login"
        } else {
            "/"
        };
        self.submit(
            form_page,
            "/auth/login",
            &[("username", login), ("password", password)],
        )
        .await
    }

    /// Logs out with the button every page carries.
    pub async fn logout(&self) -> Response {
        self.submit("/", "/auth/logout", &[]).await
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Logs in through the API and returns the CSRF token its answer carries.
    pub async fn api_login(&self, login: &str, password: &str) -> String {
        let response = self
            .post_json(
                "/api/login",
                &serde_json::json!({"username": login, "password": password}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "API login");
        let body: serde_json::Value = response.json().await.unwrap();
        body["csrf_token"].as_str().unwrap().to_owned()
    }

    /// POSTs JSON with an `X-CSRF-Token` header, as a logged-in script does.
    pub async fn post_json_with(
        &self,
        path: &str,
        csrf: &str,
        body: &serde_json::Value,
    ) -> Response {
        self.client
            .post(self.url(path))
            .header("x-csrf-token", csrf)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// The value of cookie `name` as the browser would send it to this site.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let header = self.jar.cookies(&self.base.parse().unwrap())?;
        header
            .to_str()
            .ok()?
            .split("; ")
            .find_map(|pair| pair.strip_prefix(&format!("{name}=")).map(str::to_owned))
    }
}

/// The value of the first `csrf_token` input in `html`.
pub fn csrf_in(html: &str) -> Option<String> {
    let document = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse("input[name=csrf_token]").unwrap();
    document
        .select(&selector)
        .next()
        .and_then(|input| input.value().attr("value"))
        .map(str::to_owned)
}

/// The `Location` of a redirect.
pub fn location(response: &Response) -> String {
    response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location on a {} answer", response.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

/// Every `Set-Cookie` line of a response.
pub fn set_cookies(response: &Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// A client builder for the tests' own HTTP. The build holds rustls
/// without a default crypto provider (the server's provider client brings
/// its own, ring), so the tests install ring as the process default first.
pub fn http_client() -> reqwest::ClientBuilder {
    static RING: std::sync::Once = std::sync::Once::new();
    RING.call_once(|| {
        // Another caller may have installed it first; either way ring is in.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
}
