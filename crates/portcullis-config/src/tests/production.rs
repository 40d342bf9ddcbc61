//! What production mode refuses.

use super::{STRONG_SECRET, env, production};
use crate::Settings;

fn refused(extra: &[(&str, &str)]) -> String {
    production(extra).unwrap_err().to_string()
}

#[test]
fn production_needs_a_secret_and_a_public_url() {
    let err = Settings::load(None, env(&[("PORTCULLIS_MODE", "production")])).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("configuration key secret (PORTCULLIS_SECRET)"),
        "{err}"
    );
    let err = Settings::load(
        None,
        env(&[
            ("PORTCULLIS_MODE", "production"),
            ("PORTCULLIS_SECRET", STRONG_SECRET),
        ]),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("configuration key public_url (PORTCULLIS_PUBLIC_URL)"),
        "{err}"
    );
    let s = production(&[]).unwrap();
    assert_eq!(s.secret.as_deref(), Some(STRONG_SECRET));
}

#[test]
fn production_refuses_secrets_that_are_long_but_guessable() {
    for weak in [
        "password".repeat(5),
        "0123456789abcdef".repeat(4),
        "correct horse battery staple correct horse battery staple".to_owned(),
        // The test suite's secret: fine for development, not for production.
        "test-secret-0123456789-abcdefghijklmnop".to_owned(),
    ] {
        let err = refused(&[("PORTCULLIS_SECRET", &weak)]);
        assert!(
            err.starts_with("configuration key secret (PORTCULLIS_SECRET): is too easy to guess")
                && err.contains("needs 128")
                && !err.contains(&weak),
            "{err}"
        );
    }
    for generated in [
        "5a9615132fff686a316846a37d10747825c51da81206ec0700575bbd250f67c3",
        "7U6Qqz1zZTzC2hlJILOX3QOgayWLE65VrdOmrRwOE4A=",
        "HKdG5F/rireN9gwIrq/GXj0B3KS/PJR2q4EFFx6+rtk=",
    ] {
        assert!(
            production(&[("PORTCULLIS_SECRET", generated)]).is_ok(),
            "{generated}"
        );
    }
}

#[test]
fn development_takes_any_secret_of_32_bytes() {
    let dev = |secret: &str| Settings::load(None, env(&[("PORTCULLIS_SECRET", secret)]));
    assert!(dev("test-secret-0123456789-abcdefghijklmnop").is_ok());
    assert!(dev(&"a".repeat(32)).is_ok());
    let err = dev("short").unwrap_err();
    assert!(err.to_string().contains("at least 32 bytes"), "{err}");
}

#[test]
fn production_refuses_plain_http_unless_told_to_allow_it() {
    let err = refused(&[("PORTCULLIS_PUBLIC_URL", "http://auth.example.com")]);
    assert!(
        err.starts_with(
            "configuration key public_url (PORTCULLIS_PUBLIC_URL): \"http://auth.example.com/\" \
             is plain http"
        ) && err.contains("allow_insecure_http"),
        "{err}"
    );
    let s = production(&[
        ("PORTCULLIS_PUBLIC_URL", "http://auth.example.com"),
        ("PORTCULLIS_ALLOW_INSECURE_HTTP", "true"),
    ])
    .unwrap();
    assert!(s.allow_insecure_http);
    // Development serves loopback over http anyway.
    assert!(
        Settings::load(
            None,
            env(&[("PORTCULLIS_PUBLIC_URL", "http://127.0.0.1:8080")])
        )
        .is_ok()
    );
}

#[test]
fn production_refuses_clear_text_smtp_off_loopback() {
    let err = refused(&[("PORTCULLIS_MAIL__SMTP_TLS", "none")]);
    assert!(
        err.starts_with("configuration key mail.smtp_tls (PORTCULLIS_MAIL__SMTP_TLS): \"none\"")
            && err.contains("\"smtp.example.com\""),
        "{err}"
    );
    for host in [
        "localhost",
        "LOCALHOST",
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "[::1]",
    ] {
        assert!(
            production(&[
                ("PORTCULLIS_MAIL__SMTP_TLS", "none"),
                ("PORTCULLIS_MAIL__SMTP_HOST", host),
            ])
            .is_ok(),
            "{host}"
        );
    }
    for host in [
        "10.0.0.25",
        "mail.localhost",
        "localhost.example.com",
        "::2",
    ] {
        assert!(
            production(&[
                ("PORTCULLIS_MAIL__SMTP_TLS", "none"),
                ("PORTCULLIS_MAIL__SMTP_HOST", host),
            ])
            .is_err(),
            "{host}"
        );
    }
    // Development may send in clear text anywhere (a mail catcher on another box).
    assert!(
        Settings::load(
            None,
            env(&[
                ("PORTCULLIS_MAIL__TRANSPORT", "smtp"),
                ("PORTCULLIS_MAIL__SMTP_HOST", "mailcatcher.internal"),
                ("PORTCULLIS_MAIL__SMTP_TLS", "none"),
            ]),
        )
        .is_ok()
    );
}
