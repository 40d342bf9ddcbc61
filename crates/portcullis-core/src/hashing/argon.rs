//! Stored argon2 PHC strings: parsed, bounded and recomputed.

use super::{MAX_STORED_MEMORY_KIB, MAX_STORED_WORK};
use argon2::password_hash::phc::{Output, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;

/// A stored argon2 PHC string, taken apart.
pub(crate) struct ParsedArgon2 {
    pub(crate) algorithm: Algorithm,
    pub(crate) version: Version,
    pub(crate) params: Params,
    pub(crate) salt: Salt,
    pub(crate) expected: Output,
}

impl ParsedArgon2 {
    pub(crate) fn parse(stored: &str) -> Option<Self> {
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
    pub(crate) fn affordable(&self, params: &Params) -> bool {
        let work = |p: &Params| u64::from(p.m_cost()) * u64::from(p.t_cost());
        self.params.m_cost() <= MAX_STORED_MEMORY_KIB.max(params.m_cost())
            && work(&self.params) <= MAX_STORED_WORK.max(work(params))
    }

    /// Recomputes the hash of `password` with the stored parameters and
    /// compares in constant time. A stored hash that needs more memory than
    /// the configured cost (one made before the cost was lowered) gets a
    /// buffer of its own for this verification.
    pub(crate) fn matches(&self, password: &[u8], blocks: &mut [Block]) -> bool {
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
            .hash_password_into_with_memory(password, &self.salt, &mut out, memory)
            .is_ok()
            && bool::from(out.ct_eq(expected))
    }
}
