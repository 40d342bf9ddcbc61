//! How long the links sent by email stay valid, and whether an address must
//! be confirmed before its owner may log in.

use time::Duration;

/// The email-link policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmailPolicy {
    /// Lifetime of a password-reset link.
    pub reset_ttl: Duration,
    /// Lifetime of a confirmation link (registration and email change).
    pub confirm_ttl: Duration,
    /// When on, an account whose address is not confirmed cannot log in.
    pub confirm_required: bool,
}

impl Default for EmailPolicy {
    fn default() -> Self {
        Self {
            reset_ttl: Duration::hours(1),
            confirm_ttl: Duration::hours(24),
            confirm_required: false,
        }
    }
}
