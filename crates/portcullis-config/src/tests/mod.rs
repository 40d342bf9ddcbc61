//! Loading: defaults, file and environment, each value read as its key's
//! type, and every error worded from the key table.

mod forward_auth;
mod mail;
mod metrics;
mod oidc;
mod production;
mod proxies;
mod sessions;
mod table;

use super::*;
use std::time::Duration;

pub(crate) fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Loads `toml` from a file of its own, with `vars` in the environment.
pub(crate) fn load_toml(
    name: &str,
    toml: &str,
    vars: &[(&str, &str)],
) -> Result<Settings, SettingsError> {
    let dir = std::env::temp_dir().join(format!("portcullis-cfg-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("portcullis.toml");
    std::fs::write(&path, toml).unwrap();
    let loaded = Settings::load(Some(&path), env(vars));
    std::fs::remove_dir_all(dir).unwrap();
    loaded
}

/// A random secret as `openssl rand -hex 32` printed it.
pub(crate) const STRONG_SECRET: &str =
    "34b9f94e2013752a56a46c8b8a96658226c1b1b4c0945b30eaefb2c96e46e428";

/// The least a production configuration needs.
pub(crate) const PRODUCTION: [(&str, &str); 5] = [
    ("PORTCULLIS_MODE", "production"),
    ("PORTCULLIS_SECRET", STRONG_SECRET),
    ("PORTCULLIS_PUBLIC_URL", "https://auth.example.com"),
    ("PORTCULLIS_MAIL__TRANSPORT", "smtp"),
    ("PORTCULLIS_MAIL__SMTP_HOST", "smtp.example.com"),
];

/// [`PRODUCTION`] with `extra` set over it.
pub(crate) fn production(extra: &[(&str, &str)]) -> Result<Settings, SettingsError> {
    let mut vars: Vec<(&str, &str)> = PRODUCTION
        .iter()
        .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
        .copied()
        .collect();
    vars.extend_from_slice(extra);
    Settings::load(None, env(&vars))
}

#[test]
fn nothing_configured_means_dev_mode_on_sqlite() {
    let s = Settings::load(None, env(&[])).unwrap();
    assert_eq!(s.mode, Mode::Dev);
    assert_eq!(s.database.url, "sqlite://portcullis.db");
    assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(s.session.idle_timeout, Duration::from_secs(1800));
    assert!(s.trusted_proxies.is_empty() && !s.allow_insecure_http);
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
            ("PORTCULLIS_CONFIG", "ignored"),
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
fn numeric_secrets_are_kept_digit_for_digit() {
    let secrets = [
        "12345678901234567890123456789012345678901234567890",
        "12345678901234567890123456789012345678901234567891",
        "1234567890123456789012345678901234567890e10",
    ];
    for secret in secrets {
        let s = Settings::load(None, env(&[("PORTCULLIS_SECRET", secret)])).unwrap();
        assert_eq!(s.secret.as_deref(), Some(secret));
    }
}

#[test]
fn text_that_looks_like_a_number_stays_text() {
    let s = Settings::load(
        None,
        env(&[
            ("PORTCULLIS_SITE_NAME", "007"),
            ("PORTCULLIS_REGISTRATION__DEFAULT_ROLE", "1e3"),
            ("PORTCULLIS_LOG__LEVEL", "true"),
        ]),
    )
    .unwrap();
    assert_eq!(s.site_name, "007");
    assert_eq!(s.registration.default_role.as_deref(), Some("1e3"));
    assert_eq!(s.log.level, "true");
}

#[test]
fn one_value_of_a_limit_can_be_set_alone() {
    let s = Settings::load(
        None,
        env(&[("PORTCULLIS_RATE_LIMIT__LOGIN_PER_IP__MAX", "3")]),
    )
    .unwrap();
    assert_eq!(s.rate_limit.login_per_ip.max, 3);
    assert_eq!(s.rate_limit.login_per_ip.window, Duration::from_secs(300));
}

#[test]
fn argon2_parameters_are_checked_in_its_own_range() {
    let with = |vars: &[(&str, &str)]| Settings::load(None, env(vars)).map_err(|e| e.to_string());
    // 8 × 536870912 is 2^32: in u32 it wrapped to 0, and any memory passed.
    let err = with(&[
        ("PORTCULLIS_PASSWORD__PARALLELISM", "536870912"),
        ("PORTCULLIS_PASSWORD__MEMORY_KIB", "8"),
    ])
    .unwrap_err();
    assert!(
        err.starts_with("configuration key password.parallelism (PORTCULLIS_PASSWORD__PARALLELISM): must be between 1 and 16777215"),
        "{err}"
    );
    let err = with(&[
        ("PORTCULLIS_PASSWORD__PARALLELISM", "16777215"),
        ("PORTCULLIS_PASSWORD__MEMORY_KIB", "19456"),
    ])
    .unwrap_err();
    assert!(
        err.contains("must be at least 8 × password.parallelism"),
        "{err}"
    );
    assert!(with(&[("PORTCULLIS_PASSWORD__PARALLELISM", "0")]).is_err());
    let s = with(&[
        ("PORTCULLIS_PASSWORD__PARALLELISM", "4"),
        ("PORTCULLIS_PASSWORD__MEMORY_KIB", "32"),
    ])
    .unwrap();
    assert_eq!((s.password.parallelism, s.password.memory_kib), (4, 32));
}

#[test]
fn a_duration_past_a_century_names_its_key() {
    let err = Settings::load(None, env(&[("PORTCULLIS_LOCKOUT__DURATION", "10000y")])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "configuration key lockout.duration (PORTCULLIS_LOCKOUT__DURATION): \
         \"10000y\" is longer than 100years, the longest duration accepted; example: 15m"
    );
    let from_file = load_toml("huge-duration", "[mail]\nreset_token_ttl = \"200y\"\n", &[]);
    assert!(
        from_file.unwrap_err().to_string().starts_with(
            "configuration key mail.reset_token_ttl (PORTCULLIS_MAIL__RESET_TOKEN_TTL)"
        ),
    );
}

#[test]
fn a_bad_value_names_the_key_the_variable_and_an_example() {
    let err =
        Settings::load(None, env(&[("PORTCULLIS_SESSION__IDLE_TIMEOUT", "soon")])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "configuration key session.idle_timeout (PORTCULLIS_SESSION__IDLE_TIMEOUT): \
         \"soon\" is not a duration; example: 30m"
    );
    // The same words whichever source the value came from.
    let from_file = load_toml("bad-duration", "[session]\nidle_timeout = \"soon\"\n", &[]);
    assert_eq!(from_file.unwrap_err().to_string(), err.to_string());

    let err = Settings::load(
        None,
        env(&[("PORTCULLIS_DATABASE__MAX_CONNECTIONS", "lots")]),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "configuration key database.max_connections (PORTCULLIS_DATABASE__MAX_CONNECTIONS): \
         \"lots\" is not a whole number from 0 to 4294967295; example: 10"
    );
    let err = Settings::load(None, env(&[("PORTCULLIS_MAIL__SMTP_PORT", "70000")])).unwrap_err();
    assert!(
        err.to_string().contains("\"70000\" is more than 65535"),
        "{err}"
    );
    let err = Settings::load(None, env(&[("PORTCULLIS_CONFIRM__REQUIRED", "yes")])).unwrap_err();
    assert!(
        err.to_string()
            .contains("(PORTCULLIS_CONFIRM__REQUIRED): \"yes\" is not true or false"),
        "{err}"
    );
    let err = Settings::load(None, env(&[("PORTCULLIS_LISTEN", "0.0.0.0:80")])).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "configuration key listen (PORTCULLIS_LISTEN): 0.0.0.0:80 is not a loopback"
        ),
        "{err}"
    );
}

#[test]
fn numbers_and_booleans_in_the_file_may_be_quoted_but_text_must_be() {
    let s = load_toml(
        "quoted",
        "[database]\nmax_connections = \"7\"\n[confirm]\nrequired = \"true\"\n",
        &[],
    )
    .unwrap();
    assert_eq!(s.database.max_connections, 7);
    assert!(s.confirm.required);
    let err = load_toml("unquoted", "site_name = 7\n", &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "configuration key site_name (PORTCULLIS_SITE_NAME): 7 is not text (write it in \
         quotes); example: Acme"
    );
}

#[test]
fn unknown_variables_and_keys_are_refused_with_a_suggestion() {
    let err =
        Settings::load(None, env(&[("PORTCULLIS_DATABASE_URL", "sqlite://x.db")])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "PORTCULLIS_DATABASE_URL is not a configuration variable; did you mean \
         PORTCULLIS_DATABASE__URL?"
    );
    let err = load_toml("unknown", "[database]\nurll = \"x\"\n", &[]).unwrap_err();
    assert!(
        err.to_string()
            .contains("unknown configuration key database.urll")
            && err.to_string().ends_with("; did you mean database.url?"),
        "{err}"
    );
    let err = Settings::load(None, env(&[("PORTCULLIS_DATABASE__URLL", "x")])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "PORTCULLIS_DATABASE__URLL is not a configuration variable; did you mean \
         PORTCULLIS_DATABASE__URL?"
    );
    let err = load_toml("misplaced", "[session]\ntrusted_proxies = []\n", &[]).unwrap_err();
    assert!(
        err.to_string().contains("did you mean trusted_proxies?"),
        "{err}"
    );
}

#[test]
fn a_toml_file_is_read_and_the_environment_wins_over_it() {
    let s = load_toml(
        "layers",
        "site_name = \"Acme\"\n[database]\nurl = \"sqlite://acme.db\"\n",
        &[("PORTCULLIS_SITE_NAME", "Acme Staging")],
    )
    .unwrap();
    assert_eq!(s.site_name, "Acme Staging");
    assert_eq!(s.database.url, "sqlite://acme.db");
    let err = load_toml("syntax", "[database\n", &[]).unwrap_err();
    assert!(err.to_string().contains("is not valid TOML"), "{err}");
}

#[test]
fn roles_are_declared_in_the_file_only() {
    let s = load_toml(
        "roles",
        "[[roles]]\nname = \"Editor\"\npermissions = [\"articles:edit\"]\n",
        &[],
    )
    .unwrap();
    assert_eq!(s.roles[0].name, "Editor");
    assert_eq!(s.roles[0].permissions, ["articles:edit"]);
    let err = load_toml("unnamed", "[[roles]]\ndescription = \"x\"\n", &[]).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("configuration key roles[0].name (file only): is missing"),
        "{err}"
    );
    let err = load_toml("typo", "[[roles]]\nname = \"A\"\nnmae = \"B\"\n", &[]).unwrap_err();
    assert!(err.to_string().contains("roles[0].nmae"), "{err}");
    let err = Settings::load(None, env(&[("PORTCULLIS_ROLES", "Editor")])).unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot be set from the environment"),
        "{err}"
    );
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
        assert!(
            err.to_string().starts_with(
                "configuration key rate_limit.ipv6_prefix (PORTCULLIS_RATE_LIMIT__IPV6_PREFIX)"
            ),
            "{err}"
        );
    }
}

#[test]
fn the_debug_form_hides_the_secret() {
    let s = Settings::load(None, env(&[("PORTCULLIS_SECRET", STRONG_SECRET)])).unwrap();
    let shown = format!("{s:?}");
    assert!(
        !shown.contains(STRONG_SECRET) && shown.contains("<redacted>"),
        "{shown}"
    );
}

#[test]
fn http_limits_are_read_as_durations_and_checked() {
    let s = Settings::load(
        None,
        env(&[
            ("PORTCULLIS_HTTP__HEADER_READ_TIMEOUT", "2s"),
            ("PORTCULLIS_HTTP__KEEPALIVE_TIMEOUT", "1m"),
            ("PORTCULLIS_HTTP__REQUEST_TIMEOUT", "500ms"),
            ("PORTCULLIS_HTTP__MAX_CONNECTIONS", "64"),
        ]),
    )
    .unwrap();
    assert_eq!(s.http.header_read_timeout, Duration::from_secs(2));
    assert_eq!(s.http.keepalive_timeout, Duration::from_secs(60));
    assert_eq!(s.http.request_timeout, Duration::from_millis(500));
    assert_eq!(s.http.max_connections, 64);
    for (key, value) in [
        ("PORTCULLIS_HTTP__HEADER_READ_TIMEOUT", "0s"),
        ("PORTCULLIS_HTTP__KEEPALIVE_TIMEOUT", "0s"),
        ("PORTCULLIS_HTTP__REQUEST_TIMEOUT", "0s"),
        ("PORTCULLIS_HTTP__MAX_CONNECTIONS", "0"),
    ] {
        let err = Settings::load(None, env(&[(key, value)])).unwrap_err();
        let name = key.trim_start_matches("PORTCULLIS_HTTP__").to_lowercase();
        assert!(err.to_string().contains(&format!("http.{name}")), "{err}");
    }
    let err =
        Settings::load(None, env(&[("PORTCULLIS_HTTP__KEEPALIVE_TIMEOUT", "soon")])).unwrap_err();
    assert!(err.to_string().contains("keepalive_timeout"), "{err}");
}

#[test]
fn registration_can_be_closed_and_taken_addresses_hidden() {
    let s = Settings::load(None, env(&[])).unwrap();
    assert!(s.registration.enabled);
    assert_eq!(s.registration.reveal_taken, None, "decided by the mode");
    let s = Settings::load(
        None,
        env(&[
            ("PORTCULLIS_REGISTRATION__ENABLED", "false"),
            ("PORTCULLIS_REGISTRATION__REVEAL_TAKEN", "false"),
        ]),
    )
    .unwrap();
    assert!(!s.registration.enabled);
    assert_eq!(s.registration.reveal_taken, Some(false));
}

#[test]
fn token_lifetimes_are_read_and_kept_in_order() {
    let loaded = Settings::load(
        None,
        env(&[
            ("PORTCULLIS_TOKENS__DEFAULT_LIFETIME", "7d"),
            ("PORTCULLIS_TOKENS__ALLOW_NO_EXPIRY", "true"),
        ]),
    )
    .unwrap();
    assert_eq!(
        loaded.tokens.default_lifetime,
        Duration::from_secs(7 * 86400)
    );
    assert!(loaded.tokens.allow_no_expiry);
    assert_eq!(loaded.tokens.max_lifetime, Duration::from_secs(366 * 86400));

    let longer = Settings::load(
        None,
        env(&[
            ("PORTCULLIS_TOKENS__DEFAULT_LIFETIME", "400d"),
            ("PORTCULLIS_TOKENS__MAX_LIFETIME", "366d"),
        ]),
    )
    .unwrap_err()
    .to_string();
    assert!(longer.contains("tokens.default_lifetime"), "{longer}");
    let short = load_toml("tokens", "[tokens]\nlogin_token_lifetime = \"5s\"\n", &[])
        .unwrap_err()
        .to_string();
    assert!(short.contains("tokens.login_token_lifetime"), "{short}");
}
