//! Hashing for keys that are already uniform hashes (fingerprints and
//! hashed keys): a hash table over them need not hash them again.

use std::hash::{BuildHasherDefault, Hasher};

/// A hash table's hasher for keys that are uniform hashes already: their
/// low 64 bits are used as they are.
#[derive(Default)]
pub struct Prehashed(u64);

/// Builds [`Prehashed`] hashers, for `HashMap` and `HashSet`.
pub type BuildPrehashed = BuildHasherDefault<Prehashed>;

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only u64 and u128 keys are hashed (through their own methods);
        // fold anything else.
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(word);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }

    fn write_u128(&mut self, value: u128) {
        self.0 = value as u64;
    }
}
