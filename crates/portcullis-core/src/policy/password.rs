//! Password policy after NIST SP 800-63B: a minimum length, no composition
//! rules, and a refusal of passwords that are common, predictable, or built
//! from the account's own name.

use crate::domain::fields::FieldErrors;
use crate::domain::password::Password;
use zxcvbn::matching::patterns::MatchPattern;

/// How many of the most common passwords are refused. The list shipped with
/// `zxcvbn` ranks 30,000; the first 10,000 are the ones attackers try first.
pub const COMMON_PASSWORDS_REFUSED: usize = 10_000;

/// What a new password must satisfy beyond its length limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Fewest characters (default 8).
    pub min_length: usize,
    /// Refuse the most common passwords, and repeats/sequences (default on).
    pub reject_common: bool,
    /// Refuse passwords containing the username or the email's local part.
    pub reject_personal: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: crate::domain::password::MIN_LEN,
            reject_common: true,
            reject_personal: true,
        }
    }
}

impl PasswordPolicy {
    /// What [`PasswordPolicy::check`] (and the length limits of
    /// [`Password`]) ask of a new password, one sentence a rule, for a form
    /// to show before anything is typed.
    ///
    /// ```
    /// use portcullis_core::policy::PasswordPolicy;
    ///
    /// let rules = PasswordPolicy { min_length: 12, ..PasswordPolicy::default() }.rules();
    /// assert_eq!(rules[0], "12 to 128 characters; spaces are fine.");
    /// assert_eq!(rules.len(), 3);
    /// ```
    pub fn rules(&self) -> Vec<String> {
        let mut rules = vec![format!(
            "{} to {} characters; spaces are fine.",
            self.min_length,
            crate::domain::password::MAX_LEN
        )];
        if self.reject_personal {
            rules.push("Not containing your username or the name of your email address.".into());
        }
        if self.reject_common {
            rules.push(
                "Not a common password, nor one repeated or sequential run such as 'aaaaaaaa' or '12345678'."
                    .into(),
            );
        }
        rules
    }

    /// Checks `password` for an account named `username` with `email_local`
    /// as the part of its address before the `@`. Errors are reported under
    /// the field name `field`.
    ///
    /// ```
    /// use portcullis_core::{Password, policy::PasswordPolicy};
    ///
    /// let policy = PasswordPolicy::default();
    /// let check = |pw: &str| policy.check(&Password::parse(pw).unwrap(), "alice", "alice.smith", "password");
    /// assert!(check("correct horse battery staple").is_ok());
    /// assert!(check("password1").is_err());
    /// assert!(check("alice2024!").is_err());
    /// ```
    pub fn check(
        &self,
        password: &Password,
        username: &str,
        email_local: &str,
        field: &'static str,
    ) -> Result<(), FieldErrors> {
        let pw = password.expose();
        if pw.chars().count() < self.min_length {
            return Err(FieldErrors::single(
                field,
                format!(
                    "Password must be at least {} characters long.",
                    self.min_length
                ),
            ));
        }
        if self.reject_personal {
            let lower = pw.to_lowercase();
            for (part, what) in [
                (username, "your username"),
                (email_local, "your email address"),
            ] {
                let part = part.to_lowercase();
                if part.chars().count() >= 3 && lower.contains(&part) {
                    return Err(FieldErrors::single(
                        field,
                        format!("Password must not contain {what}."),
                    ));
                }
            }
        }
        if self.reject_common
            && let Some(reason) = predictability(pw)
        {
            return Err(FieldErrors::single(field, reason));
        }
        Ok(())
    }
}

/// Why a password is guessable, if it is: it *is* a common password (in any
/// case), or it is nothing but one repeated or sequential run.
fn predictability(password: &str) -> Option<&'static str> {
    // zxcvbn's cost grows with length; past this nothing is "common".
    if password.chars().count() > 64 {
        return None;
    }
    let entropy = zxcvbn::zxcvbn(password, &[]);
    let sequence = entropy.sequence();
    let [only] = sequence else { return None };
    if only.token.chars().count() != password.chars().count() {
        return None;
    }
    match &only.pattern {
        // zxcvbn does not export its dictionary type, but its default
        // variant is the common-passwords list.
        MatchPattern::Dictionary(d)
            if d.dictionary_name == Default::default()
                && d.rank <= COMMON_PASSWORDS_REFUSED
                && !d.reversed
                && !d.l33t =>
        {
            Some("This password is too common. Choose one that is harder to guess.")
        }
        MatchPattern::Repeat(_) | MatchPattern::Sequence(_) => {
            Some("This password is too predictable (repeated or sequential characters).")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pw: &str) -> Result<(), String> {
        PasswordPolicy::default()
            .check(
                &Password::parse(pw).unwrap(),
                "alice",
                "alice.smith",
                "password",
            )
            .map_err(|e| e.get("password").unwrap_or_default().to_owned())
    }

    #[test]
    fn common_passwords_are_refused_in_any_case() {
        for pw in [
            "password",
            "Password",
            "PASSWORD1",
            "12345678",
            "qwertyuiop",
            "iloveyou",
            "football",
            "baseball1",
        ] {
            let err = check(pw).expect_err(pw);
            assert!(err.contains("too common"), "{pw}: {err}");
        }
    }

    #[test]
    fn repeats_and_sequences_are_refused() {
        for pw in ["aaaaaaaaaa", "abcdefghij", "9876543210"] {
            assert!(check(pw).is_err(), "{pw}");
        }
    }

    #[test]
    fn the_username_and_email_local_part_are_refused() {
        assert_eq!(
            check("my-Alice-pass!").unwrap_err(),
            "Password must not contain your username."
        );
        assert_eq!(
            check("xx alice.smith xx").unwrap_err(),
            "Password must not contain your username."
        );
        let policy = PasswordPolicy::default();
        let err = policy
            .check(
                &Password::parse("bob.jones rules").unwrap(),
                "zed",
                "bob.jones",
                "password",
            )
            .unwrap_err();
        assert_eq!(
            err.get("password"),
            Some("Password must not contain your email address.")
        );
    }

    #[test]
    fn long_passphrases_and_unicode_pass_without_composition_rules() {
        for pw in [
            "correct horse battery staple",
            "żółta gęś lata nocą",
            "tr0ub4dor&3-extra",
            &"x7".repeat(50),
        ] {
            assert!(check(pw).is_ok(), "{pw}: {:?}", check(pw));
        }
    }

    #[test]
    fn the_minimum_length_is_configurable() {
        let policy = PasswordPolicy {
            min_length: 12,
            ..PasswordPolicy::default()
        };
        let err = policy
            .check(
                &Password::parse("short pass1").unwrap(),
                "zed",
                "z",
                "password",
            )
            .unwrap_err();
        assert_eq!(
            err.get("password"),
            Some("Password must be at least 12 characters long.")
        );
    }
}
