//! The OpenID providers of `[oidc.providers.<id>]`, made ready for the
//! services: each one's protocol side (`portcullis-oidc`), its trust
//! policy, and a first discovery in the background. A provider that is
//! down at start does not stop the server: discovery is retried with
//! backoff when someone signs in, and the button answers "temporarily
//! unavailable" meanwhile.

use anyhow::Context as _;
use portcullis_core::policy::identity::ProviderPolicy;
use portcullis_core::services::identities::ConfiguredProvider;
use portcullis_oidc::{HttpClient, OidcProvider, ProviderConfig};
use std::sync::Arc;
use url::Url;

use crate::settings::Settings;

/// The configured providers, with their callback URLs under `public_url`.
pub fn configured(
    settings: &Settings,
    public_url: &Url,
) -> anyhow::Result<Vec<ConfiguredProvider>> {
    let resolved = settings.oidc_providers();
    if resolved.is_empty() {
        return Ok(Vec::new());
    }
    let http =
        HttpClient::new().context("could not set up the HTTP client for OpenID providers")?;
    let mut providers = Vec::with_capacity(resolved.len());
    for p in resolved {
        let redirect_url = public_url
            .join(p.redirect_path.trim_start_matches('/'))
            .with_context(|| format!("oidc.providers.{}.redirect_path", p.id))?;
        let provider = OidcProvider::new(
            ProviderConfig {
                id: p.id.clone(),
                name: p.name.clone(),
                issuer: p.issuer.clone(),
                client_id: p.client_id.clone(),
                client_secret: p.client_secret.clone(),
                redirect_url: redirect_url.to_string(),
                // openidconnect asks for `openid` itself.
                scopes: p
                    .scopes
                    .iter()
                    .filter(|s| *s != "openid")
                    .cloned()
                    .collect(),
            },
            http.clone(),
        )
        .with_context(|| format!("oidc.providers.{}", p.id))?;
        let provider = Arc::new(provider);
        let first = provider.clone();
        tokio::spawn(async move {
            if let Err(err) = first.discover().await {
                tracing::warn!(provider = first.config().id, error = %err,
                    "OpenID provider not reachable yet; sign-in with it retries with backoff");
            }
        });
        providers.push(ConfiguredProvider {
            provider,
            policy: ProviderPolicy {
                id: p.id.clone(),
                trust_email: p.trust_email,
                allow_registration: p.allow_registration,
                default_role: p.default_role.clone(),
            },
            logout_at_provider: p.logout_at_provider,
        });
    }
    Ok(providers)
}
