//! Secret tokens (session, later reset/confirmation/API tokens) and the hashes
//! that are all the database ever sees of them.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use std::fmt;

/// Number of random bytes in a token: 256 bits.
pub const TOKEN_BYTES: usize = 32;

/// A freshly generated or presented secret token. Its `Debug` is redacted so
/// it cannot leak into logs by accident.
///
/// ```
/// use portcullis_core::SecretToken;
///
/// let token = SecretToken::generate();
/// let presented = SecretToken::parse(token.expose()).unwrap();
/// assert_eq!(token.hash(), presented.hash());
/// assert_eq!(format!("{token:?}"), "SecretToken(<redacted>)");
/// assert!(SecretToken::parse("not a token").is_none());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl SecretToken {
    /// 32 bytes from the operating system's CSPRNG, base64url without padding.
    pub fn generate() -> Self {
        let mut bytes = [0u8; TOKEN_BYTES];
        rand::fill(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Accepts a token as presented by a client (cookie, link, header) if it
    /// has the shape of one; anything else is `None` without further work.
    pub fn parse(presented: &str) -> Option<Self> {
        let decoded = URL_SAFE_NO_PAD.decode(presented.as_bytes()).ok()?;
        (decoded.len() == TOKEN_BYTES).then(|| Self(presented.to_owned()))
    }

    /// The secret itself, to put in a cookie or a link. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The SHA-256 of the token: what is stored and looked up.
    pub fn hash(&self) -> TokenHash {
        TokenHash(hex::encode(Sha256::digest(self.0.as_bytes())))
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(<redacted>)")
    }
}

/// Hex SHA-256 of a [`SecretToken`]. A leak of the database leaks these, which
/// cannot be turned back into usable tokens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    /// Wraps a hash read back from storage.
    pub fn from_stored(hex: String) -> Self {
        Self(hex)
    }

    /// The lowercase hex digest.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
