//! Password hashing: argon2id PHC strings, computed off the async runtime with
//! bounded concurrency, and verified by a dispatch on the stored hash's format
//! so that hashes imported from other systems can be verified and upgraded.
//!
//! The semaphore is what keeps a login flood from taking the server down: at
//! most `max_concurrent` hashes run at once, and the rest wait their turn
//! instead of piling up memory and threads. A permit is held until its hash
//! has finished on the blocking thread, not merely until the request that
//! asked for it goes away, so clients that disconnect mid-login cannot push
//! the number of running hashes past the limit.
//!
//! Each running hash needs `memory_kib` of working memory (19 MiB by
//! default). The hasher keeps one such buffer per permit and reuses it,
//! instead of allocating and freeing 19 MiB per hash: the system allocator
//! keeps freed blocks that large in per-thread arenas, and under a login
//! flood the process grew by hundreds of MiB that way. With the buffers owned
//! here, hashing memory is at most `max_concurrent × memory_kib`, allocated
//! on first use.

mod argon;
mod dispatch;
mod imported;

use crate::error::Error;
#[cfg(any(test, feature = "fuzzing"))]
use argon::ParsedArgon2;
use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
pub use dispatch::{FLASK_SECURITY_PREFIX, FLASK_SECURITY_SINGLE_PREFIX};
use dispatch::{Scheme, verify_blocking};
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;
use unicode_normalization::UnicodeNormalization;

/// Bytes of salt in a new hash (the PHC recommendation).
const SALT_LEN: usize = 16;

/// The most memory a stored hash may ask for (in KiB) unless the
/// configuration asks for more: 1 GiB, libsodium's "sensitive" level. A
/// stored string names its own cost, and without a bound one row with
/// `m=4294967295` (4 TiB) or `t=4294967295` would take the server's memory
/// or a hashing thread for good at its next login.
pub(crate) const MAX_STORED_MEMORY_KIB: u32 = 1024 * 1024;
/// The most work (memory × passes, in KiB) a stored hash may ask for
/// unless the configuration asks for more: that same level's 1 GiB × 4.
pub(crate) const MAX_STORED_WORK: u64 = 4 * 1024 * 1024;

/// Cost parameters of argon2id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingConfig {
    /// Memory in KiB (default 19456 = 19 MiB, the OWASP recommendation).
    pub memory_kib: u32,
    /// Passes over memory (default 2).
    pub iterations: u32,
    /// Lanes (default 1).
    pub parallelism: u32,
    /// Hashes allowed to run at once (default: the number of cores).
    pub max_concurrent: usize,
}

impl Default for HashingConfig {
    fn default() -> Self {
        Self {
            memory_kib: Params::DEFAULT_M_COST,
            iterations: Params::DEFAULT_T_COST,
            parallelism: Params::DEFAULT_P_COST,
            max_concurrent: std::thread::available_parallelism().map_or(2, |n| n.get()),
        }
    }
}

/// What a verification found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// The password matches.
    pub matches: bool,
    /// The stored hash uses another algorithm or other parameters than the
    /// configured ones and should be replaced now that the password is known.
    pub needs_rehash: bool,
}

/// Working memory for argon2, one buffer per permit, reused from hash to
/// hash. A buffer is taken and given back on the blocking thread while its
/// permit is held, so there are never more buffers than permits.
#[derive(Debug)]
struct Memory {
    blocks: usize,
    free: Mutex<Vec<Vec<Block>>>,
}

impl Memory {
    fn take(&self) -> Vec<Block> {
        let reused = self.free.lock().ok().and_then(|mut free| free.pop());
        reused.unwrap_or_else(|| vec![Block::new(); self.blocks])
    }

    fn give_back(&self, buffer: Vec<Block>) {
        if let Ok(mut free) = self.free.lock() {
            free.push(buffer);
        }
    }
}

/// What argon2 reported (its error types do not all implement
/// `std::error::Error`, so their words are kept).
#[derive(Debug, thiserror::Error)]
#[error("{0}: {1}")]
struct HashingFailure(&'static str, String);

/// Hashes and verifies passwords.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    memory: Arc<Memory>,
    /// Hash of a random password, verified against when the account does not
    /// exist, so that "no such user" costs the same as "wrong password".
    dummy: Arc<str>,
    /// `SECURITY_PASSWORD_SALT` of an imported Flask-Security app, for the
    /// hashes its import marked as pre-hashed.
    flask_security_salt: Option<Arc<[u8]>>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.params)
            .field("available_permits", &self.permits.available_permits())
            .finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// Builds a hasher; fails if the parameters are out of argon2's range.
    pub fn new(config: HashingConfig) -> Result<Self, Error> {
        let params = params_of(config)?;
        let mut random = [0u8; 32];
        rand::fill(&mut random);
        // Working memory for this one hash only: the pool fills on first use,
        // so an idle server holds none.
        let mut blocks = vec![Block::new(); params.block_count()];
        let dummy = hash_blocking(&params, &hex::encode(random), &mut blocks)?;
        drop(blocks);
        Ok(Self {
            memory: Arc::new(Memory {
                blocks: params.block_count(),
                free: Mutex::new(Vec::new()),
            }),
            params,
            permits: Arc::new(Semaphore::new(config.max_concurrent.max(1))),
            dummy: dummy.into(),
            flask_security_salt: None,
        })
    }

    /// Hashes a password to a PHC string: the hash is of its NFKC form, as
    /// [`Self::verify`] compares, so a password hashes alike however the
    /// keyboard composed it.
    pub async fn hash(&self, password: &str) -> Result<String, Error> {
        let params = self.params.clone();
        let password = password.to_owned();
        self.run(move |blocks| hash_blocking(&params, &password, blocks))
            .await?
    }

    /// The `SECURITY_PASSWORD_SALT` of a Flask-Security app whose users were
    /// imported: their pre-hashed passwords need it at every login until
    /// each has been rehashed.
    pub fn with_flask_security_salt(mut self, salt: Option<&str>) -> Self {
        self.flask_security_salt = salt.map(|salt| Arc::from(salt.as_bytes()));
        self
    }

    /// Verifies a password, as the user typed it, against a stored hash:
    /// each format gets the form of the password it was made from (see
    /// [`dispatch`]); a password already NFKC-normalised verifies alike
    /// against Portcullis's own hashes.
    pub async fn verify(&self, password: &str, stored: &str) -> Result<Verified, Error> {
        let params = self.params.clone();
        let password = password.to_owned();
        let stored = stored.to_owned();
        let salt = self.flask_security_salt.clone();
        self.run(move |blocks| {
            Ok(verify_blocking(
                &params,
                &password,
                &stored,
                blocks,
                salt.as_deref(),
            ))
        })
        .await?
    }

    /// Spends the same work as a real verification, for accounts that do not
    /// exist or have no password. Always "no match".
    pub async fn verify_dummy(&self, password: &str) -> Result<(), Error> {
        let dummy = self.dummy.clone();
        self.verify(password, &dummy).await.map(|_| ())
    }

    /// Runs `work` on a blocking thread with a permit and a memory buffer,
    /// both held until `work` returns, even if the caller stops waiting.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut [Block]) -> T + Send + 'static,
    ) -> Result<T, Error> {
        // The queue in front of the hashing threads, for the metrics: how
        // many wait for a permit, and how long each waited.
        let queued = std::time::Instant::now();
        let waiting = metrics::gauge!("portcullis_password_hash_waiting");
        waiting.increment(1.0);
        let permit = self.permits.clone().acquire_owned().await;
        waiting.decrement(1.0);
        metrics::histogram!("portcullis_password_hash_wait_seconds")
            .record(queued.elapsed().as_secs_f64());
        let permit = permit.map_err(Error::internal)?;
        let memory = self.memory.clone();
        tokio::task::spawn_blocking(move || {
            let mut blocks = memory.take();
            let result = work(&mut blocks);
            memory.give_back(blocks);
            drop(permit);
            result
        })
        .await
        .map_err(Error::internal)
    }
}

fn hash_blocking(params: &Params, password: &str, blocks: &mut [Block]) -> Result<String, Error> {
    let failed = |e: &dyn std::fmt::Display| {
        Error::internal(HashingFailure("hashing failed", e.to_string()))
    };
    let mut salt = [0u8; SALT_LEN];
    rand::fill(&mut salt);
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let password: String = password.nfkc().collect();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, blocks)
        .map_err(|e| failed(&e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(|e| failed(&e))?,
        salt: Some(Salt::new(&salt).map_err(|e| failed(&e))?),
        hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
    };
    Ok(phc.to_string())
}

/// Builds the argon2 parameters of `config`.
fn params_of(config: HashingConfig) -> Result<Params, Error> {
    Params::new(
        config.memory_kib,
        config.iterations,
        config.parallelism,
        None,
    )
    .map_err(|e| Error::internal(HashingFailure("invalid argon2 parameters", e.to_string())))
}

/// The format of a stored hash as the verifier sees it: `"argon2"`,
/// `"werkzeug-pbkdf2"`, `"werkzeug-scrypt"`, `"werkzeug-legacy"`,
/// `"django-pbkdf2"`, `"passlib-pbkdf2"`, `"bcrypt"`, `"bcrypt-sha256"`,
/// `"flask-security"`, `"flask-security-single"`, or `"unknown"` (which
/// never verifies), for reports.
pub fn format_name(stored: &str) -> &'static str {
    Scheme::of(stored).name()
}

#[cfg(feature = "fuzzing")]
pub(crate) fn parse_imported(stored: &str) -> Option<(&'static str, bool)> {
    imported::Imported::parse(stored).map(|parsed| (parsed.name(), parsed.affordable()))
}

#[cfg(feature = "fuzzing")]
pub(crate) fn parse_stored(stored: &str) -> Option<crate::fuzzing::StoredArgon2> {
    let parsed = ParsedArgon2::parse(stored)?;
    Some(crate::fuzzing::StoredArgon2 {
        algorithm: parsed.algorithm.ident().as_str().to_owned(),
        version: parsed.version.into(),
        memory_kib: parsed.params.m_cost(),
        iterations: parsed.params.t_cost(),
        parallelism: parsed.params.p_cost(),
        salt_len: parsed.salt.len(),
        hash_len: parsed.expected.len(),
    })
}

#[cfg(feature = "fuzzing")]
pub(crate) fn hash_now(config: HashingConfig, password: &str) -> Result<String, Error> {
    let params = params_of(config)?;
    let mut blocks = vec![Block::new(); params.block_count()];
    hash_blocking(&params, password, &mut blocks)
}

#[cfg(feature = "fuzzing")]
pub(crate) fn verify_now(
    config: HashingConfig,
    password: &str,
    stored: &str,
) -> Result<Verified, Error> {
    let params = params_of(config)?;
    let mut blocks = vec![Block::new(); params.block_count()];
    Ok(verify_blocking(
        &params,
        password,
        stored,
        &mut blocks,
        Some(crate::fuzzing::FLASK_SECURITY_SALT.as_bytes()),
    ))
}

#[cfg(test)]
mod tests;
