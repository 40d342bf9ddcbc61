//! OpenID Connect providers for Portcullis: discovery, the
//! authorization-code flow with PKCE, and ID-token verification, behind
//! `portcullis_core::provider::IdentityProvider`.
//!
//! The protocol is `openidconnect`'s; this crate adds what a server needs
//! around it: an HTTP client that follows no redirects and times out, on
//! rustls with ring and the webpki roots; discovery that is retried with
//! backoff while the provider is down (the rest of the server works
//! meanwhile); and a refresh of the provider's keys when an ID token names
//! one it has not seen, so a key rotation does not lock everyone out.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod http;

pub use http::HttpClient;

use async_trait::async_trait;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdTokenClaims, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, ProviderMetadataWithLogout, RedirectUrl,
    RequestTokenError, Scope, SignatureVerificationError, TokenResponse,
};
use portcullis_core::provider::{
    AuthorizationRequest, IdentityProvider, ProviderError, VerifiedIdentity,
};
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// The first wait after a failed discovery; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(2);
/// The longest wait between discovery attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// A client built from discovered metadata: an authorization endpoint,
/// and token and userinfo endpoints if the provider named them.
type DiscoveredClient = openidconnect::Client<
    openidconnect::EmptyAdditionalClaims,
    openidconnect::core::CoreAuthDisplay,
    openidconnect::core::CoreGenderClaim,
    openidconnect::core::CoreJweContentEncryptionAlgorithm,
    openidconnect::core::CoreJsonWebKey,
    openidconnect::core::CoreAuthPrompt,
    openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    openidconnect::core::CoreTokenResponse,
    openidconnect::core::CoreTokenIntrospectionResponse,
    openidconnect::core::CoreRevocableToken,
    openidconnect::core::CoreRevocationErrorResponse,
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// One provider as configured.
#[derive(Clone)]
pub struct ProviderConfig {
    /// The configured id (`google`), the route segment.
    pub id: String,
    /// The button text (`Google`).
    pub name: String,
    /// The issuer URL; discovery reads `/.well-known/openid-configuration`
    /// under it.
    pub issuer: String,
    /// The client id registered at the provider.
    pub client_id: String,
    /// The client secret registered at the provider.
    pub client_secret: String,
    /// The callback URL sent to the provider (it must match exactly what is
    /// registered there).
    pub redirect_url: String,
    /// Scopes to ask for besides `openid`.
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("redirect_url", &self.redirect_url)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// Why a provider's configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The issuer is not an absolute URL, or is plain http off loopback.
    #[error("issuer {0:?} must be an https:// URL (http:// only on a loopback address)")]
    Issuer(String),
    /// The redirect URL is not an absolute URL.
    #[error("redirect URL {0:?} is not an absolute URL")]
    Redirect(String),
}

/// What discovery knows, and when to try again if it knows nothing yet.
struct Discovery {
    metadata: Option<ProviderMetadataWithLogout>,
    next_attempt: Instant,
    backoff: Duration,
}

/// An OpenID provider, discovered lazily and re-discovered on demand.
pub struct OidcProvider {
    config: ProviderConfig,
    issuer: IssuerUrl,
    redirect: RedirectUrl,
    http: HttpClient,
    discovery: RwLock<Discovery>,
}

impl std::fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProvider")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Whether `url` may be spoken to: https, or http to a loopback address.
pub fn acceptable_issuer(url: &url::Url) -> bool {
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            None => false,
        },
        _ => false,
    }
}

impl OidcProvider {
    /// A provider for `config`, not yet discovered (see
    /// [`OidcProvider::discover`]).
    pub fn new(config: ProviderConfig, http: HttpClient) -> Result<Self, ConfigError> {
        // The issuer is compared with the ID token's `iss` as written, so
        // it is kept as configured (IssuerUrl keeps the text it was given).
        let issuer = url::Url::parse(&config.issuer)
            .ok()
            .filter(acceptable_issuer)
            .and_then(|_| IssuerUrl::new(config.issuer.clone()).ok())
            .ok_or_else(|| ConfigError::Issuer(config.issuer.clone()))?;
        let redirect = RedirectUrl::new(config.redirect_url.clone())
            .map_err(|_| ConfigError::Redirect(config.redirect_url.clone()))?;
        Ok(Self {
            config,
            issuer,
            redirect,
            http,
            discovery: RwLock::new(Discovery {
                metadata: None,
                next_attempt: Instant::now(),
                backoff: FIRST_BACKOFF,
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// Reads the discovery document (and with it the keys) now, whatever
    /// is known already. On failure the next lazy attempt waits out a
    /// doubling backoff.
    pub async fn discover(&self) -> Result<(), ProviderError> {
        let mut discovery = self.discovery.write().await;
        self.discover_locked(&mut discovery).await
    }

    async fn discover_locked(&self, discovery: &mut Discovery) -> Result<(), ProviderError> {
        match ProviderMetadataWithLogout::discover_async(self.issuer.clone(), &self.http).await {
            Ok(metadata) => {
                tracing::info!(provider = %self.config.id, issuer = %self.config.issuer, "OpenID provider discovered");
                discovery.metadata = Some(metadata);
                discovery.backoff = FIRST_BACKOFF;
                Ok(())
            }
            Err(err) => {
                let detail = error_chain(&err);
                tracing::warn!(provider = %self.config.id, issuer = %self.config.issuer, error = %detail, retry_in = ?discovery.backoff, "OpenID provider discovery failed");
                discovery.next_attempt = Instant::now() + discovery.backoff;
                discovery.backoff = (discovery.backoff * 2).min(MAX_BACKOFF);
                Err(ProviderError::Unavailable(detail))
            }
        }
    }

    /// The discovered metadata, discovering now if it is unknown and the
    /// backoff has passed.
    async fn metadata(&self) -> Result<ProviderMetadataWithLogout, ProviderError> {
        if let Some(metadata) = &self.discovery.read().await.metadata {
            return Ok(metadata.clone());
        }
        let mut discovery = self.discovery.write().await;
        if let Some(metadata) = &discovery.metadata {
            return Ok(metadata.clone());
        }
        if Instant::now() < discovery.next_attempt {
            return Err(ProviderError::Unavailable(
                "waiting to retry discovery".into(),
            ));
        }
        self.discover_locked(&mut discovery).await?;
        discovery
            .metadata
            .clone()
            .ok_or_else(|| ProviderError::Unavailable("no discovery document".into()))
    }

    fn client(&self, metadata: ProviderMetadataWithLogout) -> DiscoveredClient {
        CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.config.client_secret.clone())),
        )
        .set_redirect_uri(self.redirect.clone())
    }

    /// Verifies `id_token` with the keys of `metadata`.
    fn verify(
        &self,
        metadata: ProviderMetadataWithLogout,
        id_token: &openidconnect::core::CoreIdToken,
        nonce: &str,
    ) -> Result<VerifiedIdentity, ClaimsVerificationError> {
        let client = self.client(metadata);
        let verifier = client.id_token_verifier().set_allowed_algs([
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            CoreJwsSigningAlgorithm::RsaSsaPssSha256,
            CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        ]);
        let claims = id_token.claims(&verifier, &Nonce::new(nonce.to_owned()))?;
        Ok(identity_of(claims))
    }
}

fn identity_of(claims: &CoreIdTokenClaims) -> VerifiedIdentity {
    VerifiedIdentity {
        issuer: claims.issuer().as_str().to_owned(),
        subject: claims.subject().as_str().to_owned(),
        email: claims.email().map(|e| e.as_str().to_owned()),
        email_verified: claims.email_verified().unwrap_or(false),
        preferred_username: claims.preferred_username().map(|u| u.as_str().to_owned()),
        name: claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_owned()),
        auth_time: claims
            .auth_time()
            .and_then(|at| time::OffsetDateTime::from_unix_timestamp(at.timestamp()).ok()),
    }
}

/// The audit reason for a failed verification.
fn refusal(err: &ClaimsVerificationError) -> ProviderError {
    let reason = match err {
        ClaimsVerificationError::Expired(_) => "expired",
        ClaimsVerificationError::InvalidAudience(_) => "audience",
        ClaimsVerificationError::InvalidIssuer(_) => "issuer",
        ClaimsVerificationError::InvalidNonce(_) => "nonce",
        ClaimsVerificationError::InvalidAuthTime(_) => "auth_time",
        ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::DisallowedAlg(_)
            | SignatureVerificationError::UnsupportedAlg(_)
            | SignatureVerificationError::NoSignature,
        ) => "algorithm",
        ClaimsVerificationError::SignatureVerification(_) => "signature",
        _ => "malformed",
    };
    ProviderError::TokenRefused { reason }
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[async_trait]
impl IdentityProvider for OidcProvider {
    fn id(&self) -> &str {
        &self.config.id
    }

    fn name(&self) -> &str {
        &self.config.name
    }

    async fn authorization_url(
        &self,
        request: &AuthorizationRequest,
    ) -> Result<String, ProviderError> {
        let client = self.client(self.metadata().await?);
        let verifier = PkceCodeVerifier::new(request.pkce_verifier.clone());
        let (state, nonce) = (request.state.clone(), request.nonce.clone());
        let mut authorize = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state),
                move || Nonce::new(nonce),
            )
            .set_pkce_challenge(PkceCodeChallenge::from_code_verifier_sha256(&verifier))
            .add_scopes(self.config.scopes.iter().cloned().map(Scope::new));
        if request.force_login {
            authorize = authorize.add_prompt(openidconnect::core::CoreAuthPrompt::Login);
        }
        if let Some(max_age) = request.max_age {
            authorize = authorize.set_max_age(Duration::from_secs(
                u64::try_from(max_age.whole_seconds()).unwrap_or(0),
            ));
        }
        let (url, _, _) = authorize.url();
        Ok(url.to_string())
    }

    async fn redeem(
        &self,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<VerifiedIdentity, ProviderError> {
        let metadata = self.metadata().await?;
        let client = self.client(metadata.clone());
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| ProviderError::Unavailable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|err| match err {
                RequestTokenError::ServerResponse(answer) => {
                    ProviderError::CodeRefused(answer.error().to_string())
                }
                RequestTokenError::Request(e) => ProviderError::Unavailable(error_chain(&e)),
                other => ProviderError::CodeRefused(error_chain(&other)),
            })?;
        let id_token = response.id_token().ok_or(ProviderError::TokenRefused {
            reason: "malformed",
        })?;
        match self.verify(metadata, id_token, nonce) {
            Ok(identity) => Ok(identity),
            // A key the discovered set does not hold: the provider may have
            // rotated its keys. Read them again, once, and retry.
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                self.discover().await?;
                let fresh = self.metadata().await?;
                self.verify(fresh, id_token, nonce)
                    .map_err(|err| refusal(&err))
            }
            Err(err) => Err(refusal(&err)),
        }
    }

    async fn end_session_url(&self, after: &str) -> Option<String> {
        let metadata = self.metadata().await.ok()?;
        let mut url = metadata
            .additional_metadata()
            .end_session_endpoint
            .as_ref()?
            .url()
            .clone();
        url.query_pairs_mut()
            .append_pair("client_id", &self.config.client_id)
            .append_pair("post_logout_redirect_uri", after);
        Some(url.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_are_https_or_loopback_http() {
        for ok in [
            "https://accounts.google.com",
            "http://127.0.0.1:4000",
            "http://[::1]:4000/realms/x",
            "http://localhost:8080",
        ] {
            assert!(acceptable_issuer(&url::Url::parse(ok).unwrap()), "{ok}");
        }
        for bad in [
            "http://accounts.google.com",
            "http://10.0.0.1",
            "ftp://127.0.0.1",
            "https://",
            "file:///etc/passwd",
        ] {
            let refused = url::Url::parse(bad).map_or(true, |u| !acceptable_issuer(&u));
            assert!(refused, "{bad}");
        }
    }

    fn config(issuer: &str) -> ProviderConfig {
        ProviderConfig {
            id: "corp".into(),
            name: "Corp".into(),
            issuer: issuer.into(),
            client_id: "portcullis".into(),
            client_secret: "s3cret-value".into(),
            redirect_url: "http://127.0.0.1:8080/auth/oidc/corp/callback".into(),
            scopes: vec!["email".into(), "profile".into()],
        }
    }

    #[test]
    fn a_plain_http_issuer_off_loopback_is_refused_and_the_secret_never_shows() {
        let http = HttpClient::new().unwrap();
        let err = OidcProvider::new(config("http://id.corp.example"), http.clone()).unwrap_err();
        assert!(err.to_string().contains("https://"), "{err}");
        let provider = OidcProvider::new(config("https://id.corp.example"), http).unwrap();
        let shown = format!("{provider:?}");
        assert!(
            !shown.contains("s3cret-value") && shown.contains("<redacted>"),
            "{shown}"
        );
    }

    #[tokio::test]
    async fn an_unreachable_provider_is_unavailable_and_waits_before_trying_again() {
        // A port nothing listens on: connection refused at once.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let provider = OidcProvider::new(
            config(&format!("http://127.0.0.1:{port}")),
            HttpClient::new().unwrap(),
        )
        .unwrap();
        let request = AuthorizationRequest {
            state: "s".into(),
            pkce_verifier: "v".repeat(43),
            nonce: "n".into(),
            force_login: false,
            max_age: None,
        };
        let first = provider.authorization_url(&request).await.unwrap_err();
        assert!(matches!(first, ProviderError::Unavailable(_)), "{first:?}");
        // Within the backoff no request is made: the answer says so.
        let second = provider.authorization_url(&request).await.unwrap_err();
        assert_eq!(
            second,
            ProviderError::Unavailable("waiting to retry discovery".into())
        );
    }
}
