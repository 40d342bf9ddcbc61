//! The email templates: embedded in the binary, each replaceable by a file
//! of the same name under `<http.templates_dir>/email/`. Autoescaping is on
//! for the `.html` ones, off for the `.txt` ones.

use minijinja::Environment;
use std::path::PathBuf;

/// Every email template, by name.
pub(super) const EMBEDDED: &[(&str, &str)] = &[
    (
        "email/base.html",
        include_str!("../../templates/email/base.html"),
    ),
    (
        "email/confirm_email.txt",
        include_str!("../../templates/email/confirm_email.txt"),
    ),
    (
        "email/confirm_email.html",
        include_str!("../../templates/email/confirm_email.html"),
    ),
    (
        "email/password_reset.txt",
        include_str!("../../templates/email/password_reset.txt"),
    ),
    (
        "email/password_reset.html",
        include_str!("../../templates/email/password_reset.html"),
    ),
    (
        "email/password_reset_done.txt",
        include_str!("../../templates/email/password_reset_done.txt"),
    ),
    (
        "email/password_reset_done.html",
        include_str!("../../templates/email/password_reset_done.html"),
    ),
    (
        "email/password_changed.txt",
        include_str!("../../templates/email/password_changed.txt"),
    ),
    (
        "email/password_changed.html",
        include_str!("../../templates/email/password_changed.html"),
    ),
    (
        "email/confirm_email_change.txt",
        include_str!("../../templates/email/confirm_email_change.txt"),
    ),
    (
        "email/confirm_email_change.html",
        include_str!("../../templates/email/confirm_email_change.html"),
    ),
    (
        "email/email_changed.txt",
        include_str!("../../templates/email/email_changed.txt"),
    ),
    (
        "email/email_changed.html",
        include_str!("../../templates/email/email_changed.html"),
    ),
    (
        "email/address_in_use.txt",
        include_str!("../../templates/email/address_in_use.txt"),
    ),
    (
        "email/address_in_use.html",
        include_str!("../../templates/email/address_in_use.html"),
    ),
    (
        "email/identity_linked.txt",
        include_str!("../../templates/email/identity_linked.txt"),
    ),
    (
        "email/identity_linked.html",
        include_str!("../../templates/email/identity_linked.html"),
    ),
    (
        "email/prove_address.txt",
        include_str!("../../templates/email/prove_address.txt"),
    ),
    (
        "email/prove_address.html",
        include_str!("../../templates/email/prove_address.html"),
    ),
    (
        "email/two_factor_enabled.txt",
        include_str!("../../templates/email/two_factor_enabled.txt"),
    ),
    (
        "email/two_factor_enabled.html",
        include_str!("../../templates/email/two_factor_enabled.html"),
    ),
    (
        "email/passkey_added.txt",
        include_str!("../../templates/email/passkey_added.txt"),
    ),
    (
        "email/passkey_added.html",
        include_str!("../../templates/email/passkey_added.html"),
    ),
    (
        "email/passkey_removed.txt",
        include_str!("../../templates/email/passkey_removed.txt"),
    ),
    (
        "email/passkey_removed.html",
        include_str!("../../templates/email/passkey_removed.html"),
    ),
    (
        "email/two_factor_disabled.txt",
        include_str!("../../templates/email/two_factor_disabled.txt"),
    ),
    (
        "email/two_factor_disabled.html",
        include_str!("../../templates/email/two_factor_disabled.html"),
    ),
    (
        "email/recovery_code_used.txt",
        include_str!("../../templates/email/recovery_code_used.txt"),
    ),
    (
        "email/recovery_code_used.html",
        include_str!("../../templates/email/recovery_code_used.html"),
    ),
    (
        "email/recovery_codes_regenerated.txt",
        include_str!("../../templates/email/recovery_codes_regenerated.txt"),
    ),
    (
        "email/recovery_codes_regenerated.html",
        include_str!("../../templates/email/recovery_codes_regenerated.html"),
    ),
];

/// The environment, every template compiled now so a broken override stops
/// the server at start rather than failing a delivery later. Overrides are
/// read from `<override_dir>/email/`, by the pages' own loader.
pub(super) fn environment(override_dir: Option<PathBuf>) -> anyhow::Result<Environment<'static>> {
    Ok(portcullis_axum::template_environment(
        EMBEDDED,
        override_dir,
    )?)
}
