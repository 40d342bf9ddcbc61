//! Security policies: what counts as an acceptable password, when an account
//! locks, how often an endpoint may be hit. Pure rules with their settings;
//! the services apply them and the store only counts. [`forward`] decides
//! whether a reverse proxy may pass a request on.

pub mod email;
pub mod forward;
pub mod identity;
pub mod lockout;
pub mod password;
pub mod rate_limit;
pub mod registration;
pub mod tokens;
pub mod two_factor;

pub use email::EmailPolicy;
pub use identity::{AccountWithAddress, Assertion, Decision, ProviderPolicy};
pub use lockout::LockoutPolicy;
pub use password::PasswordPolicy;
pub use rate_limit::{Limit, RateLimitPolicy, RateLimited};
pub use registration::RegistrationPolicy;
pub use tokens::{Expiry, TokenPolicy};
pub use two_factor::TwoFactorPolicy;

/// All the security policies together.
#[derive(Debug, Clone, Default)]
pub struct SecurityPolicy {
    /// What a password must be.
    pub password: PasswordPolicy,
    /// When accounts lock.
    pub lockout: LockoutPolicy,
    /// How often attackers' favourite endpoints may be hit.
    pub rate_limits: RateLimitPolicy,
    /// Emailed links and confirmation.
    pub email: EmailPolicy,
    /// Self-registration.
    pub registration: RegistrationPolicy,
    /// Second factors.
    pub two_factor: TwoFactorPolicy,
    /// API tokens.
    pub tokens: TokenPolicy,
}
