//! `trusted_proxies`: bare addresses or CIDR ranges, from the file or the
//! environment, under its own name or its old one.

use super::{env, load_toml};
use crate::Settings;

fn proxies(s: &Settings) -> Vec<String> {
    s.trusted_proxies.iter().map(ToString::to_string).collect()
}

#[test]
fn trusted_proxies_come_from_the_environment_as_a_comma_separated_list() {
    let s = Settings::load(
        None,
        env(&[("PORTCULLIS_TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/16,::1")]),
    )
    .unwrap();
    assert_eq!(proxies(&s), ["10.0.0.1/32", "192.168.0.0/16", "::1/128"]);
    let err = Settings::load(
        None,
        env(&[("PORTCULLIS_TRUSTED_PROXIES", "10.0.0.1, lb.internal")]),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "configuration key trusted_proxies (PORTCULLIS_TRUSTED_PROXIES): \"lb.internal\" is not \
         an IP address or CIDR range; example: 10.0.0.1, 192.168.0.0/16"
    );
}

#[test]
fn the_file_takes_bare_addresses_as_well_as_ranges() {
    let s = load_toml(
        "bare-ips",
        "trusted_proxies = [\"10.0.0.1\", \"2001:db8::1\", \"172.16.0.0/12\"]\n",
        &[],
    )
    .unwrap();
    assert_eq!(
        proxies(&s),
        ["10.0.0.1/32", "2001:db8::1/128", "172.16.0.0/12"]
    );
    let s = load_toml(
        "bare-ips-old-key",
        "[rate_limit]\ntrusted_proxies = [\"10.0.0.1\"]\n",
        &[],
    )
    .unwrap();
    assert_eq!(proxies(&s), ["10.0.0.1/32"]);
}

#[test]
fn the_old_key_still_sets_trusted_proxies() {
    let s = Settings::load(
        None,
        env(&[("PORTCULLIS_RATE_LIMIT__TRUSTED_PROXIES", "127.0.0.1")]),
    )
    .unwrap();
    assert_eq!(proxies(&s), ["127.0.0.1/32"]);
}

#[test]
fn both_keys_may_agree_but_not_differ() {
    let s = load_toml(
        "agree",
        "trusted_proxies = [\"10.0.0.0/8\", \"10.0.0.1\"]\n",
        &[(
            "PORTCULLIS_RATE_LIMIT__TRUSTED_PROXIES",
            "10.0.0.1/32,10.1.2.3/8",
        )],
    )
    .unwrap();
    assert_eq!(proxies(&s), ["10.0.0.0/8", "10.0.0.1/32"]);
    let err = load_toml(
        "differ",
        "trusted_proxies = [\"10.0.0.1\"]\n",
        &[("PORTCULLIS_RATE_LIMIT__TRUSTED_PROXIES", "10.0.0.2")],
    )
    .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("trusted_proxies (PORTCULLIS_TRUSTED_PROXIES)")
            && message
                .contains("rate_limit.trusted_proxies (PORTCULLIS_RATE_LIMIT__TRUSTED_PROXIES)"),
        "{message}"
    );
}
