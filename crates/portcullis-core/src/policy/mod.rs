//! Security policies: what counts as an acceptable password, when an account
//! locks, how often an endpoint may be hit. Pure rules with their settings;
//! the services apply them and the store only counts.

pub mod email;
pub mod lockout;
pub mod password;
pub mod rate_limit;

pub use email::EmailPolicy;
pub use lockout::LockoutPolicy;
pub use password::PasswordPolicy;
pub use rate_limit::{Limit, RateLimitPolicy, RateLimited};

/// All the security policies together.
#[derive(Debug, Clone, Default)]
pub struct SecurityPolicy {
    pub password: PasswordPolicy,
    pub lockout: LockoutPolicy,
    pub rate_limits: RateLimitPolicy,
    pub email: EmailPolicy,
}
