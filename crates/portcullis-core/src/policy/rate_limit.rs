//! Rate limits on the endpoints attackers hammer, per client IP and per
//! target account. Counting happens in the database (a fixed window per key),
//! so every instance sharing it enforces one limit.

use time::{Duration, OffsetDateTime};

/// At most `max` hits per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

impl Limit {
    /// A limit of `max` per `window`.
    pub const fn new(max: u32, window: Duration) -> Self {
        Self { max, window }
    }
}

/// The limits in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitPolicy {
    /// Off switch for trusted test setups; lockout stays on regardless.
    pub enabled: bool,
    pub login_per_ip: Limit,
    pub login_per_account: Limit,
    pub register_per_ip: Limit,
    /// Endpoints that send email (forgot password, resend confirmation).
    pub email_per_ip: Limit,
    pub email_per_account: Limit,
}

impl Default for RateLimitPolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            login_per_ip: Limit::new(20, Duration::minutes(5)),
            login_per_account: Limit::new(10, Duration::minutes(5)),
            register_per_ip: Limit::new(10, Duration::hours(1)),
            email_per_ip: Limit::new(10, Duration::hours(1)),
            email_per_account: Limit::new(3, Duration::minutes(15)),
        }
    }
}

/// A request refused for exceeding a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimited {
    /// When the client may try again.
    pub retry_after: Duration,
}

/// Judges a counter the store returned: `hits` in the window that began at
/// `window_start`.
pub fn judge(
    limit: Limit,
    hits: i64,
    window_start: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<(), RateLimited> {
    if hits <= i64::from(limit.max) {
        return Ok(());
    }
    let retry_after = (window_start + limit.window - now).max(Duration::seconds(1));
    Err(RateLimited { retry_after })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hit_past_the_limit_is_refused_until_the_window_ends() {
        let limit = Limit::new(3, Duration::minutes(1));
        let t0 = OffsetDateTime::UNIX_EPOCH;
        assert!(judge(limit, 3, t0, t0).is_ok());
        let refused = judge(limit, 4, t0, t0 + Duration::seconds(20)).unwrap_err();
        assert_eq!(refused.retry_after, Duration::seconds(40));
        // Never "retry in 0 seconds".
        assert_eq!(
            judge(limit, 4, t0, t0 + Duration::minutes(1))
                .unwrap_err()
                .retry_after,
            Duration::seconds(1)
        );
    }
}
