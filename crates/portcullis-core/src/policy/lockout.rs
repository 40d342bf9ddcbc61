//! Account lockout: after too many failed logins in a row an account refuses
//! every login, even with the right password, until the lock expires or an
//! administrator lifts it.

use time::{Duration, OffsetDateTime};

/// When accounts lock and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Consecutive failures that lock the account (default 5; 0 disables).
    pub max_failures: u32,
    /// How long a lock lasts (default 15 minutes).
    pub duration: Duration,
    /// Tell a locked account's visitor that it is locked, and for how long.
    /// Off by default: a locked account answers like a wrong password.
    pub reveal: bool,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            max_failures: 5,
            duration: Duration::minutes(15),
            reveal: false,
        }
    }
}

impl LockoutPolicy {
    /// Whether an account with `locked_until` is locked at `now`.
    pub fn is_locked(&self, locked_until: Option<OffsetDateTime>, now: OffsetDateTime) -> bool {
        locked_until.is_some_and(|until| until > now)
    }

    /// Whether the `attempts`-th attempt of a run may still be checked.
    pub fn allows(&self, attempts: i64) -> bool {
        self.max_failures == 0 || attempts <= i64::from(self.max_failures)
    }

    /// Whether `failures` consecutive failures call for a lock.
    pub fn should_lock(&self, failures: i64) -> bool {
        self.max_failures > 0 && failures >= i64::from(self.max_failures)
    }
}
