//! Entry points for the fuzz targets under `fuzz/`: thin wrappers over the
//! stored-hash parser and the blocking halves of hashing, which are private
//! in a normal build. Compiled only with the `fuzzing` feature.

use crate::error::Error;
use crate::hashing::{self, HashingConfig, Verified};

/// What the verifier made of a stored argon2 PHC string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredArgon2 {
    /// `argon2d`, `argon2i` or `argon2id`.
    pub algorithm: String,
    /// The version number (`0x10` or `0x13`).
    pub version: u32,
    /// `m`, in KiB.
    pub memory_kib: u32,
    /// `t`.
    pub iterations: u32,
    /// `p`.
    pub parallelism: u32,
    /// Bytes of salt.
    pub salt_len: usize,
    /// Bytes of the expected output.
    pub hash_len: usize,
}

/// The format the verifier dispatches `stored` to (`"argon2"`,
/// `"werkzeug-pbkdf2"`, `"bcrypt"`, `"flask-security"`, …, or `"unknown"`).
pub fn stored_format(stored: &str) -> &'static str {
    hashing::format_name(stored)
}

/// `stored` as the verifier parses it before any hashing, or `None` where it
/// refuses the string without computing anything.
pub fn parse_argon2(stored: &str) -> Option<StoredArgon2> {
    hashing::parse_stored(stored)
}

/// A stored hash of another system (werkzeug, bcrypt, passlib, Django) as
/// the verifier parses it: its format's name and whether its cost is within
/// the bounds (over them it is refused without being computed).
pub fn parse_imported(stored: &str) -> Option<(&'static str, bool)> {
    hashing::parse_imported(stored)
}

/// The `SECURITY_PASSWORD_SALT` [`verify`] applies to hashes marked as
/// Flask-Security's pre-hashed ones.
pub const FLASK_SECURITY_SALT: &str = "the fuzz targets' Flask-Security salt";

/// The most memory (KiB) a stored hash may ask for when the configuration
/// asks for less; a stored hash over it never verifies.
pub const MAX_STORED_MEMORY_KIB: u32 = hashing::MAX_STORED_MEMORY_KIB;
/// The most work (memory × passes) a stored hash may ask for when the
/// configuration asks for less; a stored hash over it never verifies.
pub const MAX_STORED_WORK: u64 = hashing::MAX_STORED_WORK;

/// Hashes `password` under `config` on this thread, as the blocking half of
/// [`PasswordHasher::hash`](crate::PasswordHasher::hash) does.
pub fn hash(config: HashingConfig, password: &str) -> Result<String, Error> {
    hashing::hash_now(config, password)
}

/// Verifies `password` against `stored` under `config` on this thread, as
/// the blocking half of [`PasswordHasher::verify`](crate::PasswordHasher::verify) does.
pub fn verify(config: HashingConfig, password: &str, stored: &str) -> Result<Verified, Error> {
    hashing::verify_now(config, password, stored)
}
