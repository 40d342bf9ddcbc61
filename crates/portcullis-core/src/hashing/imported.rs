//! Password hashes made by other systems, kept as they were imported and
//! verified in their own format until the next successful login replaces
//! them with argon2id:
//!
//! - werkzeug's `pbkdf2:<digest>:<rounds>$<salt>$<hex>` and
//!   `scrypt:<n>:<r>:<p>$<salt>$<hex>` (the salt is used as its ASCII
//!   bytes), and before werkzeug 2.3 `<digest>$<salt>$<hex>`, an HMAC of the
//!   password keyed with the salt (a plain digest when the salt is empty);
//! - bcrypt `$2a$`, `$2b$`, `$2y$` (Flask-Bcrypt, passlib), of the first 72
//!   bytes of the password as every bcrypt does;
//! - passlib's `$bcrypt-sha256$` (both versions) and `$pbkdf2-<digest>$`;
//! - Django's `pbkdf2_<digest>$<rounds>$<salt>$<base64>`.
//!
//! Each stored string names its own cost. A cost past the bounds here is
//! refused without being computed, so one imported row cannot take a
//! hashing thread for good.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Digest as _, Sha256, Sha384, Sha512};
use subtle::ConstantTimeEq;

/// The most PBKDF2 rounds a stored hash may ask for: ten times werkzeug
/// 3.1's default of one million.
pub(crate) const MAX_PBKDF2_ROUNDS: u32 = 10_000_000;
/// The most memory scrypt may need (128 × N × r bytes): 1 GiB, as for argon2.
pub(crate) const MAX_SCRYPT_MEMORY: u64 = 1 << 30;
/// The most scrypt work (N × r × p): four times that memory's worth.
pub(crate) const MAX_SCRYPT_WORK: u64 = 4 << 23;
/// The highest bcrypt cost computed (2^16 rounds, seconds on one core).
pub(crate) const MAX_BCRYPT_COST: u32 = 16;

/// A digest named in a stored string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Digest {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Digest {
    fn named(name: &str) -> Option<Self> {
        Some(match name {
            "sha1" => Self::Sha1,
            "sha256" => Self::Sha256,
            "sha384" => Self::Sha384,
            "sha512" => Self::Sha512,
            _ => return None,
        })
    }

    fn len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    fn pbkdf2(self, password: &[u8], salt: &[u8], rounds: u32, out: &mut [u8]) {
        use pbkdf2::pbkdf2_hmac;
        match self {
            Self::Sha1 => pbkdf2_hmac::<Sha1>(password, salt, rounds, out),
            Self::Sha256 => pbkdf2_hmac::<Sha256>(password, salt, rounds, out),
            Self::Sha384 => pbkdf2_hmac::<Sha384>(password, salt, rounds, out),
            Self::Sha512 => pbkdf2_hmac::<Sha512>(password, salt, rounds, out),
        }
    }

    fn hmac(self, key: &[u8], message: &[u8]) -> Vec<u8> {
        fn run<M: Mac + KeyInit>(key: &[u8], message: &[u8]) -> Vec<u8> {
            let mut mac = <M as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        match self {
            Self::Sha1 => run::<Hmac<Sha1>>(key, message),
            Self::Sha256 => run::<Hmac<Sha256>>(key, message),
            Self::Sha384 => run::<Hmac<Sha384>>(key, message),
            Self::Sha512 => run::<Hmac<Sha512>>(key, message),
        }
    }

    fn plain(self, message: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => Sha1::digest(message).to_vec(),
            Self::Sha256 => Sha256::digest(message).to_vec(),
            Self::Sha384 => Sha384::digest(message).to_vec(),
            Self::Sha512 => Sha512::digest(message).to_vec(),
        }
    }
}

/// A stored hash of another system, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Imported {
    WerkzeugPbkdf2 {
        digest: Digest,
        rounds: u32,
        salt: String,
        expected: Vec<u8>,
    },
    WerkzeugScrypt {
        log_n: u8,
        r: u32,
        p: u32,
        salt: String,
        expected: Vec<u8>,
    },
    WerkzeugSalted {
        digest: Digest,
        salt: String,
        expected: Vec<u8>,
    },
    Django {
        digest: Digest,
        rounds: u32,
        salt: String,
        expected: Vec<u8>,
    },
    PasslibPbkdf2 {
        digest: Digest,
        rounds: u32,
        salt: Vec<u8>,
        expected: Vec<u8>,
    },
    Bcrypt {
        stored: String,
        cost: u32,
    },
    BcryptSha256 {
        /// 1: bcrypt of base64(SHA-256(password)); 2: of
        /// base64(HMAC-SHA-256(key = salt, password)).
        version: u8,
        /// The bcrypt string the key is checked against.
        bcrypt: String,
        salt: String,
        cost: u32,
    },
}

/// Decodes passlib's "adapted base64": `.` for `+`, no padding.
fn ab64(text: &str) -> Option<Vec<u8>> {
    STANDARD_NO_PAD.decode(text.replace('.', "+")).ok()
}

fn hex_of(text: &str) -> Option<Vec<u8>> {
    hex::decode(text).ok().filter(|bytes| !bytes.is_empty())
}

/// A decimal number without sign or leading zeros.
fn number(text: &str) -> Option<u32> {
    let plain = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    plain.then(|| text.parse().ok()).flatten()
}

fn bcrypt_cost(stored: &str) -> Option<u32> {
    let bytes = stored.as_bytes();
    let shaped = stored.len() == 60
        && stored.is_ascii()
        && [0, 3, 6].iter().all(|&i| bytes[i] == b'$')
        && ["2a", "2b", "2y"].contains(&&stored[1..3]);
    // Two digits, zero-padded: `$2b$04$`.
    let cost = stored
        .get(4..6)
        .filter(|c| c.bytes().all(|b| b.is_ascii_digit()));
    shaped.then(|| cost?.parse().ok()).flatten()
}

impl Imported {
    /// Parses `stored`, or `None` when it is no format this module knows.
    pub(crate) fn parse(stored: &str) -> Option<Self> {
        if stored.starts_with("$2") {
            let cost = bcrypt_cost(stored)?;
            return Some(Self::Bcrypt {
                stored: stored.to_owned(),
                cost,
            });
        }
        if let Some(rest) = stored.strip_prefix("$bcrypt-sha256$") {
            return Self::bcrypt_sha256(rest);
        }
        if let Some(rest) = stored.strip_prefix("$pbkdf2") {
            let (name, rest) = match rest.strip_prefix('-') {
                Some(rest) => rest.split_once('$')?,
                None => ("sha1", rest.strip_prefix('$')?),
            };
            let digest = Digest::named(name)?;
            let mut parts = rest.split('$');
            let (rounds, salt, checksum) = (parts.next()?, parts.next()?, parts.next()?);
            let expected = ab64(checksum)?;
            return (parts.next().is_none() && expected.len() == digest.len()).then(|| {
                Some(Self::PasslibPbkdf2 {
                    digest,
                    rounds: number(rounds)?,
                    salt: ab64(salt)?,
                    expected,
                })
            })?;
        }
        let mut parts = stored.split('$');
        let method = parts.next()?;
        let (second, third) = (parts.next()?, parts.next()?);
        if let Some(name) = method.strip_prefix("pbkdf2_") {
            // Django: pbkdf2_sha256$rounds$salt$base64
            let checksum = parts.next()?;
            let digest = Digest::named(name)?;
            let expected = STANDARD.decode(checksum).ok()?;
            return (parts.next().is_none() && !expected.is_empty()).then(|| {
                Some(Self::Django {
                    digest,
                    rounds: number(second)?,
                    salt: (!third.is_empty()).then(|| third.to_owned())?,
                    expected,
                })
            })?;
        }
        if parts.next().is_some() {
            return None;
        }
        let (salt, expected) = (second.to_owned(), hex_of(third)?);
        let mut args = method.split(':');
        match (
            args.next()?,
            args.next(),
            args.next(),
            args.next(),
            args.next(),
        ) {
            ("pbkdf2", Some(name), Some(rounds), None, None) => Some(Self::WerkzeugPbkdf2 {
                digest: Digest::named(name)?,
                rounds: number(rounds)?,
                salt,
                expected,
            }),
            ("scrypt", Some(n), Some(r), Some(p), None) => {
                let n = number(n)?;
                (n.is_power_of_two() && n > 1).then_some(())?;
                Some(Self::WerkzeugScrypt {
                    log_n: u8::try_from(n.trailing_zeros()).ok()?,
                    r: number(r)?,
                    p: number(p)?,
                    salt,
                    expected,
                })
            }
            (name, None, None, None, None) => {
                let digest = Digest::named(name)?;
                (expected.len() == digest.len()).then_some(Self::WerkzeugSalted {
                    digest,
                    salt,
                    expected,
                })
            }
            _ => None,
        }
    }

    fn bcrypt_sha256(rest: &str) -> Option<Self> {
        let (head, rest) = rest.split_once('$')?;
        let (salt, checksum) = rest.split_once('$')?;
        let (version, ident, rounds) = match head.strip_prefix("v=") {
            Some(v2) => {
                let mut fields = v2.split(',');
                let version = fields.next()?;
                let ident = fields.next()?.strip_prefix("t=")?;
                let rounds = fields.next()?.strip_prefix("r=")?;
                (fields.next().is_none() && version == "2" && ident == "2b")
                    .then_some((2, ident, rounds))?
            }
            None => {
                let (ident, rounds) = head.split_once(',')?;
                ["2a", "2b"]
                    .contains(&ident)
                    .then_some((1, ident, rounds))?
            }
        };
        let cost = number(rounds)?;
        let bcrypt = format!("${ident}${cost:02}${salt}{checksum}");
        (salt.len() == 22 && checksum.len() == 31 && bcrypt_cost(&bcrypt) == Some(cost)).then(
            || Self::BcryptSha256 {
                version,
                bcrypt,
                salt: salt.to_owned(),
                cost,
            },
        )
    }

    /// Whether verifying it costs no more than the bounds of this module.
    pub(crate) fn affordable(&self) -> bool {
        match self {
            Self::WerkzeugPbkdf2 { rounds, .. }
            | Self::Django { rounds, .. }
            | Self::PasslibPbkdf2 { rounds, .. } => (1..=MAX_PBKDF2_ROUNDS).contains(rounds),
            Self::WerkzeugScrypt { log_n, r, p, .. } => {
                let (n, r, p) = (1u64 << log_n, u64::from(*r), u64::from(*p));
                128 * n * r <= MAX_SCRYPT_MEMORY && n * r * p <= MAX_SCRYPT_WORK
            }
            Self::Bcrypt { cost, .. } | Self::BcryptSha256 { cost, .. } => {
                (4..=MAX_BCRYPT_COST).contains(cost)
            }
            Self::WerkzeugSalted { .. } => true,
        }
    }

    /// A name for logs and reports.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::WerkzeugPbkdf2 { .. } => "werkzeug-pbkdf2",
            Self::WerkzeugScrypt { .. } => "werkzeug-scrypt",
            Self::WerkzeugSalted { .. } => "werkzeug-legacy",
            Self::Django { .. } => "django-pbkdf2",
            Self::PasslibPbkdf2 { .. } => "passlib-pbkdf2",
            Self::Bcrypt { .. } => "bcrypt",
            Self::BcryptSha256 { .. } => "bcrypt-sha256",
        }
    }

    /// Recomputes the hash of `password` (bytes as the other system got
    /// them) and compares in constant time. Call only when [`affordable`].
    ///
    /// [`affordable`]: Self::affordable
    pub(crate) fn matches(&self, password: &[u8]) -> bool {
        let same = |computed: &[u8], expected: &[u8]| bool::from(computed.ct_eq(expected));
        match self {
            Self::WerkzeugPbkdf2 {
                digest,
                rounds,
                salt,
                expected,
            }
            | Self::Django {
                digest,
                rounds,
                salt,
                expected,
            } => {
                let mut out = vec![0u8; expected.len()];
                digest.pbkdf2(password, salt.as_bytes(), *rounds, &mut out);
                same(&out, expected)
            }
            Self::PasslibPbkdf2 {
                digest,
                rounds,
                salt,
                expected,
            } => {
                let mut out = vec![0u8; expected.len()];
                digest.pbkdf2(password, salt, *rounds, &mut out);
                same(&out, expected)
            }
            Self::WerkzeugScrypt {
                log_n,
                r,
                p,
                salt,
                expected,
            } => {
                let mut out = vec![0u8; expected.len()];
                scrypt::Params::new(*log_n, *r, *p).is_ok_and(|params| {
                    scrypt::scrypt(password, salt.as_bytes(), &params, &mut out).is_ok()
                }) && same(&out, expected)
            }
            Self::WerkzeugSalted {
                digest,
                salt,
                expected,
            } => {
                let computed = if salt.is_empty() {
                    digest.plain(password)
                } else {
                    digest.hmac(salt.as_bytes(), password)
                };
                same(&computed, expected)
            }
            Self::Bcrypt { stored, .. } => bcrypt::verify(password, stored).unwrap_or(false),
            Self::BcryptSha256 {
                version,
                bcrypt,
                salt,
                ..
            } => {
                let digest = if *version == 1 {
                    Digest::Sha256.plain(password)
                } else {
                    Digest::Sha256.hmac(salt.as_bytes(), password)
                };
                bcrypt::verify(STANDARD.encode(digest), bcrypt).unwrap_or(false)
            }
        }
    }
}

/// Flask-Security's pre-hash: base64(HMAC-SHA-512(key =
/// `SECURITY_PASSWORD_SALT`, password)), what it hands its passlib scheme
/// instead of the password unless the scheme is single-hash.
pub(crate) fn flask_security_prehash(salt: &[u8], password: &[u8]) -> Vec<u8> {
    STANDARD
        .encode(Digest::Sha512.hmac(salt, password))
        .into_bytes()
}
