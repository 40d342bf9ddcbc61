//! The bounds on session lifetimes.

use super::env;
use crate::Settings;
use std::time::Duration;

fn with(vars: &[(&str, &str)]) -> Result<Settings, String> {
    Settings::load(None, env(vars)).map_err(|e| e.to_string())
}

#[test]
fn the_idle_timeout_is_at_least_a_minute_and_at_most_the_absolute_lifetime() {
    let err = with(&[("PORTCULLIS_SESSION__IDLE_TIMEOUT", "30s")]).unwrap_err();
    assert_eq!(
        err,
        "configuration key session.idle_timeout (PORTCULLIS_SESSION__IDLE_TIMEOUT): 30s is not \
         between 1m and session.absolute_lifetime (1day); example: 30m"
    );
    let err = with(&[
        ("PORTCULLIS_SESSION__IDLE_TIMEOUT", "2h"),
        ("PORTCULLIS_SESSION__ABSOLUTE_LIFETIME", "1h"),
    ])
    .unwrap_err();
    assert!(
        err.contains("2h is not between 1m and session.absolute_lifetime (1h)"),
        "{err}"
    );
    let s = with(&[("PORTCULLIS_SESSION__IDLE_TIMEOUT", "1m")]).unwrap();
    assert_eq!(s.session.idle_timeout, Duration::from_secs(60));
}

#[test]
fn lifetimes_are_at_most_a_year() {
    let err = with(&[("PORTCULLIS_SESSION__ABSOLUTE_LIFETIME", "400d")]).unwrap_err();
    assert!(
        err.contains("session.absolute_lifetime") && err.contains("longer than"),
        "{err}"
    );
    let err = with(&[("PORTCULLIS_SESSION__REMEMBER_LIFETIME", "30s")]).unwrap_err();
    assert!(
        err.contains("session.remember_lifetime") && err.contains("30s"),
        "{err}"
    );
    assert!(with(&[("PORTCULLIS_SESSION__REMEMBER_LIFETIME", "365d")]).is_ok());
}
