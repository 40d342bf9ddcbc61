//! Password hashing: argon2id PHC strings, computed off the async runtime with
//! bounded concurrency, and verified by a dispatch on the stored hash's format
//! so that hashes imported from other systems can be verified and upgraded.
//!
//! The semaphore is what keeps a login flood from taking the server down: at
//! most `max_concurrent` hashes run at once (each holding ~19 MiB), and the
//! rest wait their turn instead of piling up memory and threads.

use crate::error::Error;
use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use std::sync::Arc;
use tokio::sync::Semaphore;

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

/// Hashes and verifies passwords.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
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
        let params = Params::new(
            config.memory_kib,
            config.iterations,
            config.parallelism,
            None,
        )
        .map_err(|e| Error::Internal(format!("invalid argon2 parameters: {e}")))?;
        let mut random = [0u8; 32];
        rand::fill(&mut random);
        let dummy = hash_blocking(&params, &hex::encode(random))?;
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(config.max_concurrent.max(1))),
            dummy: dummy.into(),
        })
    }

    /// Hashes a (normalised) password to a PHC string.
    pub async fn hash(&self, password: &str) -> Result<String, Error> {
        let params = self.params.clone();
        let password = password.to_owned();
        self.run(move || hash_blocking(&params, &password)).await?
    }

    /// Verifies a (normalised) password against a stored hash.
    pub async fn verify(&self, password: &str, stored: &str) -> Result<Verified, Error> {
        let params = self.params.clone();
        let password = password.to_owned();
        let stored = stored.to_owned();
        self.run(move || Ok(verify_blocking(&params, &password, &stored)))
            .await?
    }

    /// Spends the same work as a real verification, for accounts that do not
    /// exist or have no password. Always "no match".
    pub async fn verify_dummy(&self, password: &str) -> Result<(), Error> {
        let dummy = self.dummy.clone();
        self.verify(password, &dummy).await.map(|_| ())
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Error> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| Error::Internal("hasher closed".into()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| Error::Internal(format!("hashing task failed: {e}")))
    }
}

fn argon2(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

fn hash_blocking(params: &Params, password: &str) -> Result<String, Error> {
    argon2(params)
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| Error::Internal(format!("hashing failed: {e}")))
}

fn verify_blocking(params: &Params, password: &str, stored: &str) -> Verified {
    match format_of(stored) {
        HashFormat::Argon2 => {
            let Ok(parsed) = PasswordHash::new(stored) else {
                tracing::warn!("stored argon2 hash does not parse");
                return Verified {
                    matches: false,
                    needs_rehash: false,
                };
            };
            let matches = argon2(params)
                .verify_password(password.as_bytes(), &parsed)
                .is_ok();
            let current = parsed.algorithm.as_str() == "argon2id"
                && Params::try_from(&parsed).is_ok_and(|p| {
                    p.m_cost() == params.m_cost()
                        && p.t_cost() == params.t_cost()
                        && p.p_cost() == params.p_cost()
                });
            Verified {
                matches,
                needs_rehash: matches && !current,
            }
        }
        HashFormat::Unknown => {
            tracing::warn!("stored password hash has an unknown format");
            Verified {
                matches: false,
                needs_rehash: false,
            }
        }
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

    #[test]
    fn default_parameters_are_owasp_argon2id() {
        let config = HashingConfig::default();
        assert_eq!(
            (config.memory_kib, config.iterations, config.parallelism),
            (19456, 2, 1)
        );
    }
}
