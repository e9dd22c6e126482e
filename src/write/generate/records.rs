//! The records a generated state.bin holds, each written as Consul 1.8.7 writes it.

use super::*;

pub(super) const WORDS: &[&str] = &[
    "service",
    "config",
    "enabled",
    "true",
    "false",
    "timeout",
    "30s",
    "replicas",
    "region",
    "us-east-1",
    "eu-west-1",
    "endpoint",
    "https://api.internal",
    "port",
    "8080",
    "database",
    "postgres",
    "user",
    "app",
    "pool",
    "max",
    "min",
    "retry",
    "backoff",
    "feature",
    "flag",
    "rollout",
    "percent",
    "owner",
    "team-platform",
    "version",
    "v2.3.1",
    "{",
    "}",
    ":",
    ",",
    "\"name\"",
    "\"value\"",
    "log_level",
    "info",
    "debug",
    "cache",
    "ttl",
    "3600",
    "weight",
];

/// A pseudo-random text corpus that values are cut from.
pub(super) fn corpus(rng: &mut Rng) -> Vec<u8> {
    let mut text = Vec::with_capacity(1 << 17);
    while text.len() < (1 << 17) {
        text.extend_from_slice(WORDS[rng.below(WORDS.len() as u64) as usize].as_bytes());
        text.push(if rng.below(12) == 0 { b'\n' } else { b' ' });
    }
    text
}

pub(super) fn key(out: &mut Vec<u8>, k: &str) {
    e::raw(out, k.as_bytes());
}

pub(super) fn uuid(rng: &mut Rng) -> String {
    let a = rng.next();
    let b = rng.next();
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

/// Go's time.Time MarshalBinary for a UTC time.
pub(super) fn go_time(unix: i64) -> [u8; 15] {
    let mut t = [0u8; 15];
    t[0] = 1;
    t[1..9].copy_from_slice(&(unix + 62_135_596_800).to_be_bytes());
    t[13..15].copy_from_slice(&[0xff, 0xff]);
    t
}

pub(super) fn register_node(out: &mut Vec<u8>, node: &str, id: &str, addr: &str, idx: u64) {
    e::map_len(out, 13);
    key(out, "Address");
    e::raw(out, addr.as_bytes());
    key(out, "Check");
    e::nil(out);
    key(out, "Checks");
    e::nil(out);
    key(out, "CreateIndex");
    e::uint(out, idx);
    key(out, "Datacenter");
    e::raw(out, b"dc1");
    key(out, "ID");
    e::raw(out, id.as_bytes());
    key(out, "ModifyIndex");
    e::uint(out, idx);
    key(out, "Node");
    e::raw(out, node.as_bytes());
    key(out, "NodeMeta");
    e::map_len(out, 1);
    key(out, "rack");
    e::raw(out, format!("r{}", idx % 16).as_bytes());
    key(out, "Service");
    e::nil(out);
    key(out, "SkipNodeUpdate");
    e::bool(out, false);
    key(out, "TaggedAddresses");
    e::map_len(out, 2);
    key(out, "lan");
    e::raw(out, addr.as_bytes());
    key(out, "wan");
    e::raw(out, addr.as_bytes());
    key(out, "Token");
    e::raw(out, b"");
}

pub(super) fn service(out: &mut Vec<u8>, name: &str, id: &str, port: u64, idx: u64) {
    e::map_len(out, 15);
    key(out, "Address");
    e::raw(out, b"");
    key(out, "Connect");
    e::map_len(out, 2);
    key(out, "Native");
    e::bool(out, false);
    key(out, "SidecarService");
    e::nil(out);
    key(out, "CreateIndex");
    e::uint(out, idx);
    key(out, "EnableTagOverride");
    e::bool(out, false);
    key(out, "ID");
    e::raw(out, id.as_bytes());
    key(out, "Kind");
    e::raw(out, b"");
    key(out, "LocallyRegisteredAsSidecar");
    e::bool(out, false);
    key(out, "Meta");
    e::nil(out);
    key(out, "ModifyIndex");
    e::uint(out, idx);
    key(out, "Port");
    e::uint(out, port);
    key(out, "Proxy");
    e::map_len(out, 8);
    key(out, "Config");
    e::nil(out);
    key(out, "DestinationServiceID");
    e::raw(out, b"");
    key(out, "DestinationServiceName");
    e::raw(out, b"");
    key(out, "Expose");
    e::map_len(out, 2);
    key(out, "Checks");
    e::bool(out, false);
    key(out, "Paths");
    e::nil(out);
    key(out, "LocalServiceAddress");
    e::raw(out, b"");
    key(out, "LocalServicePort");
    e::uint(out, 0);
    key(out, "MeshGateway");
    e::map_len(out, 1);
    key(out, "Mode");
    e::raw(out, b"");
    key(out, "Upstreams");
    e::nil(out);
    key(out, "Service");
    e::raw(out, name.as_bytes());
    key(out, "TaggedAddresses");
    e::nil(out);
    key(out, "Tags");
    e::array_len(out, 2);
    e::raw(out, b"v1");
    e::raw(out, b"primary");
    key(out, "Weights");
    e::map_len(out, 2);
    key(out, "Passing");
    e::uint(out, 1);
    key(out, "Warning");
    e::uint(out, 1);
}

pub(super) fn check(
    out: &mut Vec<u8>,
    node: &str,
    check_id: &str,
    svc: &str,
    status: &str,
    idx: u64,
) {
    e::map_len(out, 13);
    key(out, "CheckID");
    e::raw(out, check_id.as_bytes());
    key(out, "CreateIndex");
    e::uint(out, idx);
    key(out, "Definition");
    e::map_len(out, 4);
    key(out, "HTTP");
    e::raw(out, b"");
    key(out, "Interval");
    e::uint(out, 10_000_000_000);
    key(out, "TCP");
    e::raw(out, b"");
    key(out, "Timeout");
    e::uint(out, 0);
    key(out, "ModifyIndex");
    e::uint(out, idx);
    key(out, "Name");
    e::raw(out, format!("check {check_id}").as_bytes());
    key(out, "Node");
    e::raw(out, node.as_bytes());
    key(out, "Notes");
    e::raw(out, b"");
    key(out, "Output");
    e::raw(out, b"HTTP GET http://127.0.0.1/health: 200 OK");
    key(out, "ServiceID");
    e::raw(out, svc.as_bytes());
    key(out, "ServiceName");
    e::raw(out, svc.split('-').next().unwrap_or("").as_bytes());
    key(out, "ServiceTags");
    e::nil(out);
    key(out, "Status");
    e::raw(out, status.as_bytes());
    key(out, "Type");
    e::raw(out, b"http");
}

/// Wraps a node's fields around a service or check payload (as Consul's Register records do).
pub(super) fn register_with(
    out: &mut Vec<u8>,
    node: &str,
    addr: &str,
    idx: u64,
    svc: Option<&[u8]>,
    chk: Option<&[u8]>,
) {
    e::map_len(out, 13);
    key(out, "Address");
    e::raw(out, addr.as_bytes());
    key(out, "Check");
    match chk {
        Some(c) => out.extend_from_slice(c),
        None => e::nil(out),
    }
    key(out, "Checks");
    e::nil(out);
    key(out, "CreateIndex");
    e::uint(out, idx);
    key(out, "Datacenter");
    e::raw(out, b"dc1");
    key(out, "ID");
    e::raw(out, b"");
    key(out, "ModifyIndex");
    e::uint(out, idx);
    key(out, "Node");
    e::raw(out, node.as_bytes());
    key(out, "NodeMeta");
    e::nil(out);
    key(out, "Service");
    match svc {
        Some(s) => out.extend_from_slice(s),
        None => e::nil(out),
    }
    key(out, "SkipNodeUpdate");
    e::bool(out, false);
    key(out, "TaggedAddresses");
    e::nil(out);
    key(out, "Token");
    e::raw(out, b"");
}

pub(super) fn kv(out: &mut Vec<u8>, k: &[u8], value: &[u8], flags: u64, idx: u64) {
    e::map_len(out, 7);
    key(out, "CreateIndex");
    e::uint(out, idx);
    key(out, "Flags");
    e::uint(out, flags);
    key(out, "Key");
    e::raw(out, k);
    key(out, "LockIndex");
    e::uint(out, 0);
    key(out, "ModifyIndex");
    e::uint(out, idx);
    key(out, "Session");
    e::raw(out, b"");
    key(out, "Value");
    e::raw(out, value);
}

pub(super) fn token(out: &mut Vec<u8>, rng: &mut Rng, n: u64, idx: u64) {
    e::map_len(out, 17);
    key(out, "AccessorID");
    e::raw(out, uuid(rng).as_bytes());
    key(out, "AuthMethod");
    e::raw(out, b"");
    key(out, "CreateIndex");
    e::uint(out, idx);
    key(out, "CreateTime");
    e::raw(out, &go_time(1_790_000_000 + n as i64));
    key(out, "Description");
    e::raw(out, format!("generated token {n}").as_bytes());
    key(out, "ExpirationTTL");
    e::uint(out, 0);
    key(out, "ExpirationTime");
    e::nil(out);
    key(out, "Hash");
    let mut h = [0u8; 32];
    rng.fill(&mut h);
    e::raw(out, &h);
    key(out, "Local");
    e::bool(out, false);
    key(out, "ModifyIndex");
    e::uint(out, idx);
    key(out, "NodeIdentities");
    e::nil(out);
    key(out, "Policies");
    e::array_len(out, 1);
    e::map_len(out, 2);
    key(out, "ID");
    e::raw(out, b"00000000-0000-0000-0000-000000000001");
    key(out, "Name");
    e::raw(out, b"global-management");
    key(out, "Roles");
    e::nil(out);
    key(out, "Rules");
    e::raw(out, b"");
    key(out, "SecretID");
    e::raw(out, uuid(rng).as_bytes());
    key(out, "ServiceIdentities");
    e::nil(out);
    key(out, "Type");
    e::raw(out, b"");
}

pub(super) fn session(out: &mut Vec<u8>, id: &str, node: &str, idx: u64) {
    e::map_len(out, 11);
    key(out, "Behavior");
    e::raw(out, b"release");
    key(out, "Checks");
    e::array_len(out, 1);
    e::raw(out, b"serfHealth");
    key(out, "CreateIndex");
    e::uint(out, idx);
    key(out, "ID");
    e::raw(out, id.as_bytes());
    key(out, "LockDelay");
    e::uint(out, 15_000_000_000);
    key(out, "ModifyIndex");
    e::uint(out, idx);
    key(out, "Name");
    e::raw(out, b"leader-election");
    key(out, "Node");
    e::raw(out, node.as_bytes());
    key(out, "NodeChecks");
    e::array_len(out, 1);
    e::raw(out, b"serfHealth");
    key(out, "ServiceChecks");
    e::nil(out);
    key(out, "TTL");
    e::raw(out, b"");
}

pub(super) fn index(out: &mut Vec<u8>, k: &str, v: u64) {
    e::map_len(out, 2);
    key(out, "Key");
    e::raw(out, k.as_bytes());
    key(out, "Value");
    e::uint(out, v);
}
