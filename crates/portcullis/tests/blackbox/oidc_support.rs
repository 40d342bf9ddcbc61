//! A Portcullis server configured with the real OpenID provider by issuer
//! URL, as an operator would, and a browser that follows the flow through
//! the provider and back.

use crate::common::{Backend, Browser, TestApp, location};
use crate::oidc_provider::{ClientSpec, OidcProvider, TestUser};
use portcullis::settings::{OidcProviderSettings, Settings};
use reqwest::StatusCode;
use url::Url;

pub const CLIENT_ID: &str = "portcullis-test";
pub const CLIENT_SECRET: &str = "a client secret for the tests";

/// A server and the provider it trusts, as `corp` (or `google`).
pub struct Setup {
    pub app: TestApp,
    pub provider: OidcProvider,
    pub id: &'static str,
}

/// A free loopback port, for a server whose callback URL must be
/// registered at the provider before it starts.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the provider and a server on `backend` that signs in with it as
/// `id`, with `callback` as its redirect path; `tweak` adjusts the
/// provider's settings and the server's.
pub async fn start_with(
    backend: Backend,
    id: &'static str,
    callback: Option<&str>,
    tweak: impl FnOnce(&mut OidcProviderSettings, &mut Settings),
) -> Option<Setup> {
    let port = free_port();
    let provider = OidcProvider::start(vec![client(port, id, callback)])?;
    let app = server(backend, port, id, provider.issuer(), callback, tweak).await?;
    Some(Setup { app, provider, id })
}

/// The client Portcullis is at the provider, for a server on `port`.
pub fn client(port: u16, id: &str, callback: Option<&str>) -> ClientSpec {
    let public = format!("http://127.0.0.1:{port}");
    let path = callback
        .map(str::to_owned)
        .unwrap_or_else(|| format!("/auth/oidc/{id}/callback"));
    ClientSpec::new(CLIENT_ID, CLIENT_SECRET, &format!("{public}{path}"))
        .post_logout_redirect_uri(&format!("{public}/"))
}

/// A server on `port` that signs in with the provider at `issuer` as `id`.
pub async fn server(
    backend: Backend,
    port: u16,
    id: &str,
    issuer: String,
    callback: Option<&str>,
    tweak: impl FnOnce(&mut OidcProviderSettings, &mut Settings),
) -> Option<TestApp> {
    let public = format!("http://127.0.0.1:{port}");
    TestApp::spawn_with(backend, |settings| {
        settings.listen = format!("127.0.0.1:{port}").parse().unwrap();
        settings.public_url = Some(Url::parse(&format!("{public}/")).unwrap());
        let mut p = OidcProviderSettings {
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            issuer: Some(issuer),
            name: Some("Corp".into()),
            trust_email: Some(true),
            redirect_path: callback.map(str::to_owned),
            ..OidcProviderSettings::default()
        };
        tweak(&mut p, settings);
        settings.oidc.providers.insert(id.into(), p);
    })
    .await
}

/// [`start_with`] with `corp`, trusted, on its default callback.
pub async fn start(backend: Backend) -> Option<Setup> {
    start_with(backend, "corp", None, |_, _| {}).await
}

macro_rules! oidc_setup {
    ($setup:expr) => {
        match $setup.await {
            Some(setup) => setup,
            None => return,
        }
    };
}
pub(crate) use oidc_setup;

impl Setup {
    /// Makes the provider sign in `user` next.
    pub async fn as_user(&self, user: &TestUser) {
        self.provider.set_user(user).await;
    }

    /// [`follow`] from `start`.
    pub async fn sign_in_from(
        &self,
        browser: &Browser,
        start: &str,
    ) -> (reqwest::Response, String) {
        follow(browser, start).await
    }

    /// Signs in with the provider from the login button, with `next`.
    pub async fn sign_in(&self, browser: &Browser, next: &str) -> reqwest::Response {
        let start = format!("/auth/oidc/{}/login?next={next}", self.id);
        follow(browser, &start).await.0
    }
}

/// Starts at `start` (a Portcullis path, or a URL) and follows every
/// redirect through the provider until the answer of Portcullis' callback;
/// returns that answer and the callback URL it came from.
pub async fn follow(browser: &Browser, start: &str) -> (reqwest::Response, String) {
    let absolute = if start.starts_with("http") {
        start.to_owned()
    } else {
        browser.url(start)
    };
    let mut current = Url::parse(&absolute).unwrap();
    let mut response = browser.client.get(current.clone()).send().await.unwrap();
    for _ in 0..20 {
        if !response.status().is_redirection() {
            break;
        }
        let next = current.join(&location(&response)).unwrap();
        let back_here = next.as_str().starts_with(&browser.base);
        response = browser.client.get(next.clone()).send().await.unwrap();
        current = next;
        if back_here {
            return (response, current.to_string());
        }
    }
    (response, current.to_string())
}

/// The account the browser is signed in to, from `/api/me` (with its `id`
/// and `username`, so comparing two of them compares accounts).
pub async fn me(browser: &Browser) -> Option<serde_json::Value> {
    let response = browser.get("/api/me").await;
    if response.status() != StatusCode::OK {
        return None;
    }
    let body: serde_json::Value = response.json().await.ok()?;
    let user = body["user"].clone();
    assert!(
        user["id"].is_i64() && user["username"].is_string(),
        "{body}"
    );
    Some(user)
}

/// The audit events of `kind` on `app`, newest first.
pub fn events(app: &TestApp, kind: &str) -> Vec<serde_json::Value> {
    let log = app.audit(&["--type", kind]);
    let events = if log.is_array() { &log } else { &log["events"] };
    events.as_array().cloned().unwrap_or_default()
}

/// The login failures of `app`'s audit log with a reason `oidc_…`.
pub fn oidc_failures(app: &TestApp) -> Vec<String> {
    events(app, "login_failed")
        .iter()
        .filter_map(|e| e["detail"]["reason"].as_str())
        .filter(|r| r.starts_with("oidc_"))
        .map(str::to_owned)
        .collect()
}

impl Setup {
    /// The account the browser is signed in to.
    pub async fn me(browser: &Browser) -> Option<serde_json::Value> {
        me(browser).await
    }

    /// The audit events of `kind`, newest first.
    pub fn events(&self, kind: &str) -> Vec<serde_json::Value> {
        events(&self.app, kind)
    }

    /// The login failures of the audit log with a reason `oidc_…`.
    pub fn oidc_failures(&self) -> Vec<String> {
        oidc_failures(&self.app)
    }
}
