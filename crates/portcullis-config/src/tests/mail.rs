//! The `[mail]` and `[confirm]` sections.

use super::{STRONG_SECRET, env};
use crate::{MailTransport, Mode, Settings, SmtpTls};

/// Production without a mail server.
const PRODUCTION: [(&str, &str); 3] = [
    ("PORTCULLIS_MODE", "production"),
    ("PORTCULLIS_SECRET", STRONG_SECRET),
    ("PORTCULLIS_PUBLIC_URL", "https://auth.example.com"),
];

#[test]
fn development_mails_to_the_outbox_by_default() {
    let s = Settings::load(None, env(&[])).unwrap();
    assert_eq!(s.mail.transport_for(Mode::Dev), Some(MailTransport::Outbox));
    assert_eq!(s.mail.outbox_dir.to_str(), Some("outbox"));
    assert_eq!(s.mail.reset_token_ttl.as_secs(), 3600);
    assert_eq!(s.mail.confirm_token_ttl.as_secs(), 86400);
    assert!(!s.confirm.required);
}

#[test]
fn the_environment_points_the_server_at_a_mail_catcher() {
    let s = Settings::load(
        None,
        env(&[
            ("PORTCULLIS_MAIL__TRANSPORT", "smtp"),
            ("PORTCULLIS_MAIL__SMTP_HOST", "127.0.0.1"),
            ("PORTCULLIS_MAIL__SMTP_PORT", "2525"),
            ("PORTCULLIS_MAIL__SMTP_TLS", "none"),
            ("PORTCULLIS_MAIL__RESET_TOKEN_TTL", "30m"),
            ("PORTCULLIS_CONFIRM__REQUIRED", "true"),
        ]),
    )
    .unwrap();
    assert_eq!(s.mail.transport, Some(MailTransport::Smtp));
    assert_eq!(s.mail.smtp_tls, SmtpTls::None);
    assert_eq!(s.mail.port(), 2525);
    assert_eq!(s.mail.reset_token_ttl.as_secs(), 1800);
    assert!(s.confirm.required);
}

#[test]
fn production_needs_an_smtp_server_and_says_which_key() {
    let err = Settings::load(None, env(&PRODUCTION)).unwrap_err();
    assert!(err.to_string().contains("key mail.transport ("), "{err}");
    let mut outbox = PRODUCTION.to_vec();
    outbox.push(("PORTCULLIS_MAIL__TRANSPORT", "outbox"));
    let err = Settings::load(None, env(&outbox)).unwrap_err();
    assert!(err.to_string().contains("key mail.transport ("), "{err}");
    let mut smtp = PRODUCTION.to_vec();
    smtp.push(("PORTCULLIS_MAIL__TRANSPORT", "smtp"));
    let err = Settings::load(None, env(&smtp)).unwrap_err();
    assert!(err.to_string().contains("key mail.smtp_host ("), "{err}");
    smtp.push(("PORTCULLIS_MAIL__SMTP_HOST", "smtp.example.com"));
    let s = Settings::load(None, env(&smtp)).unwrap();
    assert_eq!(s.mail.port(), 587, "STARTTLS by default");
}

#[test]
fn bad_mail_values_name_their_key_and_the_password_stays_out_of_debug() {
    let err = Settings::load(None, env(&[("PORTCULLIS_MAIL__FROM", "nobody")])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "configuration key mail.from (PORTCULLIS_MAIL__FROM): \"nobody\" is not an email \
         address; example: Acme <no-reply@acme.test>"
    );
    let err = Settings::load(None, env(&[("PORTCULLIS_MAIL__SMTP_TLS", "maybe")])).unwrap_err();
    assert!(err.to_string().contains("smtp_tls"), "{err}");
    let err = Settings::load(None, env(&[("PORTCULLIS_MAIL__SMTP_USERNAME", "u")])).unwrap_err();
    assert!(
        err.to_string().contains("key mail.smtp_password ("),
        "{err}"
    );
    let s = Settings::load(
        None,
        env(&[
            ("PORTCULLIS_MAIL__SMTP_USERNAME", "u"),
            ("PORTCULLIS_MAIL__SMTP_PASSWORD", "hunter2-secret"),
        ]),
    )
    .unwrap();
    assert!(!format!("{s:?}").contains("hunter2-secret"));
}
