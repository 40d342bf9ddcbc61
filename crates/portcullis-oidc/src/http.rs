//! The HTTP client providers are spoken to with: reqwest 0.13 on rustls
//! with ring and the webpki roots, following no redirects (a redirect from a
//! token or discovery endpoint is a misconfiguration or an attack, never
//! something to follow), with short timeouts.

use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// Why a request to a provider failed.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The request could not be made or answered.
    #[error("request to the provider failed")]
    Request(#[source] reqwest::Error),
    /// The answer could not be turned into a response.
    #[error("malformed answer from the provider")]
    Answer(#[source] openidconnect::http::Error),
}

/// A client for speaking to OpenID providers. Cheap to clone.
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
}

impl HttpClient {
    /// A client with the webpki roots, no redirects, a 5-second connect and
    /// a 15-second request timeout.
    pub fn new() -> Result<Self, reqwest::Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map(|builder| builder.with_root_certificates(roots).with_no_client_auth());
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .user_agent(concat!("portcullis/", env!("CARGO_PKG_VERSION")));
        if let Ok(tls) = tls {
            builder = builder.tls_backend_preconfigured(tls);
        }
        Ok(Self {
            inner: builder.build()?,
        })
    }
}

impl<'c> AsyncHttpClient<'c> for HttpClient {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + Sync + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request = reqwest::Request::try_from(request).map_err(HttpError::Request)?;
            let response = self
                .inner
                .execute(request)
                .await
                .map_err(HttpError::Request)?;
            let mut builder = openidconnect::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = response.bytes().await.map_err(HttpError::Request)?;
            builder.body(body.to_vec()).map_err(HttpError::Answer)
        })
    }
}
