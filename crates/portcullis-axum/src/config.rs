//! Settings of the web layer. The binary builds them from its configuration
//! file and environment; embedding applications build them in code.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

/// Web-layer settings.
#[derive(Clone)]
pub struct WebConfig {
    /// Where users reach Portcullis. An `https` URL turns on `Secure`,
    /// `__Host-` cookies and HSTS.
    pub public_url: Url,
    /// Server secret keying CSRF tokens. At least 32 bytes.
    pub secret: Vec<u8>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Directory whose templates override the embedded ones, file by file.
    pub templates_dir: Option<PathBuf>,
    /// Shown in page titles and the header.
    pub site_name: String,
    /// Development mode: shown as a banner on every page.
    pub dev_mode: bool,
    /// Reverse proxies whose `X-Forwarded-For` is believed. Empty: the
    /// client IP is the socket's peer, whatever the headers say.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Longest a request may take from its headers being read to its
    /// answer, reading the body and running the handler included. A body
    /// still arriving then is answered `408`, a handler still running `503`.
    /// `None`: no limit.
    pub request_timeout: Option<Duration>,
    /// Forward authentication for a reverse proxy (`/auth/verify`); `None`
    /// leaves the route answering 404.
    pub forward_auth: Option<crate::forward::ForwardAuth>,
    /// Shares the session cookie with every host under this domain, so one
    /// login serves every site behind the proxy. `None`: host-only.
    pub cookie_domain: Option<String>,
    /// Record request counts and latencies per route in the process's
    /// metrics recorder (the binary serves them on `metrics.listen`).
    pub metrics: bool,
}

impl WebConfig {
    /// Settings with defaults for everything but the URL and the secret.
    pub fn new(public_url: Url, secret: Vec<u8>) -> Self {
        Self {
            public_url,
            secret,
            max_body_bytes: 64 * 1024,
            templates_dir: None,
            site_name: "Portcullis".to_owned(),
            dev_mode: false,
            trusted_proxies: Vec::new(),
            request_timeout: Some(Duration::from_secs(30)),
            forward_auth: None,
            cookie_domain: None,
            metrics: false,
        }
    }

    /// Whether the site is served over TLS.
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}

impl fmt::Debug for WebConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebConfig")
            .field("public_url", &self.public_url.as_str())
            .field("secret", &"<redacted>")
            .field("max_body_bytes", &self.max_body_bytes)
            .field("templates_dir", &self.templates_dir)
            .field("site_name", &self.site_name)
            .field("dev_mode", &self.dev_mode)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("request_timeout", &self.request_timeout)
            .finish()
    }
}
