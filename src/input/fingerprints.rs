//! The set of distinct entries seen, for deduplication, in memory that grows
//! with the number of URLs, never with their text.

use std::collections::HashSet;
use std::hash::{BuildHasher, Hasher, RandomState};

use crate::types::BuildPrehashed;

/// The set of distinct entries seen, kept as 128-bit fingerprints rather than
/// strings so that memory grows with the number of URLs, not their length.
/// Two independent keyed SipHash values make a collision (a URL wrongly
/// treated as a duplicate) vanishingly unlikely: about 1 in 10^26 for a
/// million URLs.
///
/// The set is split into shards by the fingerprint's top bits: a hash table
/// doubles when it grows, holding old and new tables at once, and with one
/// table that moment cost tens of MiB at a million URLs; a shard doubles
/// alone.
pub struct Fingerprints {
    keys: (RandomState, RandomState),
    shards: Vec<HashSet<u128, BuildPrehashed>>,
}

const SHARDS: usize = 64;

impl Fingerprints {
    pub fn new() -> Self {
        Fingerprints {
            keys: (RandomState::new(), RandomState::new()),
            shards: (0..SHARDS).map(|_| HashSet::default()).collect(),
        }
    }

    /// Adds `key`; false when it was seen before.
    pub fn insert(&mut self, key: &str) -> bool {
        let hash = |state: &RandomState| {
            let mut hasher = state.build_hasher();
            hasher.write(key.as_bytes());
            hasher.finish()
        };
        let high = hash(&self.keys.0);
        let fingerprint = (u128::from(high) << 64) | u128::from(hash(&self.keys.1));
        let shard = (high >> (64 - SHARDS.trailing_zeros())) as usize;
        self.shards[shard].insert(fingerprint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_recognise_repeats() {
        let mut seen = Fingerprints::new();
        assert!(seen.insert("http://a.test/"));
        assert!(seen.insert("http://b.test/"));
        assert!(!seen.insert("http://a.test/"));
    }
}
