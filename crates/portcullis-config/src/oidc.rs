//! The `[oidc]` section: OpenID Connect providers, one table each, keyed by
//! an id that is also their route segment (`/auth/oidc/<id>/callback`).
//!
//! ```toml
//! [oidc.providers.google]
//! client_id = "1234567890-abc123.apps.googleusercontent.com"
//! client_secret = "…"
//! ```
//!
//! The id `google` is a preset: its issuer, button text and email trust
//! need not be written, and the server also serves the callback paths the
//! Flask tutorials registered at Google. Any other id needs its `issuer`.
//!
//! Variables reach a provider by its id in upper case between `__`
//! (`PORTCULLIS_OIDC__PROVIDERS__GOOGLE__CLIENT_SECRET` sets
//! `oidc.providers.google.client_secret`), key by key over the file, and may
//! declare a provider the file does not have. The id segment is read in
//! lower case and otherwise literally: `_` stays `_` and `-` stays `-`, which
//! most shells cannot put in a variable's name, so a provider set from the
//! environment has an id without `-`. Two ids that differ only by `-` for
//! `_` are refused, as the variable meant for one sets the other.

use crate::{RegistrationSettings, Settings, SettingsError, invalid, value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The id of the preset provider.
pub const GOOGLE: &str = "google";

/// Google's issuer, the preset's.
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";

/// Callback paths the server also serves for `google`: where the Flask
/// tutorials (Authlib, Flask-Dance) had operators register their redirect
/// URI at Google, so that moving to Portcullis needs no change there.
const GOOGLE_LEGACY_PATHS: [&str; 3] = [
    "/authorize/google",
    "/auth/authorize/google",
    "/auth/login/google/callback",
];

/// The scopes asked for when a provider names none.
const DEFAULT_SCOPES: [&str; 3] = ["openid", "email", "profile"];

/// `[oidc]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct OidcSettings {
    /// `[oidc.providers.<id>]` tables, by id.
    pub providers: BTreeMap<String, OidcProviderSettings>,
}

/// `[oidc.providers.<id>]`: one provider as configured. Unset keys take
/// the preset's value or the default in [`ResolvedProvider`].
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct OidcProviderSettings {
    /// The client id the provider issued for this server. Required.
    pub client_id: String,
    /// Its client secret. Required.
    pub client_secret: String,
    /// The issuer identifier, as the provider's ID tokens write it (kept as
    /// given: `https://accounts.google.com` has no trailing slash). Required
    /// except for `google`; https, or http to a provider on loopback.
    pub issuer: Option<String>,
    /// Button text; unset means `Google` for the preset, else the id.
    pub name: Option<String>,
    /// Scopes asked for; unset means `openid`, `email`, `profile`. Must
    /// contain `openid`.
    pub scopes: Option<Vec<String>>,
    /// Which of the provider's [callback paths](ResolvedProvider::callback_paths)
    /// is sent as the redirect URI (after `public_url`); unset means
    /// `/auth/oidc/<id>/callback`.
    pub redirect_path: Option<String>,
    /// Whether a sign-in with no account to link may create one; unset
    /// means `registration.enabled`.
    pub allow_registration: Option<bool>,
    /// Whether the provider's `email_verified` is believed; unset means yes
    /// for `google` at Google's issuer and no for any other.
    pub trust_email: Option<bool>,
    /// Role an account created from this provider receives; unset means
    /// `registration.default_role`. The server checks at start that it
    /// exists, as it checks `registration.default_role`.
    pub default_role: Option<String>,
    /// Also end the session at the provider on logout.
    pub logout_at_provider: bool,
}

impl fmt::Debug for OidcProviderSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcProviderSettings")
            .field("client_id", &self.client_id)
            .field("client_secret", &redacted(&self.client_secret))
            .field("issuer", &self.issuer)
            .field("name", &self.name)
            .field("scopes", &self.scopes)
            .field("redirect_path", &self.redirect_path)
            .field("allow_registration", &self.allow_registration)
            .field("trust_email", &self.trust_email)
            .field("default_role", &self.default_role)
            .field("logout_at_provider", &self.logout_at_provider)
            .finish()
    }
}

/// A provider with its preset and defaults applied: what the server uses.
#[derive(Clone, PartialEq, Eq)]
pub struct ResolvedProvider {
    /// The id: `google`, as in `/auth/oidc/google/callback`.
    pub id: String,
    /// Button text.
    pub name: String,
    /// The issuer identifier, exactly as configured or preset.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub scopes: Vec<String>,
    /// The path (after `public_url`) sent to the provider as the redirect
    /// URI; one of [`callback_paths`](Self::callback_paths).
    pub redirect_path: String,
    pub allow_registration: bool,
    pub trust_email: bool,
    /// The role a new account receives, if any.
    pub default_role: Option<String>,
    pub logout_at_provider: bool,
}

impl fmt::Debug for ResolvedProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResolvedProvider")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &redacted(&self.client_secret))
            .field("scopes", &self.scopes)
            .field("redirect_path", &self.redirect_path)
            .field("allow_registration", &self.allow_registration)
            .field("trust_email", &self.trust_email)
            .field("default_role", &self.default_role)
            .field("logout_at_provider", &self.logout_at_provider)
            .finish()
    }
}

impl ResolvedProvider {
    /// The callback paths the server serves for this provider:
    /// `/auth/oidc/<id>/callback`, and for `google` also the legacy
    /// `/authorize/google`, `/auth/authorize/google` and
    /// `/auth/login/google/callback`.
    pub fn callback_paths(&self) -> Vec<String> {
        callback_paths(&self.id)
    }
}

impl Settings {
    /// Every configured provider, resolved, sorted by id. Meant for settings
    /// that passed [`validate`](Settings::validate): a provider it would
    /// refuse resolves with what is there (no issuer: an empty one).
    pub fn oidc_providers(&self) -> Vec<ResolvedProvider> {
        self.oidc
            .providers
            .iter()
            .map(|(id, provider)| resolve(id, provider, &self.registration))
            .collect()
    }
}

fn resolve(
    id: &str,
    provider: &OidcProviderSettings,
    registration: &RegistrationSettings,
) -> ResolvedProvider {
    let preset = id == GOOGLE;
    let issuer = match (&provider.issuer, preset) {
        (Some(issuer), _) => issuer.clone(),
        (None, true) => GOOGLE_ISSUER.to_owned(),
        (None, false) => String::new(),
    };
    // Believing a provider's `email_verified` links accounts by address, so
    // it is the default only where it is known to hold: Google itself, not
    // whatever else the id `google` is pointed at.
    let trust_email = provider
        .trust_email
        .unwrap_or(preset && issuer == GOOGLE_ISSUER);
    ResolvedProvider {
        id: id.to_owned(),
        name: provider
            .name
            .clone()
            .unwrap_or_else(|| if preset { "Google" } else { id }.to_owned()),
        issuer,
        client_id: provider.client_id.clone(),
        client_secret: provider.client_secret.clone(),
        scopes: provider
            .scopes
            .clone()
            .unwrap_or_else(|| DEFAULT_SCOPES.map(str::to_owned).to_vec()),
        redirect_path: provider
            .redirect_path
            .clone()
            .unwrap_or_else(|| default_path(id)),
        allow_registration: provider.allow_registration.unwrap_or(registration.enabled),
        trust_email,
        default_role: provider
            .default_role
            .clone()
            .or_else(|| registration.default_role.clone()),
        logout_at_provider: provider.logout_at_provider,
    }
}

/// `/auth/oidc/<id>/callback`.
fn default_path(id: &str) -> String {
    format!("/auth/oidc/{id}/callback")
}

fn callback_paths(id: &str) -> Vec<String> {
    let mut paths = vec![default_path(id)];
    if id == GOOGLE {
        paths.extend(GOOGLE_LEGACY_PATHS.map(str::to_owned));
    }
    paths
}

/// A secret as `Debug` shows it: whether there is one, never what.
fn redacted(secret: &str) -> Option<&'static str> {
    (!secret.is_empty()).then_some("<redacted>")
}

impl OidcSettings {
    /// Checks every provider, naming the key at fault as
    /// `oidc.providers.<id>.<key>`. Whether `default_role` exists is for the
    /// server's start to judge, as for `registration.default_role`.
    pub(crate) fn validate(&self) -> Result<(), SettingsError> {
        for id in self.providers.keys() {
            value::id(id).map_err(|problem| invalid(&format!("oidc.providers.{id}"), problem))?;
            let alike = |other: &&String| other != &id && same_variable(other, id);
            if let Some(other) = self.providers.keys().find(alike) {
                let (dashed, plain) = if id.contains('-') {
                    (id, other)
                } else {
                    (other, id)
                };
                return Err(invalid(
                    &format!("oidc.providers.{plain}"),
                    format!(
                        "oidc.providers.{plain} and oidc.providers.{dashed} differ only by _ \
                         for -, and a variable meant for {dashed} (most shells cannot write - \
                         in a name) sets {plain}; rename {dashed} to {plain} to set it from \
                         the environment"
                    ),
                ));
            }
        }
        for (id, provider) in &self.providers {
            provider.validate(id)?;
        }
        Ok(())
    }
}

/// Whether the ids `a` and `b` are the same once `-` is read as `_`.
fn same_variable(a: &str, b: &str) -> bool {
    a.replace('-', "_") == b.replace('-', "_")
}

impl OidcProviderSettings {
    fn validate(&self, id: &str) -> Result<(), SettingsError> {
        let key = |name: &str| format!("oidc.providers.{id}.{name}");
        if self.client_id.trim().is_empty() {
            return Err(invalid(&key("client_id"), "is required"));
        }
        if self.client_secret.trim().is_empty() {
            return Err(invalid(&key("client_secret"), "is required"));
        }
        match &self.issuer {
            None if id == GOOGLE => {}
            None => {
                return Err(invalid(
                    &key("issuer"),
                    format!("is required: only {GOOGLE} has a preset ({GOOGLE_ISSUER})"),
                ));
            }
            Some(issuer) => {
                check_issuer(issuer).map_err(|problem| invalid(&key("issuer"), problem))?;
            }
        }
        if let Some(scopes) = &self.scopes {
            if let Some(scope) = scopes
                .iter()
                .find(|s| s.is_empty() || s.contains(char::is_whitespace))
            {
                return Err(invalid(
                    &key("scopes"),
                    format!("{scope:?} is not one scope: write each scope as an item of its own"),
                ));
            }
            if !scopes.iter().any(|s| s == "openid") {
                return Err(invalid(
                    &key("scopes"),
                    "must contain \"openid\": without it the provider signs no ID token",
                ));
            }
        }
        if let Some(path) = &self.redirect_path {
            let allowed = callback_paths(id);
            if !allowed.contains(path) {
                let listed: Vec<String> = allowed.iter().map(|p| format!("{p:?}")).collect();
                return Err(invalid(
                    &key("redirect_path"),
                    format!(
                        "{path:?} is not a path the server serves for {id}; it must be {}{}",
                        if listed.len() > 1 { "one of " } else { "" },
                        listed.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// An absolute https URL without query or fragment; plain http only to a
/// provider on loopback (`localhost`, 127.0.0.0/8, ::1), as in tests.
fn check_issuer(issuer: &str) -> Result<(), String> {
    let url = url::Url::parse(issuer).map_err(|_| format!("{issuer:?} is not an absolute URL"))?;
    let loopback = url.host_str().is_some_and(crate::mail::is_loopback_host);
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => {
            return Err(format!(
                "{issuer:?} is not https (plain http is allowed only to a provider on \
                 loopback: localhost, 127.0.0.0/8, ::1)"
            ));
        }
    }
    if url.host().is_none() {
        return Err(format!("{issuer:?} has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{issuer:?} has a query or a fragment, which an issuer never has"
        ));
    }
    Ok(())
}
