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

use crate::error::Error;
use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::{Arc, Mutex};
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

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

/// Formats of stored hash the verifier understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HashFormat {
    Argon2,
    Unknown,
}

fn format_of(stored: &str) -> HashFormat {
    if stored.starts_with("$argon2") {
        HashFormat::Argon2
    } else {
        HashFormat::Unknown
    }
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
        })
    }

    /// Hashes a (normalised) password to a PHC string.
    pub async fn hash(&self, password: &str) -> Result<String, Error> {
        let params = self.params.clone();
        let password = password.to_owned();
        self.run(move |blocks| hash_blocking(&params, &password, blocks))
            .await?
    }

    /// Verifies a (normalised) password against a stored hash.
    pub async fn verify(&self, password: &str, stored: &str) -> Result<Verified, Error> {
        let params = self.params.clone();
        let password = password.to_owned();
        let stored = stored.to_owned();
        self.run(move |blocks| Ok(verify_blocking(&params, &password, &stored, blocks)))
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
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(Error::internal)?;
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

fn verify_blocking(
    params: &Params,
    password: &str,
    stored: &str,
    blocks: &mut [Block],
) -> Verified {
    const NO: Verified = Verified {
        matches: false,
        needs_rehash: false,
    };
    match format_of(stored) {
        HashFormat::Argon2 => {
            let Some(parsed) = ParsedArgon2::parse(stored) else {
                tracing::warn!("stored argon2 hash does not parse");
                return NO;
            };
            if !parsed.affordable(params) {
                tracing::warn!(
                    m = parsed.params.m_cost(),
                    t = parsed.params.t_cost(),
                    "stored argon2 hash asks for more work than any hash is given; not computed"
                );
                return NO;
            }
            let matches = parsed.matches(password, blocks);
            let current = parsed.algorithm == Algorithm::Argon2id
                && parsed.params.m_cost() == params.m_cost()
                && parsed.params.t_cost() == params.t_cost()
                && parsed.params.p_cost() == params.p_cost();
            Verified {
                matches,
                needs_rehash: matches && !current,
            }
        }
        HashFormat::Unknown => {
            tracing::warn!("stored password hash has an unknown format");
            NO
        }
    }
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

#[cfg(feature = "fuzzing")]
pub(crate) fn format_name(stored: &str) -> &'static str {
    match format_of(stored) {
        HashFormat::Argon2 => "argon2",
        HashFormat::Unknown => "unknown",
    }
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
    Ok(verify_blocking(&params, password, stored, &mut blocks))
}

/// A stored argon2 PHC string, taken apart.
struct ParsedArgon2 {
    algorithm: Algorithm,
    version: Version,
    params: Params,
    salt: Salt,
    expected: Output,
}

impl ParsedArgon2 {
    fn parse(stored: &str) -> Option<Self> {
        let phc = PasswordHash::new(stored).ok()?;
        Some(Self {
            algorithm: Algorithm::try_from(phc.algorithm.as_str()).ok()?,
            version: phc
                .version
                .map_or(Ok(Version::default()), Version::try_from)
                .ok()?,
            params: Params::try_from(&phc).ok()?,
            salt: phc.salt?,
            expected: phc.hash?,
        })
    }

    /// Whether verifying it costs no more than [`MAX_STORED_MEMORY_KIB`]
    /// and [`MAX_STORED_WORK`], or than the configured `params` if those ask
    /// for more.
    fn affordable(&self, params: &Params) -> bool {
        let work = |p: &Params| u64::from(p.m_cost()) * u64::from(p.t_cost());
        self.params.m_cost() <= MAX_STORED_MEMORY_KIB.max(params.m_cost())
            && work(&self.params) <= MAX_STORED_WORK.max(work(params))
    }

    /// Recomputes the hash of `password` with the stored parameters and
    /// compares in constant time. A stored hash that needs more memory than
    /// the configured cost (one made before the cost was lowered) gets a
    /// buffer of its own for this verification.
    fn matches(&self, password: &str, blocks: &mut [Block]) -> bool {
        let mut own;
        let needed = self.params.block_count();
        let memory = if needed <= blocks.len() {
            &mut blocks[..needed]
        } else {
            own = vec![Block::new(); needed];
            &mut own[..]
        };
        let expected = self.expected.as_bytes();
        let mut out = vec![0u8; expected.len()];
        let argon2 = Argon2::new(self.algorithm, self.version, self.params.clone());
        argon2
            .hash_password_into_with_memory(password.as_bytes(), &self.salt, &mut out, memory)
            .is_ok()
            && bool::from(out.ct_eq(expected))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap(memory_kib: u32) -> PasswordHasher {
        PasswordHasher::new(HashingConfig {
            memory_kib,
            iterations: 1,
            parallelism: 1,
            max_concurrent: 2,
        })
        .unwrap()
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let hasher = cheap(1024);
        let hash = hasher.hash("correct horse").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
        let ok = hasher.verify("correct horse", &hash).await.unwrap();
        assert_eq!(
            ok,
            Verified {
                matches: true,
                needs_rehash: false
            }
        );
        let bad = hasher.verify("correct horsE", &hash).await.unwrap();
        assert!(!bad.matches);
    }

    #[tokio::test]
    async fn changed_parameters_ask_for_a_rehash_only_on_a_match() {
        let old = cheap(1024).hash("pw-123456").await.unwrap();
        let hasher = cheap(2048);
        assert_eq!(
            hasher.verify("pw-123456", &old).await.unwrap(),
            Verified {
                matches: true,
                needs_rehash: true
            }
        );
        assert!(!hasher.verify("wrong", &old).await.unwrap().needs_rehash);
    }

    #[tokio::test]
    async fn unknown_or_garbled_hashes_never_match() {
        let hasher = cheap(1024);
        for stored in ["", "plaintext", "$argon2id$garbage", "md5$abc"] {
            assert!(
                !hasher.verify("plaintext", stored).await.unwrap().matches,
                "{stored}"
            );
        }
        hasher.verify_dummy("anything").await.unwrap();
    }

    #[tokio::test]
    async fn hashes_interoperate_with_the_argon2_crates_own_phc_code() {
        use argon2::{PasswordHasher as _, PasswordVerifier as _};
        let params = Params::new(1024, 1, 1, None).unwrap();
        let reference = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let hasher = cheap(1024);

        let ours = hasher.hash("pw-123456").await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(reference.verify_password(b"pw-123456", &parsed).is_ok());
        assert!(reference.verify_password(b"pw-1234567", &parsed).is_err());

        let theirs = reference.hash_password(b"pw-123456").unwrap().to_string();
        assert_eq!(
            hasher.verify("pw-123456", &theirs).await.unwrap(),
            Verified {
                matches: true,
                needs_rehash: false
            }
        );
    }

    #[tokio::test]
    async fn a_hash_costlier_than_the_configuration_still_verifies() {
        let costly = cheap(4096).hash("pw-123456").await.unwrap();
        let hasher = cheap(1024);
        assert_eq!(
            hasher.verify("pw-123456", &costly).await.unwrap(),
            Verified {
                matches: true,
                needs_rehash: true
            }
        );
        assert!(!hasher.verify("pw-654321", &costly).await.unwrap().matches);
    }

    #[tokio::test]
    async fn a_stored_hash_asking_for_absurd_work_is_refused_without_computing_it() {
        let hasher = cheap(1024);
        let real = hasher.hash("pw-123456").await.unwrap();
        let (_, output) = real.rsplit_once('$').unwrap();
        // Each would take terabytes or days if computed; refused, they
        // answer at once.
        for cost in [
            "m=4294967295,t=1,p=1",
            "m=8,t=4294967295,p=1",
            "m=1048577,t=1,p=1",
            "m=1048576,t=5,p=1",
        ] {
            let stored = format!("$argon2id$v=19${cost}$c29tZXNhbHRzb21lc2FsdA${output}");
            assert!(ParsedArgon2::parse(&stored).is_some(), "{stored}");
            let verified = hasher.verify("pw-123456", &stored).await.unwrap();
            assert!(!verified.matches, "{cost}");
        }
    }

    #[test]
    fn the_configured_cost_is_always_affordable() {
        let costly = Params::new(2 * MAX_STORED_MEMORY_KIB, 3, 1, None).unwrap();
        let stored = format!(
            "$argon2id$v=19$m={},t=3,p=1$c29tZXNhbHRzb21lc2FsdA$Zb6l6iFmKBnEe4vUUJj3LjgeVhhybLN2jiVDA7WxXyg",
            2 * MAX_STORED_MEMORY_KIB
        );
        let parsed = ParsedArgon2::parse(&stored).unwrap();
        assert!(parsed.affordable(&costly));
        assert!(!parsed.affordable(&Params::default()));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn working_memory_never_exceeds_one_buffer_per_permit() {
        let hasher = cheap(1024);
        let hash = hasher.hash("pw-123456").await.unwrap();
        let attempts: Vec<_> = (0..16)
            .map(|_| {
                let (hasher, hash) = (hasher.clone(), hash.clone());
                tokio::spawn(async move { hasher.verify("pw-123456", &hash).await })
            })
            .collect();
        for attempt in attempts {
            assert!(attempt.await.unwrap().unwrap().matches);
        }
        let buffers = hasher.memory.free.lock().unwrap().len();
        assert!(
            (1..=2).contains(&buffers),
            "{buffers} buffers for 2 permits"
        );
        assert_eq!(hasher.permits.available_permits(), 2);
    }

    #[test]
    fn default_parameters_are_owasp_argon2id() {
        let config = HashingConfig::default();
        assert_eq!(
            (config.memory_kib, config.iterations, config.parallelism),
            (19456, 2, 1)
        );
    }
}
