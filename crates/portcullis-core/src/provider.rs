//! What the services need from an OpenID provider, and nothing of how it is
//! spoken to: the protocol (discovery, the code exchange, ID-token
//! verification) lives behind [`IdentityProvider`] in `portcullis-oidc`, so
//! this crate still does no I/O of its own.
//!
//! The services make the secrets of a flow (state, PKCE verifier, nonce) and
//! keep them; a provider only turns them into an authorization URL and,
//! later, a code into a verified identity.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

/// One authorization request, as the browser is sent to make it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRequest {
    /// The `state` the callback must return.
    pub state: String,
    /// The PKCE verifier (the provider is sent its S256 challenge).
    pub pkce_verifier: String,
    /// The `nonce` the ID token must carry.
    pub nonce: String,
    /// Ask the provider to authenticate the person again (`prompt=login`).
    pub force_login: bool,
    /// The oldest authentication at the provider that is acceptable
    /// (`max_age`).
    pub max_age: Option<Duration>,
}

/// An identity from an ID token whose signature, issuer, audience, expiry,
/// algorithm and nonce were all verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdentity {
    /// The token's issuer (`iss`).
    pub issuer: String,
    /// The person's stable id at that issuer (`sub`).
    pub subject: String,
    /// `email`, if sent.
    pub email: Option<String>,
    /// `email_verified`; `false` when absent.
    pub email_verified: bool,
    /// `preferred_username`, if sent.
    pub preferred_username: Option<String>,
    /// `name`, if sent.
    pub name: Option<String>,
    /// When the person last authenticated at the provider (`auth_time`).
    pub auth_time: Option<OffsetDateTime>,
}

/// Why a provider could not give a verified identity. The words are for
/// the audit log (`oidc_<reason>`); the person sees one plain message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The provider cannot be reached or its discovery document is not
    /// known yet.
    #[error("the provider is unavailable: {0}")]
    Unavailable(String),
    /// The token endpoint refused the code (used, expired, or not ours).
    #[error("the provider refused the code: {0}")]
    CodeRefused(String),
    /// The ID token failed verification.
    #[error("the ID token was refused: {reason}")]
    TokenRefused {
        /// `signature`, `issuer`, `audience`, `expired`, `nonce`,
        /// `algorithm` or `malformed`.
        reason: &'static str,
    },
}

impl ProviderError {
    /// The short reason recorded in the audit log.
    pub fn reason(&self) -> &'static str {
        match self {
            ProviderError::Unavailable(_) => "unavailable",
            ProviderError::CodeRefused(_) => "code_refused",
            ProviderError::TokenRefused { reason } => reason,
        }
    }
}

/// An OpenID provider, as the services use it.
#[async_trait]
pub trait IdentityProvider: Send + Sync {
    /// The configured id (`google`): the route segment and the key of the
    /// identities it links.
    fn id(&self) -> &str;
    /// The button text.
    fn name(&self) -> &str;
    /// Where to send the browser for `request`.
    async fn authorization_url(
        &self,
        request: &AuthorizationRequest,
    ) -> Result<String, ProviderError>;
    /// Exchanges `code` (with the flow's PKCE verifier) and verifies the ID
    /// token it brings against `nonce`.
    async fn redeem(
        &self,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<VerifiedIdentity, ProviderError>;
    /// The provider's logout URL returning to `after`, if it has one.
    async fn end_session_url(&self, after: &str) -> Option<String>;
}
