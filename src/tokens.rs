//! Capabilities: bearer tokens are minted here (32 bytes from the OS-seeded CSPRNG), stored only
//! as their SHA-256 and compared in constant time; ids are short random strings.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A fresh bearer token: 32 bytes from the OS-seeded CSPRNG, hex.
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

/// A short random id (`prefix` and 16 hex digits).
pub fn new_id(prefix: &str) -> String {
    let bytes: [u8; 8] = rand::random();
    format!("{prefix}{}", hex::encode(bytes))
}

/// How tokens are stored: sha256, hex.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compare a presented token's hash with a stored hash in constant time.
pub fn token_matches(token_hash: &str, stored: &str) -> bool {
    token_hash.len() == stored.len() && bool::from(token_hash.as_bytes().ct_eq(stored.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_hex_and_stored_as_their_hash() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        let h = hash_token(&a);
        assert_ne!(h, a);
        assert!(token_matches(&hash_token(&a), &h));
        assert!(!token_matches(&hash_token(&b), &h));
        assert!(!token_matches("", &h));
        assert!(new_id("m").starts_with('m') && new_id("m").len() == 17);
    }
}
