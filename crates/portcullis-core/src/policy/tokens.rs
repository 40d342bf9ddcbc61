//! How long API tokens live.

use time::Duration;

/// The API token policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenPolicy {
    /// Lifetime of a token from `POST /api/token`.
    pub login_lifetime: Duration,
    /// Lifetime of a personal or service token made without one.
    pub default_lifetime: Duration,
    /// The longest lifetime a personal or service token may be given.
    pub max_lifetime: Duration,
    /// Whether a personal or service token may never expire.
    pub allow_no_expiry: bool,
}

impl Default for TokenPolicy {
    fn default() -> Self {
        Self {
            login_lifetime: Duration::days(1),
            default_lifetime: Duration::days(90),
            max_lifetime: Duration::days(366),
            allow_no_expiry: false,
        }
    }
}

/// The lifetime asked for a new personal or service token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Expiry {
    /// The policy's default lifetime.
    #[default]
    Default,
    /// This long from now.
    In(Duration),
    /// Never (only if the policy allows it).
    Never,
}

impl TokenPolicy {
    /// When a token asked to live `expiry` from `now` expires (`None`:
    /// never), or why it may not.
    pub fn expires_at(
        &self,
        expiry: Expiry,
        now: time::OffsetDateTime,
    ) -> Result<Option<time::OffsetDateTime>, &'static str> {
        match expiry {
            Expiry::Default => Ok(Some(now + self.default_lifetime.min(self.max_lifetime))),
            Expiry::In(d) if d <= Duration::ZERO => Err("The lifetime must be positive."),
            Expiry::In(d) if d > self.max_lifetime => {
                Err("That is longer than the longest lifetime allowed here.")
            }
            Expiry::In(d) => Ok(Some(now + d)),
            Expiry::Never if self.allow_no_expiry => Ok(None),
            Expiry::Never => Err("Tokens that never expire are not allowed here."),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn lifetimes_are_bounded_and_never_is_opt_in() {
        let now = datetime!(2026-12-01 00:00 UTC);
        let policy = TokenPolicy::default();
        assert_eq!(
            policy.expires_at(Expiry::Default, now),
            Ok(Some(now + Duration::days(90)))
        );
        assert!(policy.expires_at(Expiry::Never, now).is_err());
        assert!(
            policy
                .expires_at(Expiry::In(Duration::days(367)), now)
                .is_err()
        );
        assert!(policy.expires_at(Expiry::In(Duration::ZERO), now).is_err());
        let open = TokenPolicy {
            allow_no_expiry: true,
            ..policy
        };
        assert_eq!(open.expires_at(Expiry::Never, now), Ok(None));
    }
}
