//! Server-side sessions and the policy that decides when one has expired.

use crate::domain::user::UserId;
use time::{Duration, OffsetDateTime};

/// Database identity of a session (not its secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionId(pub i64);

/// How a session was authenticated, weakest first. A session pending its
/// second factor grants nothing but the second step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Assurance {
    /// The password was right; the second factor is still to come.
    PendingSecondFactor,
    /// A password alone.
    Password,
    /// An OpenID provider alone (its own factors are its business).
    Provider,
    /// A password and a second factor (a TOTP or recovery code, or a
    /// passkey).
    TwoFactor,
    /// A passkey alone: something held and, by user verification,
    /// something known or been (two factors in one).
    Passkey,
}

impl Assurance {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingSecondFactor => "pending_second_factor",
            Self::Password => "password",
            Self::Provider => "provider",
            Self::TwoFactor => "two_factor",
            Self::Passkey => "passkey",
        }
    }

    /// The level called `name`; an unknown name reads as the weakest, so a
    /// row from a newer release never grants more than it says.
    pub fn parse(name: &str) -> Self {
        match name {
            "password" => Self::Password,
            "provider" => Self::Provider,
            "two_factor" => Self::TwoFactor,
            "passkey" => Self::Passkey,
            _ => Self::PendingSecondFactor,
        }
    }

    /// Whether the session stands for a completed login.
    pub fn is_complete(self) -> bool {
        self != Self::PendingSecondFactor
    }
}

/// A stored session. The secret token is not here: only its hash is stored,
/// and it is looked up by that hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The session's row id (not its secret).
    pub id: SessionId,
    /// Whose session it is.
    pub user_id: UserId,
    /// When it was opened (the login).
    pub created_at: OffsetDateTime,
    /// Its last recorded activity (written at most once per touch interval).
    pub last_seen_at: OffsetDateTime,
    /// Absolute end of the session, fixed at creation.
    pub expires_at: OffsetDateTime,
    /// Created with "remember me": long-lived and exempt from the idle timeout.
    pub remember: bool,
    /// The address it was opened from.
    pub ip: Option<String>,
    /// The user agent it was opened with (cut at 512 bytes).
    pub user_agent: Option<String>,
    /// How it was authenticated.
    pub assurance: Assurance,
    /// When its owner last proved who they are (the login, or a later
    /// re-authentication), for actions that want a recent one.
    pub authenticated_at: OffsetDateTime,
}

impl Session {
    /// Whether its owner proved who they are within `within` of `now`.
    pub fn authenticated_within(&self, within: Duration, now: OffsetDateTime) -> bool {
        self.assurance.is_complete() && now - self.authenticated_at <= within
    }
}

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused for this long is over (not for remember-me sessions).
    pub idle_timeout: Duration,
    /// Hard end of an ordinary session, counted from login.
    pub absolute_lifetime: Duration,
    /// Hard end of a remember-me session, counted from login.
    pub remember_lifetime: Duration,
}

/// The longest a session's `last_seen_at` goes unwritten while it is in use.
const MAX_TOUCH_INTERVAL: Duration = Duration::minutes(1);

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::minutes(30),
            absolute_lifetime: Duration::hours(24),
            remember_lifetime: Duration::days(30),
        }
    }
}

/// What the policy says about a session at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Valid; `touch` says whether `last_seen_at` is due for a write.
    Active {
        /// Whether `last_seen_at` is due for a write.
        touch: bool,
    },
    /// Over: past its absolute lifetime or idle for too long.
    Expired,
}

impl SessionPolicy {
    /// Absolute expiry of a session created at `now`.
    pub fn expires_at(&self, now: OffsetDateTime, remember: bool) -> OffsetDateTime {
        now + if remember {
            self.remember_lifetime
        } else {
            self.absolute_lifetime
        }
    }

    /// How often `last_seen_at` is written for a session in use: at most
    /// once a minute, so that reading a protected page does not cost a
    /// database write each time. It is derived rather than configured: use
    /// between two writes goes unrecorded, so a session can look idle up to
    /// one interval longer than it is, and an interval near (or past) the idle
    /// timeout ends sessions that are in use. A quarter of the idle timeout
    /// bounds that error: a session used at least every three quarters of
    /// its idle timeout never ends for idleness.
    pub fn touch_interval(&self) -> Duration {
        MAX_TOUCH_INTERVAL.min(self.idle_timeout / 4)
    }

    /// Judges `session` at `now`.
    pub fn judge(&self, session: &Session, now: OffsetDateTime) -> SessionState {
        if now >= session.expires_at {
            return SessionState::Expired;
        }
        if !session.remember && now - session.last_seen_at >= self.idle_timeout {
            return SessionState::Expired;
        }
        SessionState::Active {
            touch: now - session.last_seen_at >= self.touch_interval(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(created: OffsetDateTime, remember: bool, policy: &SessionPolicy) -> Session {
        Session {
            id: SessionId(1),
            user_id: UserId(1),
            created_at: created,
            last_seen_at: created,
            expires_at: policy.expires_at(created, remember),
            remember,
            ip: None,
            user_agent: None,
            assurance: Assurance::Password,
            authenticated_at: created,
        }
    }

    #[test]
    fn an_ordinary_session_ends_after_the_idle_timeout() {
        let policy = SessionPolicy::default();
        let t0 = OffsetDateTime::UNIX_EPOCH;
        let s = session(t0, false, &policy);
        assert_eq!(
            policy.judge(&s, t0 + Duration::minutes(29)),
            SessionState::Active { touch: true }
        );
        assert_eq!(
            policy.judge(&s, t0 + Duration::minutes(30)),
            SessionState::Expired
        );
    }

    #[test]
    fn activity_does_not_stretch_a_session_past_its_absolute_lifetime() {
        let policy = SessionPolicy::default();
        let t0 = OffsetDateTime::UNIX_EPOCH;
        let mut s = session(t0, false, &policy);
        s.last_seen_at = t0 + Duration::hours(24) - Duration::seconds(1);
        assert_eq!(
            policy.judge(&s, t0 + Duration::hours(24)),
            SessionState::Expired
        );
    }

    #[test]
    fn remember_me_survives_idleness_until_its_lifetime() {
        let policy = SessionPolicy::default();
        let t0 = OffsetDateTime::UNIX_EPOCH;
        let s = session(t0, true, &policy);
        assert!(matches!(
            policy.judge(&s, t0 + Duration::days(29)),
            SessionState::Active { .. }
        ));
        assert_eq!(
            policy.judge(&s, t0 + Duration::days(30)),
            SessionState::Expired
        );
    }

    #[test]
    fn touches_are_rate_limited() {
        let policy = SessionPolicy::default();
        let t0 = OffsetDateTime::UNIX_EPOCH;
        let s = session(t0, false, &policy);
        assert_eq!(
            policy.judge(&s, t0 + Duration::seconds(59)),
            SessionState::Active { touch: false }
        );
        assert_eq!(
            policy.judge(&s, t0 + Duration::seconds(60)),
            SessionState::Active { touch: true }
        );
    }

    #[test]
    fn the_touch_interval_is_a_minute_or_a_quarter_of_a_shorter_idle_timeout() {
        let policy = |idle| SessionPolicy {
            idle_timeout: idle,
            ..SessionPolicy::default()
        };
        assert_eq!(
            policy(Duration::minutes(30)).touch_interval(),
            Duration::minutes(1)
        );
        assert_eq!(
            policy(Duration::minutes(4)).touch_interval(),
            Duration::minutes(1)
        );
        assert_eq!(
            policy(Duration::minutes(2)).touch_interval(),
            Duration::seconds(30)
        );
        assert_eq!(
            policy(Duration::minutes(1)).touch_interval(),
            Duration::seconds(15)
        );
    }

    #[test]
    fn a_session_used_more_often_than_its_short_idle_timeout_stays_open() {
        let policy = SessionPolicy {
            idle_timeout: Duration::minutes(1),
            ..SessionPolicy::default()
        };
        let t0 = OffsetDateTime::UNIX_EPOCH;
        let mut s = session(t0, false, &policy);
        for step in 1..=10 {
            let now = t0 + Duration::seconds(40 * step);
            let SessionState::Active { touch } = policy.judge(&s, now) else {
                panic!("ended at step {step} although used every 40 seconds");
            };
            if touch {
                s.last_seen_at = now;
            }
        }
    }
}
