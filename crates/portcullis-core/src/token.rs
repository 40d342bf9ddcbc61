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

/// Serde for a [`SecretToken`] field of a message that is sealed before it
/// is stored (the mail queue): the token in the clear, for the sealed
/// payload only. `SecretToken` itself has no `Serialize`, so a token cannot
/// reach a log or an answer through serde by accident.
pub(crate) mod sealed_field {
    use super::SecretToken;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(token: &SecretToken, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(token.expose())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SecretToken, D::Error> {
        let text = String::deserialize(d)?;
        SecretToken::parse(&text).ok_or_else(|| serde::de::Error::custom("not a token"))
    }

    /// The same for an optional token.
    pub(crate) mod option {
        use super::SecretToken;
        use serde::{Deserialize, Deserializer, Serializer};

        pub(crate) fn serialize<S: Serializer>(
            token: &Option<SecretToken>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match token {
                Some(token) => s.serialize_some(token.expose()),
                None => s.serialize_none(),
            }
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<SecretToken>, D::Error> {
            Option::<String>::deserialize(d)?
                .map(|text| {
                    SecretToken::parse(&text).ok_or_else(|| serde::de::Error::custom("not a token"))
                })
                .transpose()
        }
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

/// What every API token starts with, so secret scanners can find one that
/// leaked into a repository or a log.
pub const API_TOKEN_PREFIX: &str = "pcl_";
/// Base62 characters of an API token's random part: 43 of them carry 256
/// bits (62^43 > 2^256).
const API_RANDOM_LEN: usize = 43;
/// Base62 characters of the CRC32 that ends an API token (62^6 > 2^32).
const API_CHECK_LEN: usize = 6;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// An API token: `pcl_`, 43 random base62 characters, and a 6-character
/// base62 CRC32 of the random part, so that a mistyped or truncated token
/// is refused before any lookup. Only its SHA-256 is stored.
///
/// ```
/// use portcullis_core::token::ApiTokenSecret;
///
/// let token = ApiTokenSecret::generate();
/// assert!(token.expose().starts_with("pcl_"));
/// assert_eq!(token.expose().len(), 4 + 43 + 6);
/// let presented = ApiTokenSecret::parse(token.expose()).unwrap();
/// assert_eq!(presented.hash(), token.hash());
/// // One character changed: the checksum no longer matches.
/// let mut typo = token.expose().to_owned();
/// let last = typo.pop().unwrap();
/// typo.push(if last == 'a' { 'b' } else { 'a' });
/// assert!(ApiTokenSecret::parse(&typo).is_none());
/// assert_eq!(format!("{token:?}"), "ApiTokenSecret(<redacted>)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ApiTokenSecret(String);

impl ApiTokenSecret {
    /// A new token from the operating system's CSPRNG: each random
    /// character is drawn uniformly from the 62 of base62.
    pub fn generate() -> Self {
        use rand::distr::{Alphanumeric, Distribution};
        let random: String = Alphanumeric
            .sample_iter(rand::rng())
            .take(API_RANDOM_LEN)
            .map(char::from)
            .collect();
        let check = checksum(&random);
        Self(format!("{API_TOKEN_PREFIX}{random}{check}"))
    }

    /// Accepts a presented token if it has the shape of one and its
    /// checksum matches; anything else is `None` without further work.
    pub fn parse(presented: &str) -> Option<Self> {
        let rest = presented.strip_prefix(API_TOKEN_PREFIX)?;
        if rest.len() != API_RANDOM_LEN + API_CHECK_LEN
            || !rest.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return None;
        }
        let (random, check) = rest.split_at(API_RANDOM_LEN);
        (checksum(random) == check).then(|| Self(presented.to_owned()))
    }

    /// The secret, to show its owner once. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The SHA-256 of the whole token: what is stored and looked up.
    pub fn hash(&self) -> TokenHash {
        TokenHash(hex::encode(Sha256::digest(self.0.as_bytes())))
    }
}

impl fmt::Debug for ApiTokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiTokenSecret(<redacted>)")
    }
}

/// The CRC32 of `random`, as 6 base62 digits, most significant first.
fn checksum(random: &str) -> String {
    let mut n = crc32fast::hash(random.as_bytes());
    let mut digits = [b'0'; API_CHECK_LEN];
    for digit in digits.iter_mut().rev() {
        *digit = BASE62[(n % 62) as usize];
        n /= 62;
    }
    digits.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_tokens_differ_and_have_the_documented_shape() {
        let a = ApiTokenSecret::generate();
        let b = ApiTokenSecret::generate();
        assert_ne!(a, b);
        for t in [&a, &b] {
            let s = t.expose();
            assert_eq!(s.len(), 53);
            assert!(s[4..].bytes().all(|c| c.is_ascii_alphanumeric()), "{s}");
        }
    }

    #[test]
    fn malformed_api_tokens_are_refused_before_any_lookup() {
        let good = ApiTokenSecret::generate();
        let s = good.expose();
        for bad in [
            "",
            "pcl_",
            &s[..s.len() - 1],
            &format!("{s}0"),
            &s.replacen("pcl_", "pcx_", 1),
            &s.replacen("pcl_", "", 1),
            &format!("{}-{}", &s[..20], &s[21..]),
        ] {
            assert!(ApiTokenSecret::parse(bad).is_none(), "{bad:?}");
        }
        // A session token is not an API token.
        assert!(ApiTokenSecret::parse(SecretToken::generate().expose()).is_none());
    }

    #[test]
    fn the_checksum_is_the_crc32_in_base62() {
        // Values from Python's zlib.crc32, encoded by hand.
        assert_eq!(checksum(""), "000000");
        assert_eq!(checksum("a"), "4GEHKN");
        assert_eq!(checksum("123456789"), "3jZRME");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Every generated token of either kind parses, as the kind it is.
            #[test]
            fn generated_tokens_always_parse(_round in 0u8..32) {
                let session = SecretToken::generate();
                prop_assert_eq!(SecretToken::parse(session.expose()).map(|t| t.hash()), Some(session.hash()));
                prop_assert!(ApiTokenSecret::parse(session.expose()).is_none());
                let api = ApiTokenSecret::generate();
                prop_assert_eq!(ApiTokenSecret::parse(api.expose()).map(|t| t.hash()), Some(api.hash()));
                prop_assert!(SecretToken::parse(api.expose()).is_none());
            }

            /// The checksum catches every single-character change: to any
            /// other character, anywhere in the token.
            #[test]
            fn every_single_character_change_is_refused(
                at in 0usize..53,
                replacement in proptest::sample::select(BASE62.as_slice()),
            ) {
                let token = ApiTokenSecret::generate();
                let mut typo = token.expose().as_bytes().to_vec();
                prop_assume!(typo[at] != replacement);
                typo[at] = replacement;
                let typo = String::from_utf8(typo).unwrap();
                prop_assert!(ApiTokenSecret::parse(&typo).is_none(), "{} parses", typo);
            }
        }
    }
}
