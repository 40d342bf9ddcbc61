//! Forward authentication behind real nginx and Caddy, configured with the
//! README's snippets: Portcullis at `auth.example.test`, protected sites
//! beside it, an upstream that echoes what reaches it, and a cookie-keeping
//! client that speaks https to the proxy as a browser would.

mod flows;
mod servers;
mod tls;
mod upstream;

use crate::common::{Backend, Browser, TestApp};
use portcullis::settings::{ForwardProxy, ForwardRuleSettings, Settings};
pub use servers::Kind;
use std::path::PathBuf;
pub use upstream::Seen;

/// Where Portcullis is served.
pub const AUTH: &str = "https://auth.example.test";
/// The protected sites, each behind the proxy with the README's block.
pub const SITES: [&str; 4] = [
    "app.example.test",
    "wiki.example.test",
    "public.example.test",
    "other.example.test",
];

fn rule(host: &str, prefix: &str, require: &[&str]) -> ForwardRuleSettings {
    ForwardRuleSettings {
        host: host.into(),
        path_prefix: prefix.into(),
        require: require.iter().map(|r| (*r).to_owned()).collect(),
    }
}

/// The rules every stack runs with (`other.example.test` has none).
fn configure(settings: &mut Settings, kind: Kind) {
    settings.public_url = Some(format!("{AUTH}/").parse().unwrap());
    settings.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    settings.session.cookie_domain = Some("example.test".into());
    settings.forward_auth.proxy = Some(match kind {
        Kind::Nginx => ForwardProxy::Nginx,
        Kind::Caddy => ForwardProxy::Caddy,
    });
    settings.forward_auth.rules = vec![
        rule("public.example.test", "/", &["bypass"]),
        rule("app.example.test", "/admin", &["role:admin"]),
        rule("app.example.test", "/reports", &["permission:reports:read"]),
        rule("app.example.test", "/secure", &["two_factor"]),
        rule("app.example.test", "/", &["login"]),
        rule("wiki.example.test", "/", &["login"]),
    ];
}

/// Portcullis, the upstream and the proxy, stopped in reverse when dropped.
pub struct Stack {
    proxy: servers::Proxy,
    pub app: TestApp,
    port: u16,
    authority: reqwest::Certificate,
    _upstream: upstream::Upstream,
    dir: PathBuf,
}

impl Drop for Stack {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

impl Stack {
    /// Starts everything, or returns `None` where the backend or the proxy
    /// is absent outside CI.
    pub async fn start(backend: Backend, kind: Kind) -> Option<Self> {
        if !kind.available() {
            return None;
        }
        let app = TestApp::spawn_with(backend, |s| configure(s, kind)).await?;
        let upstream = upstream::start().await;
        let dir = std::env::temp_dir().join(format!("portcullis-proxy-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut names = vec!["auth.example.test"];
        names.extend(SITES);
        let tls = tls::issue(&dir, &names);
        let port = crate::oidc_support::free_port();
        let portcullis = app.addr;
        let proxy = servers::start(
            kind,
            &servers::Wiring {
                dir: &dir,
                port,
                portcullis,
                upstream: upstream.addr,
                cert: &tls.cert,
                key: &tls.key,
                sites: &SITES,
            },
        );
        Some(Self {
            proxy,
            app,
            port,
            authority: tls.authority,
            _upstream: upstream,
            dir,
        })
    }

    /// A fresh browser: every test name resolves to the proxy, whose
    /// certificate it trusts; its `base` is Portcullis.
    pub fn browser(&self) -> Browser {
        let proxy = std::net::SocketAddr::from(([127, 0, 0, 1], self.port));
        let authority = self.authority.clone();
        Browser::with_builder(AUTH, move |mut builder| {
            builder = builder.tls_certs_only([authority]);
            for name in std::iter::once("auth.example.test").chain(SITES) {
                builder = builder.resolve(name, proxy);
            }
            builder
        })
    }

    /// The proxy's log, for failure messages.
    pub fn log(&self) -> String {
        self.proxy.log()
    }
}

/// GETs `url` as a page, with `extra` headers a client chose to send.
pub async fn visit(browser: &Browser, url: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut request = browser
        .client
        .get(url)
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8");
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// What the upstream received for a request that reached it.
pub async fn seen(response: reqwest::Response) -> Seen {
    let status = response.status();
    let url = response.url().to_string();
    let body = response.text().await.unwrap();
    assert_eq!(status, reqwest::StatusCode::OK, "{url}: {body}");
    Seen(serde_json::from_str(&body).unwrap_or_else(|_| panic!("{url}: not the upstream: {body}")))
}
