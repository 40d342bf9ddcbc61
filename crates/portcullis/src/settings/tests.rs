//! Loading: defaults, file and environment.

use super::*;
use std::time::Duration;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn nothing_configured_means_dev_mode_on_sqlite() {
    let s = Settings::load(None, env(&[])).unwrap();
    assert_eq!(s.mode, Mode::Dev);
    assert_eq!(s.database.url, "sqlite://portcullis.db");
    assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(s.session.idle_timeout, Duration::from_secs(1800));
}

#[test]
fn environment_variables_override_with_double_underscore_nesting() {
    let s = Settings::load(
        None,
        env(&[
            ("PORTCULLIS_DATABASE__URL", "postgres://db/x"),
            ("PORTCULLIS_LISTEN", "127.0.0.1:0"),
            ("PORTCULLIS_PUBLIC_URL", "https://auth.example.com"),
            ("PORTCULLIS_SESSION__IDLE_TIMEOUT", "5m"),
            ("PORTCULLIS_TEST_POSTGRES_URL", "ignored"),
            ("OTHER", "ignored"),
        ]),
    )
    .unwrap();
    assert_eq!(s.database.url, "postgres://db/x");
    assert_eq!(s.listen.port(), 0);
    assert_eq!(s.public_url.unwrap().as_str(), "https://auth.example.com/");
    assert_eq!(s.session.idle_timeout, Duration::from_secs(300));
}

#[test]
fn production_refuses_missing_or_weak_secrets_and_missing_url() {
    let err = Settings::load(None, env(&[("PORTCULLIS_MODE", "production")])).unwrap_err();
    assert!(err.to_string().contains("`secret`"), "{err}");
    let err = Settings::load(
        None,
        env(&[
            ("PORTCULLIS_MODE", "production"),
            ("PORTCULLIS_SECRET", &"a".repeat(40)),
        ]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("repetitive"), "{err}");
    let err = Settings::load(
        None,
        env(&[
            ("PORTCULLIS_MODE", "production"),
            ("PORTCULLIS_SECRET", "0123456789abcdef0123456789abcdef"),
        ]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("`public_url`"), "{err}");
}

#[test]
fn bad_values_name_their_key() {
    let err = Settings::load(
        None,
        env(&[("PORTCULLIS_DATABASE__MAX_CONNECTIONS", "lots")]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("max_connections"), "{err}");
    let err = Settings::load(None, env(&[("PORTCULLIS_LISTEN", "0.0.0.0:80")])).unwrap_err();
    assert!(err.to_string().contains("`listen`"), "{err}");
    let err =
        Settings::load(None, env(&[("PORTCULLIS_SESSION__IDLE_TIMEOUT", "soon")])).unwrap_err();
    assert!(err.to_string().contains("idle_timeout"), "{err}");
}

#[test]
fn a_toml_file_is_read_and_unknown_keys_are_refused() {
    let dir = std::env::temp_dir().join(format!("portcullis-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.toml");
    std::fs::write(
        &good,
        "site_name = \"Acme\"\n[database]\nurl = \"sqlite://acme.db\"\n",
    )
    .unwrap();
    let s = Settings::load(Some(&good), env(&[])).unwrap();
    assert_eq!(
        (s.site_name.as_str(), s.database.url.as_str()),
        ("Acme", "sqlite://acme.db")
    );
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[database]\nurll = \"x\"\n").unwrap();
    let err = Settings::load(Some(&bad), env(&[])).unwrap_err();
    assert!(err.to_string().contains("urll"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_ipv6_rate_limit_prefix_is_64_by_default_and_between_32_and_128() {
    let s = Settings::load(None, env(&[])).unwrap();
    assert_eq!(s.rate_limit.ipv6_prefix, 64);
    let s = Settings::load(None, env(&[("PORTCULLIS_RATE_LIMIT__IPV6_PREFIX", "48")])).unwrap();
    assert_eq!(s.rate_limit.ipv6_prefix, 48);
    for bad in ["16", "129"] {
        let err =
            Settings::load(None, env(&[("PORTCULLIS_RATE_LIMIT__IPV6_PREFIX", bad)])).unwrap_err();
        assert!(err.to_string().contains("rate_limit.ipv6_prefix"), "{err}");
    }
}
