//! When a second factor is asked for, and how long its steps may take.

use time::Duration;

/// The two-factor policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwoFactorPolicy {
    /// Every account must enrol a second factor.
    pub required: bool,
    /// Holders of these roles must enrol a second factor.
    pub required_for_roles: Vec<String>,
    /// Shown by authenticator apps beside the account (the site's name).
    pub issuer: String,
    /// How recent a login must be for sensitive changes (enrolling,
    /// changing the email or password).
    pub recent_login: Duration,
    /// How long a session waits for its second factor.
    pub pending_lifetime: Duration,
    /// Wrong codes that end a session waiting for its second factor.
    pub max_code_failures: i64,
}

impl Default for TwoFactorPolicy {
    fn default() -> Self {
        Self {
            required: false,
            required_for_roles: Vec::new(),
            issuer: "Portcullis".to_owned(),
            recent_login: Duration::minutes(15),
            pending_lifetime: Duration::minutes(5),
            max_code_failures: 5,
        }
    }
}

impl TwoFactorPolicy {
    /// Whether an account holding `roles` must have a second factor.
    pub fn requires<'a>(&self, roles: impl IntoIterator<Item = &'a str>) -> bool {
        self.required
            || roles
                .into_iter()
                .any(|r| self.required_for_roles.iter().any(|q| q == r))
    }
}
