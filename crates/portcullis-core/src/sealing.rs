//! Secrets that must be read back (TOTP seeds) are sealed before they are
//! stored: XChaCha20-Poly1305 under a key derived from the server secret
//! with HKDF-SHA256, so a dump of the database alone reveals none of them.
//!
//! Rotating the server secret must not destroy every enrolment: the keys of
//! the previous secrets are tried in turn when opening, and a value opened
//! with an old key is reported stale so the caller re-seals it under the
//! current one. A sealed value is `v1.` followed by the base64url (no
//! padding) of the 24-byte nonce and the ciphertext with its tag.
//!
//! ```
//! use portcullis_core::sealing::SecretBox;
//!
//! let old = SecretBox::new(b"an old secret of at least 32 bytes!", &[]);
//! let sealed = old.seal(b"seed");
//! let rotated = SecretBox::new(b"the new secret, also 32 bytes long", &[b"an old secret of at least 32 bytes!".to_vec()]);
//! let opened = rotated.open(&sealed).unwrap();
//! assert_eq!(opened.plaintext, b"seed");
//! assert!(opened.stale, "opened with a previous key: seal it again");
//! assert!(SecretBox::new(b"someone else's secret, 32 bytes..", &[]).open(&sealed).is_err());
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::Sha256;

/// What the key is for: a key derived for one purpose never opens another's.
const INFO: &[u8] = b"portcullis sealed secrets v1";
const PREFIX: &str = "v1.";
const NONCE_LEN: usize = 24;

/// Why a sealed value could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The value is not in the sealed format.
    #[error("the sealed value is malformed")]
    Malformed,
    /// No configured key opens it (sealed under a secret no longer known),
    /// or it was altered.
    #[error("no configured secret opens the sealed value")]
    NoKey,
}

/// An opened value.
#[derive(Clone, PartialEq, Eq)]
pub struct Opened {
    /// The secret.
    pub plaintext: Vec<u8>,
    /// Opened with a previous key: seal it again under the current one.
    pub stale: bool,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened")
            .field("plaintext", &"<redacted>")
            .field("stale", &self.stale)
            .finish()
    }
}

/// Seals and opens secrets under the current key, opening with previous
/// keys too.
#[derive(Clone)]
pub struct SecretBox {
    current: XChaCha20Poly1305,
    previous: Vec<XChaCha20Poly1305>,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretBox")
            .field("previous_keys", &self.previous.len())
            .finish_non_exhaustive()
    }
}

fn cipher(secret: &[u8]) -> XChaCha20Poly1305 {
    let mut key = [0u8; 32];
    // 32 bytes is far below HKDF-SHA256's output limit, so this cannot fail.
    if Hkdf::<Sha256>::new(Some(b"portcullis"), secret)
        .expand(INFO, &mut key)
        .is_err()
    {
        unreachable!("HKDF-SHA256 yields 32 bytes");
    }
    XChaCha20Poly1305::new(&Key::from(key))
}

impl SecretBox {
    /// A box keyed from `secret`, also opening what `previous` secrets sealed.
    pub fn new(secret: &[u8], previous: &[Vec<u8>]) -> Self {
        Self {
            current: cipher(secret),
            previous: previous.iter().map(|s| cipher(s)).collect(),
        }
    }

    /// A box under a random key, for a process that was given no secret:
    /// what it seals does not survive a restart.
    pub fn ephemeral() -> Self {
        let mut secret = [0u8; 32];
        rand::fill(&mut secret);
        Self::new(&secret, &[])
    }

    /// Seals `plaintext` under the current key, with a fresh random nonce.
    pub fn seal(&self, plaintext: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce);
        let nonce = XNonce::from(nonce);
        // Encryption into a Vec fails only for messages of gigabytes.
        let Ok(ciphertext) = self.current.encrypt(&nonce, plaintext) else {
            unreachable!("XChaCha20-Poly1305 seals any short message");
        };
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(out))
    }

    /// Opens a sealed value with the current key or, failing that, a
    /// previous one.
    pub fn open(&self, sealed: &str) -> Result<Opened, SealError> {
        let body = sealed.strip_prefix(PREFIX).ok_or(SealError::Malformed)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| SealError::Malformed)?;
        if bytes.len() <= NONCE_LEN {
            return Err(SealError::Malformed);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| SealError::Malformed)?;
        if let Ok(plaintext) = self.current.decrypt(&nonce, ciphertext) {
            return Ok(Opened {
                plaintext,
                stale: false,
            });
        }
        for key in &self.previous {
            if let Ok(plaintext) = key.decrypt(&nonce, ciphertext) {
                return Ok(Opened {
                    plaintext,
                    stale: true,
                });
            }
        }
        Err(SealError::NoKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_and_reveals_nothing_of_the_secret() {
        let b = SecretBox::new(b"0123456789abcdef0123456789abcdef", &[]);
        let sealed = b.seal(b"JBSWY3DPEHPK3PXP");
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("JBSWY3DP"));
        assert_ne!(
            sealed,
            b.seal(b"JBSWY3DPEHPK3PXP"),
            "a fresh nonce each time"
        );
        let opened = b.open(&sealed).unwrap();
        assert_eq!(opened.plaintext, b"JBSWY3DPEHPK3PXP");
        assert!(!opened.stale);
    }

    #[test]
    fn altered_or_malformed_values_are_refused() {
        let b = SecretBox::new(b"0123456789abcdef0123456789abcdef", &[]);
        let sealed = b.seal(b"seed");
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 2;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        assert_eq!(b.open(&altered), Err(SealError::NoKey));
        for bad in ["", "v1.", "v2.abc", "v1.!!!", "v1.AAAA"] {
            assert_eq!(b.open(bad), Err(SealError::Malformed), "{bad}");
        }
    }
}
