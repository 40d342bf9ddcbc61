//! New passwords: NFKC-normalised, 8–128 characters, never truncated. The
//! value's `Debug` is redacted.

use std::fmt;
use unicode_normalization::UnicodeNormalization;

/// Fewest characters accepted by default.
pub const MIN_LEN: usize = 8;
/// Most characters accepted. Longer input is refused, never cut.
pub const MAX_LEN: usize = 128;

/// A password that passed the length policy, in NFKC form, ready to hash.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

/// Why a password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("Password is required.")]
    /// No password was given.
    Empty,
    #[error("Password must be at least {0} characters long.")]
    /// Shorter than the minimum (in characters).
    TooShort(usize),
    #[error("Password must be at most {0} characters long.")]
    /// Longer than the maximum (in characters).
    TooLong(usize),
}

impl Password {
    /// Parses a new password with the default minimum length.
    pub fn parse(input: &str) -> Result<Self, PasswordError> {
        Self::parse_with_min(input, MIN_LEN)
    }

    /// Parses a new password requiring at least `min_len` characters.
    pub fn parse_with_min(input: &str, min_len: usize) -> Result<Self, PasswordError> {
        if input.is_empty() {
            return Err(PasswordError::Empty);
        }
        let normalised = normalise(input);
        let chars = normalised.chars().count();
        if chars < min_len {
            return Err(PasswordError::TooShort(min_len));
        }
        if chars > MAX_LEN {
            return Err(PasswordError::TooLong(MAX_LEN));
        }
        Ok(Self(normalised))
    }

    /// The normalised password, for hashing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// NFKC normalisation, applied to every password before it is hashed or
/// verified, so that the same visible password typed on different keyboards
/// (composed or decomposed accents, full-width digits) is the same password.
pub fn normalise(input: &str) -> String {
    input.nfkc().collect()
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_counted_in_characters_not_bytes() {
        assert!(Password::parse("ééééééé").is_err()); // 7 chars, 14 bytes
        assert!(Password::parse("éééééééé").is_ok());
        assert!(Password::parse(&"é".repeat(128)).is_ok());
        assert_eq!(
            Password::parse(&"a".repeat(129)),
            Err(PasswordError::TooLong(128))
        );
        assert_eq!(Password::parse("short"), Err(PasswordError::TooShort(8)));
        assert_eq!(Password::parse(""), Err(PasswordError::Empty));
    }

    #[test]
    fn composed_and_decomposed_forms_are_the_same_password() {
        let composed = Password::parse("caf\u{e9} au lait").unwrap();
        let decomposed = Password::parse("cafe\u{301} au lait").unwrap();
        assert_eq!(composed, decomposed);
    }

    #[test]
    fn long_passwords_are_kept_whole() {
        let long = "x".repeat(100) + "tail";
        assert_eq!(Password::parse(&long).unwrap().expose(), long);
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let pw = Password::parse("correct horse battery").unwrap();
        assert_eq!(format!("{pw:?}"), "Password(<redacted>)");
    }

    mod properties {
        use super::*;
        use crate::hashing::{HashingConfig, PasswordHasher};
        use proptest::prelude::*;
        use unicode_normalization::UnicodeNormalization;

        /// Pieces whose normal forms differ: composed and decomposed
        /// accents, compatibility characters (ligatures, full-width,
        /// superscripts, the ohm and angstrom signs), Hangul.
        const PIECES: &[&str] = &[
            "a",
            "Z",
            "7",
            " ",
            "\u{e9}",
            "e\u{301}",
            "\u{fb01}",
            "fi",
            "\u{ff11}",
            "1",
            "\u{b2}",
            "2",
            "\u{2126}",
            "\u{3a9}",
            "\u{212b}",
            "\u{c5}",
            "A\u{30a}",
            "\u{ac00}",
            "\u{1100}\u{1161}",
            "\u{1e9b}\u{323}",
            "\u{2163}",
            "\u{fe64}",
        ];

        fn forms(s: &str) -> [String; 5] {
            [
                s.to_owned(),
                s.nfc().collect(),
                s.nfd().collect(),
                s.nfkc().collect(),
                s.nfkd().collect(),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(48))]

            /// A password typed in any normal form verifies against a hash
            /// made from any other, as login normalises what it is given.
            #[test]
            fn nfkc_equal_passwords_verify_alike(
                pieces in proptest::collection::vec(proptest::sample::select(PIECES), 8..20),
                hashed in 0usize..5,
                typed in 0usize..5,
            ) {
                let text: String = pieces.concat();
                let forms = forms(&text);
                let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
                let hasher = PasswordHasher::new(HashingConfig {
                    memory_kib: 1024,
                    iterations: 1,
                    parallelism: 1,
                    max_concurrent: 1,
                })
                .unwrap();
                let new = Password::parse(&forms[hashed]).unwrap();
                prop_assert_eq!(new.expose(), normalise(&forms[typed]));
                let stored = runtime.block_on(hasher.hash(new.expose())).unwrap();
                let verified = runtime
                    .block_on(hasher.verify(&normalise(&forms[typed]), &stored))
                    .unwrap();
                prop_assert!(verified.matches);
                // And a password that differs after normalisation does not.
                let other = format!("{}x", forms[typed]);
                let verified = runtime.block_on(hasher.verify(&normalise(&other), &stored)).unwrap();
                prop_assert!(!verified.matches);
            }
        }
    }
}
