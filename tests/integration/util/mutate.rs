//! Record-level mutations of the testdata snapshots for the restore oracle: each case is a
//! well-formed snapshot (hashes, Size and msgpack framing all right) with one record changed,
//! added or removed, so that only Consul's restore can tell whether it loads.

use snapinspect::go::msgpack::{self, encode, Value};
use snapinspect::snapshot::meta::SnapshotMeta;

/// A testdata snapshot split into its header and records.
pub struct Fixture {
    pub name: &'static str,
    pub meta: SnapshotMeta,
    pub header: Vec<u8>,
    pub records: Vec<(u8, Vec<u8>)>,
}

/// Splits a testdata snapshot into header and records.
pub fn fixture(name: &'static str) -> Fixture {
    let (meta, state) = super::members(name);
    let meta = SnapshotMeta::parse(&meta).unwrap();
    let hlen = msgpack::value_len(&state).unwrap();
    let mut records = Vec::new();
    let mut pos = hlen;
    while pos < state.len() {
        let t = state[pos];
        let n = msgpack::value_len(&state[pos + 1..]).unwrap();
        records.push((t, state[pos + 1..pos + 1 + n].to_vec()));
        pos += 1 + n;
    }
    Fixture {
        name,
        meta,
        header: state[..hlen].to_vec(),
        records,
    }
}

/// state.bin from a header and records.
pub fn state(header: &[u8], records: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut out = header.to_vec();
    for (t, v) in records {
        out.push(*t);
        out.extend_from_slice(v);
    }
    out
}

/// A small deterministic PRNG (xorshift64*).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0.max(1);
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// One mutated snapshot: what was done, and the records.
pub struct Case {
    pub fixture: &'static str,
    pub what: String,
    pub records: Vec<(u8, Vec<u8>)>,
}

fn kind(v: &Value<'_>) -> u8 {
    match v {
        Value::Nil => 0,
        Value::Bool(_) => 1,
        Value::Int(_) | Value::Uint(_) => 2,
        Value::F32(_) | Value::F64(_) => 3,
        Value::Raw(_) => 4,
        Value::Bin(_) => 5,
        Value::Array(_) => 6,
        Value::Map(_) => 7,
        Value::Ext(..) => 8,
    }
}

/// Values of every kind that a field can be swapped for.
fn replacements() -> Vec<Value<'static>> {
    vec![
        Value::Raw(b"80"),
        Value::Raw(b""),
        Value::Raw(b"not-a-uuid"),
        Value::Int(80),
        Value::Int(1),
        Value::Int(0),
        Value::Int(-1),
        Value::Uint(300),
        Value::Uint(u64::MAX),
        Value::Int(i64::MIN),
        Value::Bool(true),
        Value::Bool(false),
        Value::Nil,
        Value::F64(1.5),
        Value::Map(vec![]),
        Value::Map(vec![(Value::Raw(b"Name"), Value::Raw(b"x"))]),
        Value::Map(vec![(Value::Int(1), Value::Int(2))]),
        Value::Array(vec![]),
        Value::Array(vec![Value::Raw(b"x")]),
        Value::Array(vec![Value::Map(vec![(
            Value::Raw(b"ID"),
            Value::Raw(b"x"),
        )])]),
        Value::Bin(b"\x01\x02"),
        Value::Ext(1, b"x"),
        Value::Raw(b"\x01\x00\x00\x00\x0e\xd3\xc1\x72\x98\x00\x00\x00\x00\xff\xff"),
    ]
}

/// Counts the nodes below `v` that can be replaced (map values and array elements).
fn count(v: &Value<'_>) -> usize {
    match v {
        Value::Map(es) => es.iter().map(|(_, x)| 1 + count(x)).sum(),
        Value::Array(xs) => xs.iter().map(|x| 1 + count(x)).sum(),
        _ => 0,
    }
}

/// Calls `f` on the `n`-th replaceable node (pre-order) and on its parent map when there is
/// one; returns a description of the path.
fn at<'a>(
    v: &mut Value<'a>,
    n: &mut usize,
    path: String,
    f: &mut dyn FnMut(&mut Value<'a>),
) -> Option<String> {
    match v {
        Value::Map(es) => {
            for (k, x) in es.iter_mut() {
                let p = format!(
                    "{path}.{}",
                    k.as_bytes()
                        .map(|b| String::from_utf8_lossy(b).into_owned())
                        .unwrap_or_else(|| "?".into())
                );
                if *n == 0 {
                    f(x);
                    return Some(p);
                }
                *n -= 1;
                if let Some(r) = at(x, n, p, f) {
                    return Some(r);
                }
            }
            None
        }
        Value::Array(xs) => {
            for (i, x) in xs.iter_mut().enumerate() {
                let p = format!("{path}[{i}]");
                if *n == 0 {
                    f(x);
                    return Some(p);
                }
                *n -= 1;
                if let Some(r) = at(x, n, p, f) {
                    return Some(r);
                }
            }
            None
        }
        _ => None,
    }
}

/// Collects the maps in a value (pre-order), as mutable references are not needed: indexes.
fn maps(v: &Value<'_>) -> usize {
    match v {
        Value::Map(es) => 1 + es.iter().map(|(_, x)| maps(x)).sum::<usize>(),
        Value::Array(xs) => xs.iter().map(maps).sum(),
        _ => 0,
    }
}

fn nth_map<'a, 'v>(
    v: &'v mut Value<'a>,
    n: &mut usize,
) -> Option<&'v mut Vec<(Value<'a>, Value<'a>)>> {
    match v {
        Value::Map(_) if *n == 0 => match v {
            Value::Map(es) => Some(es),
            _ => None,
        },
        Value::Map(es) => {
            *n -= 1;
            for (_, x) in es.iter_mut() {
                if let Some(m) = nth_map(x, n) {
                    return Some(m);
                }
            }
            None
        }
        Value::Array(xs) => {
            for x in xs.iter_mut() {
                if let Some(m) = nth_map(x, n) {
                    return Some(m);
                }
            }
            None
        }
        _ => None,
    }
}

fn enc(v: &Value<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    encode::value(&mut out, v);
    out
}

/// The fields that a state-store table keys on, per record type, for the "empty key" cases.
fn key_fields(t: u8) -> &'static [&'static str] {
    match t {
        0 => &[
            "Node",
            "ID",
            "Service.ID",
            "Service.Service",
            "Check.CheckID",
            "Check.Node",
        ],
        2 => &["Key", "Session"],
        3 => &["ID", "Node"],
        5 => &["Key"],
        6 => &["[0].Node"],
        7 => &["ID", "Name", "Session"],
        12 => &["ID", "SourceName", "DestinationName"],
        13 => &["ID"],
        14 => &["ID"],
        16 => &["Key"],
        17 => &["AccessorID", "SecretID", "AuthMethod"],
        19 => &["ID", "Name"],
        23 => &["ID", "Name"],
        25 => &["ID", "AuthMethod"],
        27 => &["Name", "Type"],
        30 => &["State.Datacenter"],
        31 => &["Key"],
        _ => &[],
    }
}

fn lookup<'v, 'a>(v: &'v mut Value<'a>, path: &str) -> Option<&'v mut Value<'a>> {
    let mut cur = v;
    for part in path.split('.') {
        if let Some(i) = part.strip_prefix('[').and_then(|p| p.strip_suffix(']')) {
            let i: usize = i.parse().ok()?;
            cur = match cur {
                Value::Array(xs) => xs.get_mut(i)?,
                _ => return None,
            };
        } else {
            cur = cur.get_mut(part)?;
        }
    }
    Some(cur)
}

/// Records an inserted record may be: unknown, Enterprise, raft-log-only and legacy types.
fn extra_record(rng: &mut Rng) -> (u8, Vec<u8>, String) {
    let legacy_acl = Value::Map(vec![
        (Value::Raw(b"CreateIndex"), Value::Int(5)),
        (Value::Raw(b"ID"), Value::Raw(b"legacy-token-secret")),
        (Value::Raw(b"ModifyIndex"), Value::Int(5)),
        (Value::Raw(b"Name"), Value::Raw(b"legacy")),
        (Value::Raw(b"Rules"), Value::Raw(b"")),
        (Value::Raw(b"Type"), Value::Raw(b"client")),
    ]);
    let bootstrap = Value::Map(vec![
        (Value::Raw(b"AllowBootstrap"), Value::Bool(false)),
        (Value::Raw(b"CreateIndex"), Value::Int(3)),
        (Value::Raw(b"ModifyIndex"), Value::Int(3)),
    ]);
    let small_map = Value::Map(vec![(Value::Raw(b"Key"), Value::Raw(b"x"))]);
    match rng.below(6) {
        0 => (4, enc(&legacy_acl), "a legacy ACL record (type 4)".into()),
        1 => (
            11,
            enc(&bootstrap),
            "an ACLBootstrap record (type 11)".into(),
        ),
        2 => {
            let t = *rng.pick(&[64u8, 65, 69, 100, 128, 200, 255]);
            (
                t,
                enc(&Value::Raw(b"\x0a\x07default")),
                format!("an Enterprise-range record of type {t}"),
            )
        }
        3 => {
            let t = *rng.pick(&[1u8, 8, 10, 18, 20, 21, 24, 26, 28, 34, 36, 39, 41, 43]);
            (
                t,
                enc(&small_map),
                format!("a raft-log-only record of type {t}"),
            )
        }
        _ => {
            let t = *rng.pick(&[37u8, 44, 45, 46, 50, 60, 63, 32, 33, 35, 38, 40, 42]);
            (
                t,
                enc(&small_map),
                format!("a record of type {t} unknown to Consul 1.8.7"),
            )
        }
    }
}

/// Applies one random mutation to a record value; returns the new bytes and what was done.
fn mutate_value(t: u8, bytes: &[u8], rng: &mut Rng) -> Option<(Vec<u8>, String)> {
    // Config entries wrap msgpack in a raw string: mutate the envelope inside.
    if t == 22 {
        let raw = msgpack::decode_exact(bytes).ok()?.as_bytes()?.to_vec();
        let (kind, n) = msgpack::decode(&raw).ok()?;
        let (mut req, _) = msgpack::decode(&raw[n..]).ok()?;
        let (what, kind_bytes) = if rng.below(8) == 0 {
            (
                "kind changed to \"no-such-kind\"".to_string(),
                enc(&Value::Raw(b"no-such-kind")),
            )
        } else {
            (tree_mutation(t, &mut req, rng)?, enc(&kind))
        };
        let mut inner = kind_bytes;
        inner.extend_from_slice(&enc(&req));
        return Some((enc(&Value::Raw(&inner)), format!("config entry {what}")));
    }
    let mut v = msgpack::decode_exact(bytes).ok()?;
    let what = tree_mutation(t, &mut v, rng)?;
    Some((enc(&v), what))
}

fn tree_mutation(t: u8, v: &mut Value<'_>, rng: &mut Rng) -> Option<String> {
    let reps = replacements();
    match rng.below(10) {
        // Swap a field for a value of another kind, at any depth.
        0..=4 => {
            let total = count(v);
            if total == 0 {
                return None;
            }
            let mut n = rng.below(total);
            let r = rng.pick(&reps).clone();
            let mut old_kind = 0;
            let mut swapped = String::new();
            let path = at(v, &mut n, String::new(), &mut |x| {
                old_kind = kind(x);
                swapped = format!("{r:?}");
                *x = r.clone();
            })?;
            if old_kind == kind(&r) && !matches!(r, Value::Raw(_) | Value::Int(_)) {
                return None;
            }
            Some(format!("{path} set to {swapped}"))
        }
        // Empty, remove or garble a key field.
        5 | 6 => {
            let fields = key_fields(t);
            if fields.is_empty() {
                return None;
            }
            let f = *rng.pick(fields);
            let choice = rng.below(3);
            if choice == 2 {
                let (parent, last) = match f.rfind('.') {
                    Some(i) => (Some(&f[..i]), &f[i + 1..]),
                    None => (None, f),
                };
                let m = match parent {
                    Some(p) => lookup(v, p)?,
                    None => v,
                };
                match m {
                    Value::Map(es) => {
                        let before = es.len();
                        es.retain(|(k, _)| k.as_bytes() != Some(last.as_bytes()));
                        if es.len() == before {
                            return None;
                        }
                    }
                    _ => return None,
                }
                return Some(format!("{f} removed"));
            }
            let slot = lookup(v, f)?;
            if slot.is_nil() {
                return None;
            }
            let (new, what) = match choice {
                0 => (Value::Raw(b""), "emptied"),
                _ => (Value::Raw(b"not-a-uuid"), "set to \"not-a-uuid\""),
            };
            *slot = new;
            Some(format!("{f} {what}"))
        }
        // Add an unknown field.
        7 => {
            let total = maps(v);
            if total == 0 {
                return None;
            }
            let mut n = rng.below(total);
            let r = rng.pick(&reps).clone();
            let desc = format!("{r:?}");
            let m = nth_map(v, &mut n)?;
            m.push((Value::Raw(b"ZzUnknownField"), r));
            Some(format!(
                "an unknown field ZzUnknownField = {desc} added to map {}",
                n
            ))
        }
        // Remove a field.
        _ => {
            let total = maps(v);
            if total == 0 {
                return None;
            }
            let mut n = rng.below(total);
            let m = nth_map(v, &mut n)?;
            if m.is_empty() {
                return None;
            }
            let i = rng.below(m.len());
            let (k, _) = m.remove(i);
            Some(format!(
                "field {} removed",
                k.as_bytes()
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default()
            ))
        }
    }
}

/// One random case from the fixtures.
pub fn case(fixtures: &[Fixture], rng: &mut Rng) -> Case {
    loop {
        let f = &fixtures[rng.below(fixtures.len())];
        let mut records = f.records.clone();
        // ChunkingState stays last, as Consul writes it.
        let last = records.len() - 1;
        let what = match rng.below(10) {
            0 | 1 => {
                let (t, v, what) = extra_record(rng);
                let at = rng.below(last + 1);
                records.insert(at, (t, v));
                format!("{what} inserted at record {}", at + 1)
            }
            2 => {
                let i = rng.below(last);
                let r = records[i].clone();
                records.insert(i, r);
                format!("record {} ({}) duplicated", i + 1, records[i].0)
            }
            _ => {
                let i = rng.below(records.len());
                let (t, ref bytes) = records[i];
                let Some((new, what)) = mutate_value(t, bytes, rng) else {
                    continue;
                };
                if &new == bytes {
                    continue;
                }
                records[i].1 = new;
                format!("record {} (type {t}): {what}", i + 1)
            }
        };
        return Case {
            fixture: f.name,
            what,
            records,
        };
    }
}

/// The `.snap` bytes of a case.
pub fn snap(f: &Fixture, records: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let state = state(&f.header, records);
    let mut meta = f.meta.clone();
    meta.size = state.len() as i64;
    super::snap(&meta, &state)
}
