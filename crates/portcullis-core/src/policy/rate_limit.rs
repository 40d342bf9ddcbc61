//! Rate limits on the endpoints attackers hammer, per client IP and per
//! target account. Counting happens in the database (a fixed window per key),
//! so every instance sharing it enforces one limit.
//!
//! Per-IP limits count per *bucket*: an IPv4 address is its own bucket, but
//! an IPv6 client usually holds a whole /64 (and often more), so counting
//! per address would let it rotate through 2^64 addresses to escape any
//! limit. IPv6 addresses are therefore counted per network of
//! [`RateLimitPolicy::ipv6_prefix`] bits, and IPv4-mapped IPv6 addresses
//! (`::ffff:192.0.2.1`, as a dual-stack socket reports IPv4 clients) as the
//! IPv4 address they carry.

use std::net::{IpAddr, Ipv6Addr};
use time::{Duration, OffsetDateTime};

/// At most `max` hits per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Hits allowed per window.
    pub max: u32,
    /// How long a window lasts.
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
    /// Logins per client address (or IPv6 network).
    pub login_per_ip: Limit,
    /// Logins per login name, known or not.
    pub login_per_account: Limit,
    /// Registrations per client address.
    pub register_per_ip: Limit,
    /// Endpoints that send email (forgot password, resend confirmation).
    pub email_per_ip: Limit,
    /// Requests that send email, per address.
    pub email_per_account: Limit,
    /// IPv6 clients are counted per network of this many leading bits.
    pub ipv6_prefix: u8,
}

/// The IPv6 prefix counted as one client unless configured otherwise: the
/// /64 a single subscriber line or host is normally given.
pub const DEFAULT_IPV6_PREFIX: u8 = 64;

impl Default for RateLimitPolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            login_per_ip: Limit::new(20, Duration::minutes(5)),
            login_per_account: Limit::new(10, Duration::minutes(5)),
            register_per_ip: Limit::new(10, Duration::hours(1)),
            email_per_ip: Limit::new(10, Duration::hours(1)),
            email_per_account: Limit::new(3, Duration::minutes(15)),
            ipv6_prefix: DEFAULT_IPV6_PREFIX,
        }
    }
}

impl RateLimitPolicy {
    /// The bucket that per-IP limits count `ip` in (see [`ip_bucket`]).
    pub fn ip_bucket(&self, ip: &str) -> String {
        ip_bucket(ip, self.ipv6_prefix)
    }
}

/// The rate-limit bucket of the client address `ip`: an IPv4 address as is,
/// an IPv4-mapped IPv6 address as its IPv4 address, any other IPv6 address
/// as its network of `ipv6_prefix` bits (`2001:db8:1:2::/64`). A prefix past
/// 128 counts as 128. Text that is not an address is its own bucket, so
/// nothing a caller passes escapes counting.
///
/// ```
/// use portcullis_core::policy::rate_limit::ip_bucket;
/// assert_eq!(ip_bucket("2001:db8:1:2:aaaa::1", 64), "2001:db8:1:2::/64");
/// assert_eq!(ip_bucket("::ffff:192.0.2.1", 64), "192.0.2.1");
/// assert_eq!(ip_bucket("192.0.2.1", 64), "192.0.2.1");
/// ```
pub fn ip_bucket(ip: &str, ipv6_prefix: u8) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let prefix = ipv6_prefix.min(128);
                let mask = u128::MAX.checked_shl(u32::from(128 - prefix)).unwrap_or(0);
                let network = Ipv6Addr::from(u128::from(v6) & mask);
                format!("{network}/{prefix}")
            }
        },
        Err(_) => ip.to_owned(),
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
    fn ipv6_addresses_in_one_network_share_a_bucket() {
        let a = ip_bucket("2001:db8:1:2::a", 64);
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_eq!(ip_bucket("2001:db8:1:2:ffff:ffff:ffff:ffff", 64), a);
        assert_ne!(ip_bucket("2001:db8:1:3::a", 64), a);
        assert_eq!(ip_bucket("2001:db8:1:2::a", 48), "2001:db8:1::/48");
        assert_eq!(ip_bucket("2001:db8:1:2::a", 32), "2001:db8::/32");
        assert_eq!(ip_bucket("2001:db8:1:2::a", 56), "2001:db8:1::/56");
        assert_eq!(ip_bucket("2001:db8:1:2ff::a", 56), "2001:db8:1:200::/56");
    }

    #[test]
    fn a_prefix_of_128_or_more_counts_each_ipv6_address_alone() {
        assert_eq!(ip_bucket("2001:db8::1", 128), "2001:db8::1/128");
        assert_eq!(ip_bucket("2001:db8::1", 200), "2001:db8::1/128");
        assert_eq!(ip_bucket("2001:db8::1", 0), "::/0");
    }

    #[test]
    fn ipv4_and_ipv4_mapped_addresses_count_as_the_ipv4_address() {
        assert_eq!(ip_bucket("192.0.2.1", 64), "192.0.2.1");
        assert_eq!(ip_bucket("::ffff:192.0.2.1", 64), "192.0.2.1");
        assert_eq!(ip_bucket("::ffff:c000:201", 128), "192.0.2.1");
        // The loopback and unspecified IPv6 addresses are not mapped ones.
        assert_eq!(ip_bucket("::1", 64), "::/64");
    }

    #[test]
    fn text_that_is_not_an_address_is_its_own_bucket() {
        assert_eq!(ip_bucket("unknown", 64), "unknown");
        assert_eq!(ip_bucket("", 64), "");
    }

    #[test]
    fn the_policy_buckets_with_its_prefix() {
        let policy = RateLimitPolicy {
            ipv6_prefix: 48,
            ..RateLimitPolicy::default()
        };
        assert_eq!(policy.ip_bucket("2001:db8:1:2::a"), "2001:db8:1::/48");
        assert_eq!(RateLimitPolicy::default().ipv6_prefix, 64);
    }

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
