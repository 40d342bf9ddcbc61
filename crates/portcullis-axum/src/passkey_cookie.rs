//! The cookie that binds a passkey ceremony to the browser that began it:
//! the ceremony's secret, for its five minutes, never shown to a script.

use crate::state::Portcullis;
use axum_extra::extract::CookieJar;
use portcullis_core::SecretToken;
use portcullis_core::services::passkeys::{CEREMONY_LIFETIME, CeremonyStart};
use serde_json::Value;

/// The ceremony this browser holds, if its cookie has the shape of one.
pub(crate) fn ceremony(state: &Portcullis, jar: &CookieJar) -> Option<SecretToken> {
    jar.get(&state.inner.cookies.passkey)
        .and_then(|c| SecretToken::parse(c.value()))
}

/// Hands the browser a new ceremony: its secret in the cookie (replacing
/// any earlier one), its options for `navigator.credentials`.
pub(crate) fn begin(
    state: &Portcullis,
    jar: CookieJar,
    start: CeremonyStart,
) -> (CookieJar, Value) {
    let cookies = &state.inner.cookies;
    let cookie = cookies.build(
        &cookies.passkey,
        start.secret.expose().to_owned(),
        Some(CEREMONY_LIFETIME),
    );
    (jar.add(cookie), start.options)
}

/// Forgets the ceremony (the answer used it up, right or wrong).
pub(crate) fn end(state: &Portcullis, jar: CookieJar) -> CookieJar {
    let cookies = &state.inner.cookies;
    jar.add(cookies.removal(&cookies.passkey))
}
