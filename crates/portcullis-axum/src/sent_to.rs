//! The address a new account's confirmation link went to, carried from the
//! registration form to the next page so that page can name it.
//!
//! Flash messages carry only a code (see [`crate::flash`]); this is the one
//! piece of text that travels with one, so it is signed under the server
//! secret: a cookie that another site or a sibling host plants is ignored,
//! and only an address this server itself wrote can appear on the page.

use crate::state::Portcullis;
use axum_extra::extract::CookieJar;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;
use time::Duration;

/// The key addresses are signed under.
pub(crate) struct SentToKey(Vec<u8>);

impl std::fmt::Debug for SentToKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SentToKey(<redacted>)")
    }
}

impl SentToKey {
    pub fn new(secret: &[u8]) -> Self {
        Self(crate::csrf::mac(secret, b"portcullis sent-to key v1"))
    }

    /// `address` with its signature, as the cookie carries it.
    fn seal(&self, address: &str) -> String {
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(address),
            URL_SAFE_NO_PAD.encode(crate::csrf::mac(&self.0, address.as_bytes()))
        )
    }

    /// The address in `value` if this key signed it.
    fn open(&self, value: &str) -> Option<String> {
        let (address, signature) = value.split_once('.')?;
        let address = String::from_utf8(URL_SAFE_NO_PAD.decode(address).ok()?).ok()?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        let expected = crate::csrf::mac(&self.0, address.as_bytes());
        bool::from(expected.ct_eq(&signature)).then_some(address)
    }
}

/// Adds the cookie naming `address` to `jar`; it lives as long as a flash.
pub(crate) fn set(state: &Portcullis, jar: CookieJar, address: &str) -> CookieJar {
    let cookies = &state.inner.cookies;
    jar.add(cookies.build(
        &cookies.sent_to,
        state.inner.sent_to.seal(address),
        Some(Duration::minutes(5)),
    ))
}

/// The address the cookie in `jar` names, if it is one this server signed.
pub(crate) fn pending(state: &Portcullis, jar: &CookieJar) -> Option<String> {
    state
        .inner
        .sent_to
        .open(jar.get(&state.inner.cookies.sent_to)?.value())
}

#[cfg(test)]
mod tests {
    use super::SentToKey;

    #[test]
    fn only_an_address_this_key_signed_opens() {
        let key = SentToKey::new(&[7u8; 32]);
        let sealed = key.seal("alice@example.com");
        assert_eq!(key.open(&sealed).as_deref(), Some("alice@example.com"));
        assert_eq!(SentToKey::new(&[8u8; 32]).open(&sealed), None);
        let (_, signature) = sealed.split_once('.').unwrap();
        let forged = format!(
            "{}.{signature}",
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                "mallory@example.com"
            )
        );
        assert_eq!(key.open(&forged), None);
        for junk in ["", ".", "abc", "a.b.c", "%%.%%"] {
            assert_eq!(key.open(junk), None, "{junk}");
        }
    }
}
