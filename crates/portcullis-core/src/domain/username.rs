//! Usernames: 3–32 ASCII letters, digits, `_`, `.` or `-`; unique without
//! regard to case.

use std::fmt;

/// Shortest accepted username.
pub const MIN_LEN: usize = 3;
/// Longest accepted username.
pub const MAX_LEN: usize = 32;

/// A valid username, as the user typed it (surrounding spaces removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

/// Why a username was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    #[error("Username is required.")]
    /// No username was given.
    Empty,
    #[error("Username must be between {MIN_LEN} and {MAX_LEN} characters long.")]
    /// Too short or too long.
    Length,
    #[error("Username may contain only letters, digits, '_', '.' and '-'.")]
    /// A character outside letters, digits, `_`, `.`, `-`.
    Characters,
}

/// What [`Username::parse`] accepts, in words for a form to show.
///
/// ```
/// assert_eq!(
///     portcullis_core::domain::username::rules(),
///     "3 to 32 characters: letters, digits, '_', '.' and '-'."
/// );
/// ```
pub fn rules() -> String {
    format!("{MIN_LEN} to {MAX_LEN} characters: letters, digits, '_', '.' and '-'.")
}

impl Username {
    /// Parses user input.
    pub fn parse(input: &str) -> Result<Self, UsernameError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(UsernameError::Empty);
        }
        if !trimmed
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return Err(UsernameError::Characters);
        }
        if !(MIN_LEN..=MAX_LEN).contains(&trimmed.len()) {
            return Err(UsernameError::Length);
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The username as entered.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form that uniqueness and lookup use.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_letters_digits_and_the_three_punctuation_marks() {
        for ok in ["abc", "Alice_1", "a.b-c", &"x".repeat(32)] {
            assert!(Username::parse(ok).is_ok(), "{ok} should be valid");
        }
    }

    #[test]
    fn refuses_wrong_length_and_characters() {
        assert_eq!(Username::parse(""), Err(UsernameError::Empty));
        assert_eq!(Username::parse("   "), Err(UsernameError::Empty));
        assert_eq!(Username::parse("ab"), Err(UsernameError::Length));
        assert_eq!(Username::parse(&"x".repeat(33)), Err(UsernameError::Length));
        assert_eq!(
            UsernameError::Length.to_string(),
            format!("Username must be between {MIN_LEN} and {MAX_LEN} characters long.")
        );
        assert!(UsernameError::Length.to_string().contains("3 and 32"));
        for bad in ["al ice", "alice@x", "<script>", "ålice", "a\nb", "a/b"] {
            assert_eq!(
                Username::parse(bad),
                Err(UsernameError::Characters),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn key_folds_case_so_alice_and_alice_collide() {
        assert_eq!(
            Username::parse("Alice").unwrap().key(),
            Username::parse("aLICE").unwrap().key()
        );
    }
}
