//! Which format a stored hash is in, and the form of the password each
//! format was made from.
//!
//! - Portcullis's own argon2id hashes are of the NFKC form of the password.
//! - Hashes imported from werkzeug, Flask-Bcrypt, passlib or Django are of
//!   the password's UTF-8 bytes as the user typed them: those systems did not
//!   normalise.
//! - Hashes imported from Flask-Security carry the prefix `flask-security$`
//!   (pre-hashed: the scheme got base64(HMAC-SHA-512(key =
//!   `SECURITY_PASSWORD_SALT`, password)) instead of the password) or
//!   `flask-security-single$` (the scheme got the password itself), then the
//!   passlib string. Flask-Security normalises passwords to NFKD first. Its
//!   argon2 and bcrypt strings cannot say whether they were pre-hashed, which
//!   is why the import marks them.
//!
//! Every imported format asks for a rehash when it matches, so the next
//! successful login stores argon2id in its place.

use super::Verified;
use super::argon::ParsedArgon2;
use super::imported::{Imported, flask_security_prehash};
use argon2::{Algorithm, Block, Params};
use unicode_normalization::UnicodeNormalization;

/// The prefix the import gives a pre-hashed Flask-Security hash.
pub const FLASK_SECURITY_PREFIX: &str = "flask-security$";
/// The prefix the import gives a single-hash Flask-Security hash.
pub const FLASK_SECURITY_SINGLE_PREFIX: &str = "flask-security-single$";

const NO: Verified = Verified {
    matches: false,
    needs_rehash: false,
};

/// A stored hash, by format.
pub(crate) enum Scheme<'a> {
    Argon2(ParsedArgon2),
    Imported(Imported),
    FlaskSecurity {
        prehashed: bool,
        inner: &'a str,
    },
    /// A format known by its prefix whose string does not parse.
    Garbled(&'static str),
    Unknown,
}

impl<'a> Scheme<'a> {
    pub(crate) fn of(stored: &'a str) -> Self {
        if stored.starts_with("$argon2") {
            return ParsedArgon2::parse(stored).map_or(Self::Garbled("argon2"), Self::Argon2);
        }
        if let Some(inner) = stored.strip_prefix(FLASK_SECURITY_PREFIX) {
            return Self::FlaskSecurity {
                prehashed: true,
                inner,
            };
        }
        if let Some(inner) = stored.strip_prefix(FLASK_SECURITY_SINGLE_PREFIX) {
            return Self::FlaskSecurity {
                prehashed: false,
                inner,
            };
        }
        Imported::parse(stored).map_or(Self::Unknown, Self::Imported)
    }

    /// A name for logs, reports and the fuzz targets.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::Argon2(_) => "argon2",
            Self::Imported(imported) => imported.name(),
            Self::FlaskSecurity {
                prehashed: true, ..
            } => "flask-security",
            Self::FlaskSecurity { .. } => "flask-security-single",
            Self::Garbled(_) | Self::Unknown => "unknown",
        }
    }
}

/// Verifies `typed` (the password as the user typed it) against `stored`.
/// `flask_security_salt` is the `SECURITY_PASSWORD_SALT` of an imported
/// Flask-Security app, if one was imported.
pub(crate) fn verify_blocking(
    params: &Params,
    typed: &str,
    stored: &str,
    blocks: &mut [Block],
    flask_security_salt: Option<&[u8]>,
) -> Verified {
    match Scheme::of(stored) {
        Scheme::Argon2(parsed) => {
            let password: String = typed.nfkc().collect();
            let Some(matches) = argon2_matches(&parsed, params, password.as_bytes(), blocks) else {
                return NO;
            };
            let current = parsed.algorithm == Algorithm::Argon2id
                && parsed.params.m_cost() == params.m_cost()
                && parsed.params.t_cost() == params.t_cost()
                && parsed.params.p_cost() == params.p_cost();
            Verified {
                matches,
                needs_rehash: matches && !current,
            }
        }
        Scheme::Imported(imported) => imported_verified(&imported, typed.as_bytes()),
        Scheme::FlaskSecurity { prehashed, inner } => {
            let normalised: String = typed.nfkd().collect();
            let password = if prehashed {
                let Some(salt) = flask_security_salt else {
                    tracing::warn!(
                        "a Flask-Security hash needs import.flask_security_password_salt, \
                         which is not set; not verified"
                    );
                    return NO;
                };
                flask_security_prehash(salt, normalised.as_bytes())
            } else {
                normalised.into_bytes()
            };
            if inner.starts_with("$argon2") {
                let Some(parsed) = ParsedArgon2::parse(inner) else {
                    tracing::warn!("stored Flask-Security argon2 hash does not parse");
                    return NO;
                };
                let matches = argon2_matches(&parsed, params, &password, blocks).unwrap_or(false);
                return Verified {
                    matches,
                    needs_rehash: matches,
                };
            }
            match Imported::parse(inner) {
                Some(imported) => imported_verified(&imported, &password),
                None => {
                    tracing::warn!("stored Flask-Security hash has an unknown format");
                    NO
                }
            }
        }
        Scheme::Garbled(format) => {
            tracing::warn!(format, "stored password hash does not parse");
            NO
        }
        Scheme::Unknown => {
            tracing::warn!("stored password hash has an unknown format");
            NO
        }
    }
}

/// Whether `password` matches, or `None` if the hash asks for more work
/// than any hash is given.
fn argon2_matches(
    parsed: &ParsedArgon2,
    params: &Params,
    password: &[u8],
    blocks: &mut [Block],
) -> Option<bool> {
    if !parsed.affordable(params) {
        tracing::warn!(
            m = parsed.params.m_cost(),
            t = parsed.params.t_cost(),
            "stored argon2 hash asks for more work than any hash is given; not computed"
        );
        return None;
    }
    Some(parsed.matches(password, blocks))
}

fn imported_verified(imported: &Imported, password: &[u8]) -> Verified {
    if !imported.affordable() {
        tracing::warn!(
            format = imported.name(),
            "stored password hash asks for more work than any hash is given; not computed"
        );
        return NO;
    }
    let matches = imported.matches(password);
    Verified {
        matches,
        needs_rehash: matches,
    }
}
