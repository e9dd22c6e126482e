//! Writing a synthetic Nomad raft snapshot in Nomad's format (see `snapshot::nomad`): the
//! archive of `helper/snapshot/archive.go` (meta.json, state.bin, SHA256SUMS), and a
//! state.bin as `nomadSnapshot.Persist` (`nomad/fsm.go`) writes it: the empty
//! `SnapshotHeader{}` map, then per record its `SnapshotType` byte and the struct encoded by
//! go-msgpack v2 with `structs.MsgpackHandle` (`nomad/structs/structs.go`: strings and
//! `[]byte` as msgpack raw strings without str8, structs as maps keyed by field name in
//! declaration order, embedded structs flattened, `time.Time` through its `MarshalBinary`
//! because `TimeNotBuiltin` is set).
//!
//! No Nomad wrote it: each record carries a subset of its struct's fields, named as Nomad's
//! structs name them (Nomad's decoder leaves the others at their zero values), and the secrets
//! in it are throwaway values made for the tests.

use crate::error::Result;
use crate::go::msgpack::encode;
use crate::snapshot::meta::{Server, SnapshotMeta};

/// A msgpack value to write, as Nomad's encoder would.
#[derive(Debug, Clone)]
pub enum V {
    /// nil (a nil pointer, slice or map).
    Nil,
    /// bool.
    Bool(bool),
    /// Any signed integer field.
    Int(i64),
    /// Any unsigned integer field.
    Uint(u64),
    /// A string.
    Str(String),
    /// A `[]byte` (written as a raw string, as Nomad's handle does).
    Bytes(Vec<u8>),
    /// A slice.
    Arr(Vec<V>),
    /// A struct or map, keys in order.
    Map(Vec<(String, V)>),
}

impl V {
    /// Appends the encoding of the value.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            V::Nil => encode::nil(out),
            V::Bool(b) => encode::bool(out, *b),
            V::Int(i) => encode::int(out, *i),
            V::Uint(u) => encode::uint(out, *u),
            V::Str(s) => encode::raw(out, s.as_bytes()),
            V::Bytes(b) => encode::raw(out, b),
            V::Arr(items) => {
                encode::array_len(out, items.len());
                for i in items {
                    i.encode(out);
                }
            }
            V::Map(entries) => {
                encode::map_len(out, entries.len());
                for (k, v) in entries {
                    encode::raw(out, k.as_bytes());
                    v.encode(out);
                }
            }
        }
    }
}

fn s(x: &str) -> V {
    V::Str(x.into())
}

fn m(entries: Vec<(&str, V)>) -> V {
    V::Map(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

fn strs(items: &[&str]) -> V {
    V::Arr(items.iter().map(|x| s(x)).collect())
}

/// A `time.Time` as go-msgpack writes it with `TimeNotBuiltin`: the 15 bytes of Go's
/// `Time.MarshalBinary` (version 1, seconds since year 1, nanoseconds, offset -1 for UTC).
pub fn go_time(unix: i64, nanos: u32) -> V {
    let mut b = vec![1u8];
    b.extend_from_slice(&(unix + 62_135_596_800).to_be_bytes());
    b.extend_from_slice(&nanos.to_be_bytes());
    b.extend_from_slice(&(-1i16).to_be_bytes());
    V::Bytes(b)
}

/// A Nomad state.bin: the empty header, then each record's type byte and value.
pub fn nomad_state(records: &[(u8, V)]) -> Vec<u8> {
    let mut out = vec![0x80];
    for (t, v) in records {
        out.push(*t);
        v.encode(&mut out);
    }
    out
}

/// The archive of a Nomad snapshot (byte-identical in layout to Consul's; mtime 0).
pub fn write_nomad_snapshot(meta: &SnapshotMeta, state: &[u8]) -> Result<Vec<u8>> {
    super::vault::write_vault_snapshot(meta, state, None, 0)
}

/// Unix seconds of the fixture's writes (2026-11-25T09:46:40Z).
const T0: i64 = 1_795_600_000;
const NS: i64 = 1_000_000_000;

/// The throwaway ACL token SecretIDs in `testdata/nomad.snap` (tests look for them).
pub const DEMO_TOKEN_SECRETS: [&str; 2] = [
    "5ec7e700-0000-4000-8000-00000000a001",
    "5ec7e700-0000-4000-8000-00000000a002",
];
/// The throwaway node SecretIDs in `testdata/nomad.snap`.
pub const DEMO_NODE_SECRETS: [&str; 2] = [
    "5ec7e700-0000-4000-8000-00000000b001",
    "5ec7e700-0000-4000-8000-00000000b002",
];
/// The throwaway key-encryption key (base64 of 32 bytes as a string) in the root key.
pub const DEMO_KEK: &str = "kek-5ec7e700-throwaway-key-encryption-key";
/// A throwaway workload identity JWT in an allocation's SignedIdentities.
pub const DEMO_JWT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJmaXh0dXJlIn0.c2lnbmF0dXJlLTVlYzdlNzAw";

fn node(i: usize, id: &str, name: &str) -> V {
    m(vec![
        ("ID", s(id)),
        ("SecretID", s(DEMO_NODE_SECRETS[i])),
        ("Datacenter", s("dc1")),
        ("Name", s(name)),
        ("HTTPAddr", s(&format!("10.0.0.{}:4646", 31 + i))),
        (
            "Attributes",
            m(vec![
                ("kernel.name", s("linux")),
                ("nomad.version", s("1.10.5")),
                ("os.name", s("debian")),
            ]),
        ),
        ("NodeClass", s("")),
        ("NodePool", s("default")),
        ("Drain", V::Bool(false)),
        ("SchedulingEligibility", s("eligible")),
        ("Status", s("ready")),
        ("StatusDescription", s("")),
        ("StatusUpdatedAt", V::Int(T0 - 600)),
        ("CreateIndex", V::Uint(12 + i as u64)),
        ("ModifyIndex", V::Uint(2100 + i as u64)),
    ])
}

fn job(id: &str, jtype: &str, version: u64, modify: u64, count: i64) -> V {
    m(vec![
        ("Stop", V::Bool(false)),
        ("Region", s("global")),
        ("Namespace", s("default")),
        ("ID", s(id)),
        ("ParentID", s("")),
        ("Name", s(id)),
        ("Type", s(jtype)),
        ("Priority", V::Int(50)),
        ("AllAtOnce", V::Bool(false)),
        ("Datacenters", strs(&["dc1"])),
        ("NodePool", s("default")),
        (
            "TaskGroups",
            V::Arr(vec![m(vec![
                ("Name", s(id)),
                ("Count", V::Int(count)),
                (
                    "Tasks",
                    V::Arr(vec![m(vec![
                        ("Name", s(id)),
                        ("Driver", s("docker")),
                        (
                            "Config",
                            m(vec![(
                                "image",
                                s(&format!("registry.example/{id}:1.{version}")),
                            )]),
                        ),
                    ])]),
                ),
            ])]),
        ),
        ("Status", s("running")),
        ("StatusDescription", s("")),
        ("Stable", V::Bool(version > 0)),
        ("Version", V::Uint(version)),
        ("SubmitTime", V::Int((T0 - 3600) * NS + version as i64)),
        ("CreateIndex", V::Uint(100)),
        ("ModifyIndex", V::Uint(modify)),
        ("JobModifyIndex", V::Uint(modify)),
    ])
}

fn eval(id: &str, job: &str, index: u64) -> V {
    m(vec![
        ("ID", s(id)),
        ("Namespace", s("default")),
        ("Priority", V::Int(50)),
        ("Type", s("service")),
        ("TriggeredBy", s("job-register")),
        ("JobID", s(job)),
        ("Status", s("complete")),
        ("StatusDescription", s("")),
        ("CreateIndex", V::Uint(index)),
        ("ModifyIndex", V::Uint(index + 2)),
        ("CreateTime", V::Int((T0 - 3000) * NS)),
        ("ModifyTime", V::Int((T0 - 2990) * NS)),
    ])
}

fn alloc(id: &str, eval: &str, job: &str, n: usize, node: &str, index: u64) -> V {
    m(vec![
        ("ID", s(id)),
        ("Namespace", s("default")),
        ("EvalID", s(eval)),
        ("Name", s(&format!("{job}.{job}[{n}]"))),
        ("NodeID", s(node)),
        (
            "NodeName",
            s(if node.starts_with('1') {
                "client-1"
            } else {
                "client-2"
            }),
        ),
        ("JobID", s(job)),
        ("TaskGroup", s(job)),
        ("DesiredStatus", s("run")),
        ("DesiredDescription", s("")),
        ("ClientStatus", s("running")),
        ("ClientDescription", s("Tasks are running")),
        ("SignedIdentities", m(vec![(job, s(DEMO_JWT))])),
        ("SigningKeyID", s("a1b2c3d4-0000-4000-8000-00000000c001")),
        ("CreateIndex", V::Uint(index)),
        ("ModifyIndex", V::Uint(index + 5)),
        ("AllocModifyIndex", V::Uint(index)),
        ("CreateTime", V::Int((T0 - 2980) * NS)),
        ("ModifyTime", V::Int((T0 - 2900) * NS)),
    ])
}

fn summary(job: &str, running: i64) -> V {
    m(vec![
        ("JobID", s(job)),
        ("Namespace", s("default")),
        (
            "Summary",
            m(vec![(
                job,
                m(vec![
                    ("Queued", V::Int(0)),
                    ("Complete", V::Int(0)),
                    ("Failed", V::Int(0)),
                    ("Running", V::Int(running)),
                    ("Starting", V::Int(0)),
                    ("Lost", V::Int(0)),
                    ("Unknown", V::Int(0)),
                ]),
            )]),
        ),
        ("Children", V::Nil),
        ("CreateIndex", V::Uint(100)),
        ("ModifyIndex", V::Uint(2050)),
    ])
}

fn blob(seed: &str) -> V {
    let ct =
        crate::snapshot::archive::hex(&<sha2::Sha256 as sha2::Digest>::digest(seed.as_bytes()));
    m(vec![
        ("Ciphertext", V::Bytes(ct.into_bytes())),
        (
            "Iv",
            V::Bytes(seed.as_bytes()[..12.min(seed.len())].to_vec()),
        ),
        ("Hmac", V::Nil),
        ("Wrapped", V::Bool(false)),
        ("KeyInfo", V::Nil),
        ("ValuePath", s("")),
    ])
}

/// The records of `testdata/nomad.snap`, in the order `Persist` writes its tables: indexes,
/// nodes, node pools, jobs, evals, allocs, job summaries, job versions, ACL policies and
/// tokens, namespaces, scheduler config, cluster metadata, variables, root keys, job
/// submissions.
pub fn demo_records() -> Vec<(u8, V)> {
    let n1 = "1f0e5d1c-0000-4000-8000-000000000001";
    let n2 = "2f0e5d1c-0000-4000-8000-000000000002";
    let mut r: Vec<(u8, V)> = Vec::new();
    for (k, v) in [
        ("acl_policy", 30u64),
        ("acl_token", 32),
        ("allocs", 2110),
        ("evals", 2040),
        ("job_submission", 2030),
        ("jobs", 2030),
        ("namespaces", 1),
        ("nodes", 2101),
        ("root_keys", 9),
        ("variables", 400),
    ] {
        r.push((2, m(vec![("Key", s(k)), ("Value", V::Uint(v))])));
    }
    r.push((0, node(0, n1, "client-1")));
    r.push((0, node(1, n2, "client-2")));
    for (name, desc) in [
        ("all", "Node pool with all nodes in the cluster."),
        ("default", "Default node pool."),
    ] {
        r.push((
            28,
            m(vec![
                ("Name", s(name)),
                ("Description", s(desc)),
                ("Meta", V::Nil),
                ("SchedulerConfiguration", V::Nil),
                ("CreateIndex", V::Uint(1)),
                ("ModifyIndex", V::Uint(1)),
            ]),
        ));
    }
    r.push((1, job("cache", "service", 0, 2020, 1)));
    r.push((1, job("web", "service", 1, 2030, 2)));
    let e1 = "e0000000-0000-4000-8000-000000000001";
    let e2 = "e0000000-0000-4000-8000-000000000002";
    r.push((3, eval(e1, "cache", 2020)));
    r.push((3, eval(e2, "web", 2031)));
    r.push((
        4,
        alloc(
            "a0000000-0000-4000-8000-000000000001",
            e1,
            "cache",
            0,
            n1,
            2022,
        ),
    ));
    r.push((
        4,
        alloc(
            "a0000000-0000-4000-8000-000000000002",
            e2,
            "web",
            0,
            n1,
            2033,
        ),
    ));
    r.push((
        4,
        alloc(
            "a0000000-0000-4000-8000-000000000003",
            e2,
            "web",
            1,
            n2,
            2034,
        ),
    ));
    r.push((7, summary("cache", 1)));
    r.push((7, summary("web", 2)));
    r.push((9, job("cache", "service", 0, 2020, 1)));
    r.push((9, job("web", "service", 0, 2010, 1)));
    r.push((9, job("web", "service", 1, 2030, 2)));
    r.push((
        11,
        m(vec![
            ("Name", s("readonly")),
            ("Description", s("read jobs and nodes")),
            (
                "Rules",
                s("namespace \"default\" {\n  policy = \"read\"\n}\nnode {\n  policy = \"read\"\n}\n"),
            ),
            ("JobACL", V::Nil),
            ("Hash", V::Bytes(vec![0x11; 32])),
            ("CreateIndex", V::Uint(30)),
            ("ModifyIndex", V::Uint(30)),
        ]),
    ));
    for (i, (name, ttype, policies)) in [
        ("Bootstrap Token", "management", &[][..]),
        ("ci deploys", "client", &["readonly"][..]),
    ]
    .into_iter()
    .enumerate()
    {
        r.push((
            12,
            m(vec![
                (
                    "AccessorID",
                    s(&format!("acce5500-0000-4000-8000-00000000a00{}", i + 1)),
                ),
                ("SecretID", s(DEMO_TOKEN_SECRETS[i])),
                ("Name", s(name)),
                ("Type", s(ttype)),
                ("Policies", strs(policies)),
                ("Roles", V::Nil),
                ("Global", V::Bool(i == 0)),
                ("Hash", V::Bytes(vec![0x20 + i as u8; 32])),
                ("CreateTime", go_time(T0 - 86_400 + i as i64, 0)),
                ("ExpirationTime", V::Nil),
                ("ExpirationTTL", V::Int(0)),
                ("CreateIndex", V::Uint(31 + i as u64)),
                ("ModifyIndex", V::Uint(31 + i as u64)),
            ]),
        ));
    }
    r.push((
        64,
        m(vec![
            ("Name", s("default")),
            ("Description", s("Default shared namespace")),
            ("Quota", s("")),
            ("Capabilities", V::Nil),
            ("NodePoolConfiguration", V::Nil),
            ("VaultConfiguration", V::Nil),
            ("ConsulConfiguration", V::Nil),
            ("Meta", V::Nil),
            ("Hash", V::Bytes(vec![0x33; 32])),
            ("CreateIndex", V::Uint(1)),
            ("ModifyIndex", V::Uint(1)),
        ]),
    ));
    r.push((
        13,
        m(vec![
            ("SchedulerAlgorithm", s("binpack")),
            (
                "PreemptionConfig",
                m(vec![
                    ("SystemSchedulerEnabled", V::Bool(true)),
                    ("SysBatchSchedulerEnabled", V::Bool(false)),
                    ("BatchSchedulerEnabled", V::Bool(false)),
                    ("ServiceSchedulerEnabled", V::Bool(false)),
                ]),
            ),
            ("MemoryOversubscriptionEnabled", V::Bool(false)),
            ("RejectJobRegistration", V::Bool(false)),
            ("PauseEvalBroker", V::Bool(false)),
            ("CreateIndex", V::Uint(5)),
            ("ModifyIndex", V::Uint(5)),
        ]),
    ));
    r.push((
        14,
        m(vec![
            ("ClusterID", s("c1a55e00-0000-4000-8000-000000000001")),
            ("CreateTime", V::Int((T0 - 90_000) * NS)),
        ]),
    ));
    r.push((
        22,
        m(vec![
            ("Namespace", s("default")),
            ("Path", s("nomad/jobs/web")),
            ("CreateIndex", V::Uint(400)),
            ("CreateTime", V::Int((T0 - 5000) * NS)),
            ("ModifyIndex", V::Uint(400)),
            ("ModifyTime", V::Int((T0 - 5000) * NS)),
            ("Lock", V::Nil),
            (
                "Data",
                V::Bytes(b"encrypted-variable-items-5ec7e700".to_vec()),
            ),
            ("KeyID", s("b0b0b0b0-0000-4000-8000-000000000001")),
        ]),
    ));
    r.push((
        30,
        m(vec![
            ("KeyID", s("b0b0b0b0-0000-4000-8000-000000000001")),
            ("Algorithm", s("aes256-gcm")),
            ("CreateTime", V::Int((T0 - 90_000) * NS)),
            ("CreateIndex", V::Uint(9)),
            ("ModifyIndex", V::Uint(9)),
            ("State", s("active")),
            ("PublishTime", V::Int(0)),
            (
                "WrappedKeys",
                V::Arr(vec![m(vec![
                    ("Provider", s("aead")),
                    ("ProviderID", s("")),
                    ("WrappedDataEncryptionKey", blob("wrapped-dek-5ec7e700")),
                    ("WrappedRSAKey", blob("wrapped-rsa-5ec7e700")),
                    ("KeyEncryptionKey", V::Bytes(DEMO_KEK.as_bytes().to_vec())),
                ])]),
            ),
        ]),
    ));
    r.push((
        29,
        m(vec![
            (
                "Source",
                s("job \"web\" {\n  group \"web\" {\n    count = 2\n    task \"web\" {\n      driver = \"docker\"\n      config { image = \"registry.example/web:1.1\" }\n    }\n  }\n}\n"),
            ),
            ("Format", s("hcl2")),
            ("VariableFlags", V::Nil),
            ("Variables", s("")),
            ("Namespace", s("default")),
            ("JobID", s("web")),
            ("Version", V::Uint(1)),
            ("JobModifyIndex", V::Uint(2030)),
        ]),
    ));
    r
}

/// The meta.json of `testdata/nomad.snap`: raft's ID `<term>-<index>-<unix ms>`.
pub fn demo_meta() -> SnapshotMeta {
    SnapshotMeta {
        version: 1,
        id: format!("3-2150-{}", T0 * 1000 + 123),
        index: 2150,
        term: 3,
        peers: None,
        servers: Some(vec![Server {
            suffrage: 0,
            id: "5e7e7000-0000-4000-8000-000000000001".into(),
            address: "10.0.0.21:4647".into(),
        }]),
        configuration_index: 1,
        size: 0,
        crc: None,
    }
}

/// `testdata/nomad.snap`, byte for byte.
pub fn demo_snapshot() -> Result<Vec<u8>> {
    write_nomad_snapshot(&demo_meta(), &nomad_state(&demo_records()))
}
