//! Reports on Vault (and OpenBao) raft snapshots: `inspect` in Vault's own layout, `decode`
//! (entries as JSON lines), `diff` by key, and `trend` by key prefix. Values are ciphertext
//! under Vault's barrier: no report prints them, only their size and [`fingerprint`].

pub mod decode;
pub mod diff;
pub mod inspect;
pub mod trend;

pub use inspect::{MetadataInfo, TypeStats, VaultReport, VaultStats};

use sha2::{Digest, Sha256};

/// Identifies a value without showing it: the first 8 bytes of its SHA-256, in hex.
pub fn fingerprint(value: &[u8]) -> String {
    Sha256::digest(value)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The key's first `depth` `/`-separated parts, as Vault's inspect groups keys
/// (`strings.Split` then `Join`); depth 0 is the whole key.
pub fn prefix(key: &[u8], depth: usize) -> &[u8] {
    if depth == 0 {
        return key;
    }
    match key
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'/')
        .nth(depth - 1)
    {
        Some((i, _)) => &key[..i],
        None => key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_split_like_go() {
        assert_eq!(prefix(b"core/cluster/local/info", 2), b"core/cluster");
        assert_eq!(prefix(b"core/audit", 2), b"core/audit");
        assert_eq!(prefix(b"core/audit", 0), b"core/audit");
        assert_eq!(prefix(b"a/b/", 2), b"a/b");
        assert_eq!(prefix(b"a/b/", 3), b"a/b/");
        assert_eq!(prefix(b"abc", 1), b"abc");
    }

    #[test]
    fn fingerprint_is_the_sha256_prefix() {
        // SHA-256 of the empty string starts e3b0c44298fc1c14.
        assert_eq!(fingerprint(b""), "e3b0c44298fc1c14");
        assert_eq!(fingerprint(b"abc"), "ba7816bf8f01cfea");
    }
}
