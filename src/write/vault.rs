//! Writing a synthetic Vault raft snapshot, in the format `snapshot::vault` reads (facts from
//! Vault's `physical/raft/varint.go`, `sdk/plugin/pb/backend.proto` and
//! `command/operator_raft_snapshot_inspect.go`): gzip of a tar with `meta.json`, `state.bin`,
//! `SHA256SUMS` (over meta.json and state.bin) and a non-empty `SHA256SUMS.sealed`; state.bin
//! is a stream of uvarint-length-prefixed protobuf `StorageEntry{1: key, 2: value,
//! 3: seal_wrap}` in ascending key order. No Vault wrote it: the values and the sealed sums
//! are opaque stand-ins for what Vault's barrier encrypts.

use std::io::Write;

use flate2::Compression;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::snapshot::meta::SnapshotMeta;

use super::{hex, member};

fn uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// One `StorageEntry` as `proto.Marshal` writes it (fields in number order, proto3 defaults
/// omitted), without its length prefix.
pub fn storage_entry(key: &[u8], value: &[u8], seal_wrap: bool) -> Vec<u8> {
    let mut m = Vec::with_capacity(key.len() + value.len() + 12);
    if !key.is_empty() {
        m.push(0x0a);
        uvarint(&mut m, key.len() as u64);
        m.extend_from_slice(key);
    }
    if !value.is_empty() {
        m.push(0x12);
        uvarint(&mut m, value.len() as u64);
        m.extend_from_slice(value);
    }
    if seal_wrap {
        m.extend_from_slice(&[0x18, 1]);
    }
    m
}

/// A Vault state.bin: each entry length-prefixed as gogo's delimited writer does it. The
/// entries are written in the order given (Vault's are ascending by key).
pub fn vault_state(entries: &[(&str, Vec<u8>, bool)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v, w) in entries {
        let m = storage_entry(k.as_bytes(), v, *w);
        uvarint(&mut out, m.len() as u64);
        out.extend(m);
    }
    out
}

/// The archive of a Vault snapshot: `meta.size` is set to the state's length; `sealed` is
/// written as `SHA256SUMS.sealed` when given (`None` leaves the member out, for tests).
pub fn write_vault_snapshot(
    meta: &SnapshotMeta,
    state: &[u8],
    sealed: Option<&[u8]>,
    mtime: u64,
) -> Result<Vec<u8>> {
    let io_err = |e| Error::io("writing the snapshot", e);
    let mut meta = meta.clone();
    meta.size = state.len() as i64;
    meta.crc = None;
    let mut meta_json = meta.to_go_json().into_bytes();
    meta_json.push(b'\n');
    let mut tar = Vec::new();
    member(&mut tar, "meta.json", &meta_json, mtime).map_err(io_err)?;
    member(&mut tar, "state.bin", state, mtime).map_err(io_err)?;
    let sums = format!(
        "{}  meta.json\n{}  state.bin\n",
        hex(&Sha256::digest(&meta_json)),
        hex(&Sha256::digest(state))
    );
    member(&mut tar, "SHA256SUMS", sums.as_bytes(), mtime).map_err(io_err)?;
    if let Some(s) = sealed {
        member(&mut tar, "SHA256SUMS.sealed", s, mtime).map_err(io_err)?;
    }
    tar.extend_from_slice(&[0u8; 1024]);
    let mut gz = flate2::GzBuilder::new()
        .operating_system(255)
        .write(Vec::new(), Compression::new(6));
    gz.write_all(&tar).map_err(io_err)?;
    gz.finish().map_err(io_err)
}

/// Deterministic stand-in bytes (not a secret, not Vault's ciphertext).
fn filler(seed: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut block: [u8; 32] = Sha256::digest(seed.as_bytes()).into();
    while out.len() < len {
        out.extend_from_slice(&block);
        block = Sha256::digest(block).into();
    }
    out.truncate(len);
    out
}

/// The entries of `testdata/vault.snap`: keys like a small Vault's (`core/...`,
/// `logical/<uuid>/...`, `sys/...`), ascending, values of opaque bytes of plausible sizes.
pub fn demo_entries() -> Vec<(&'static str, Vec<u8>, bool)> {
    let keys: [(&str, usize, bool); 20] = [
        ("core/audit", 120, false),
        ("core/auth", 640, false),
        ("core/cluster/local/info", 300, false),
        ("core/keyring", 350, false),
        ("core/local-auth", 200, false),
        ("core/master", 110, true),
        ("core/mounts", 1500, false),
        ("core/seal-config", 180, false),
        ("core/wrapping/jwtkey", 1200, false),
        (
            "logical/0a1f3c52-7d4e-4b7a-9c1e-2f6d8e9a1b3c/config",
            90,
            false,
        ),
        (
            "logical/0a1f3c52-7d4e-4b7a-9c1e-2f6d8e9a1b3c/data/app/db",
            420,
            false,
        ),
        (
            "logical/0a1f3c52-7d4e-4b7a-9c1e-2f6d8e9a1b3c/data/app/web",
            380,
            false,
        ),
        (
            "logical/0a1f3c52-7d4e-4b7a-9c1e-2f6d8e9a1b3c/metadata/app/db",
            260,
            false,
        ),
        (
            "logical/5e6f7a8b-1c2d-4e3f-8a9b-0c1d2e3f4a5b/ca",
            1800,
            false,
        ),
        (
            "logical/5e6f7a8b-1c2d-4e3f-8a9b-0c1d2e3f4a5b/config/urls",
            150,
            false,
        ),
        ("sys/expire/id/auth/token/create/h1a2b3c", 400, false),
        ("sys/policy/default", 1400, false),
        ("sys/policy/response-wrapping", 300, false),
        ("sys/token/accessor/9f8e7d6c5b4a", 130, false),
        ("sys/token/id/h1a2b3c", 520, false),
    ];
    keys.iter()
        .map(|(k, n, w)| (*k, filler(k, *n), *w))
        .collect()
}

/// The meta.json of `testdata/vault.snap`.
pub fn demo_meta() -> SnapshotMeta {
    SnapshotMeta {
        version: 1,
        id: "bolt-snapshot".into(),
        index: 1234,
        term: 3,
        peers: None,
        servers: Some(vec![crate::snapshot::meta::Server {
            suffrage: 0,
            id: "vault-0".into(),
            address: "10.0.0.10:8201".into(),
        }]),
        configuration_index: 1,
        size: 0,
        crc: None,
    }
}

/// `testdata/vault.snap`, byte for byte (mtime 0, gzip level 6, a 96-byte opaque
/// SHA256SUMS.sealed).
pub fn demo_snapshot() -> Result<Vec<u8>> {
    let state = vault_state(&demo_entries());
    let sealed = filler("SHA256SUMS.sealed", 96);
    write_vault_snapshot(&demo_meta(), &state, Some(&sealed), 0)
}
