//! Hashing for keys that are already uniform hashes (fingerprints and
//! hashed keys): a hash table over them need not hash them again; and
//! [`fnv1a`], the one hash whose value is the same on every machine and in
//! every version (shards, SARIF fingerprints).

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

/// FNV-1a, 64-bit: small, fast, and fixed by its definition (the hashers
/// of the standard library and of foldhash are seeded), for values written
/// out or shared between runs.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_fnv1a_as_published() {
        // Test vectors from the FNV reference (draft-eastlake-fnv).
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
