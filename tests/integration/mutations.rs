//! Random mutations (truncate, flip, splice, duplicate, insert, zero) of every testdata
//! snapshot, at three depths (compressed bytes; the tar, recompressed; state.bin with matching
//! hashes and Size), through the library entry points: each returns a result or an error,
//! never panics, and finishes quickly. 10,000 inputs per run.

use crate::util;

use std::io::Cursor;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use snapinspect::go::msgpack;
use snapinspect::report::inspect::{KvOptions, KvStats};
use snapinspect::snapshot::archive::{read_archive, ReadOptions};
use snapinspect::snapshot::state::{MessageType, Record, RecordSink, Tee};

struct Fixture {
    snap: Vec<u8>,
    tar: Vec<u8>,
    meta: Vec<u8>,
    state: Vec<u8>,
}

fn fixtures() -> &'static [Fixture] {
    static F: OnceLock<Vec<Fixture>> = OnceLock::new();
    F.get_or_init(|| {
        ["basic.snap", "kv.snap", "all.snap", "acl.snap"]
            .iter()
            .map(|name| {
                let snap = std::fs::read(util::testdata(name)).unwrap();
                let (meta, state) = util::members(name);
                Fixture {
                    tar: util::gunzip(&snap),
                    snap,
                    meta,
                    state,
                }
            })
            .collect()
    })
}

/// A sink that asks for every record's value and decodes it, to exercise the decoder too.
struct DecodeAll(KvStats, u64);

impl RecordSink for DecodeAll {
    fn wants_value(&mut self, _: MessageType) -> bool {
        true
    }
    fn record(&mut self, r: &Record<'_>) -> snapinspect::Result<()> {
        if let Some(v) = r.value {
            if msgpack::decode(v).is_ok() {
                self.1 += 1;
            }
        }
        self.0.record(r)
    }
}

#[derive(Debug, Clone)]
enum Op {
    Truncate(usize),
    Flip(usize, u8),
    Splice(usize, usize, usize),
    Duplicate(usize, usize),
    Insert(usize, Vec<u8>),
    Zero(usize, usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        any::<usize>().prop_map(Op::Truncate),
        (any::<usize>(), 0u8..8).prop_map(|(p, b)| Op::Flip(p, b)),
        (any::<usize>(), any::<usize>(), 1usize..64).prop_map(|(a, b, n)| Op::Splice(a, b, n)),
        (any::<usize>(), 1usize..600).prop_map(|(a, n)| Op::Duplicate(a, n)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(p, v)| Op::Insert(p, v)),
        (any::<usize>(), 1usize..64).prop_map(|(a, n)| Op::Zero(a, n)),
    ]
}

fn apply(data: &mut Vec<u8>, op: &Op) {
    if data.is_empty() {
        return;
    }
    let len = data.len();
    match op {
        Op::Truncate(p) => data.truncate(p % len),
        Op::Flip(p, b) => data[p % len] ^= 1 << b,
        Op::Splice(a, b, n) => {
            let a = a % len;
            let b = b % len;
            let n = (*n).min(len - a).min(len - b);
            let chunk = data[a..a + n].to_vec();
            data[b..b + n].copy_from_slice(&chunk);
        }
        Op::Duplicate(a, n) => {
            let a = a % len;
            let n = (*n).min(len - a);
            let chunk = data[a..a + n].to_vec();
            data.splice(a..a, chunk);
        }
        Op::Insert(p, v) => {
            let p = p % len;
            data.splice(p..p, v.iter().copied());
        }
        Op::Zero(a, n) => {
            let a = a % len;
            let n = (*n).min(len - a);
            data[a..a + n].fill(0);
        }
    }
}

fn read_bytes(bytes: Vec<u8>) -> Result<u64, String> {
    let opts = ReadOptions {
        threaded: false,
        ..Default::default()
    };
    let mut sink = DecodeAll(
        KvStats::new(KvOptions {
            enabled: true,
            depth: 2,
            filter: vec![],
        }),
        0,
    );
    // Every command's sink at once: inspect and the decoder (above), verify's outlines,
    // decode's JSON lines, scan, acl, and redact's writer.
    let mut shape = snapinspect::model::shape::ShapeSink::default();
    let mut decode = snapinspect::report::decode::DecodeSink::new(
        std::io::sink(),
        snapinspect::report::decode::Filter::default(),
        snapinspect::model::secrets::Redactor::new_random(),
    );
    let mut scan = snapinspect::report::scan::ScanSink::default();
    let mut acl = snapinspect::report::acl::AclSink::default();
    let mut redact = snapinspect::write::redact::RedactSink::new(std::io::sink());
    let start = Instant::now();
    let r = {
        let mut t1 = Tee(&mut shape, &mut decode);
        let mut t2 = Tee(&mut scan, &mut acl);
        let mut t3 = Tee(&mut t1, &mut t2);
        let mut t4 = Tee(&mut redact, &mut t3);
        let mut all = Tee(&mut sink, &mut t4);
        read_archive(Cursor::new(bytes), &opts, &mut all)
    };
    if r.is_ok() {
        // The ACL reports over whatever records came through.
        let acl = snapinspect::report::acl::Acl::new(acl.state);
        let redactor = snapinspect::model::secrets::Redactor::new_random();
        let _ = acl.tokens_json(&redactor);
        let _ = acl.tokens_table(&redactor);
        let _ = acl.policies_table();
        let _ = acl.roles_json();
        let _ = acl.audit(snapinspect::report::acl::Instant::now()).pretty();
    }
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "a mutated input took {:?}",
        start.elapsed()
    );
    r.map(|s| s.records).map_err(|e| e.to_string())
}

fn with_size(meta: &[u8], size: usize) -> Vec<u8> {
    let text = String::from_utf8(meta.to_vec()).unwrap();
    let start = text.find("\"Size\":").unwrap() + 7;
    let end = start + text[start..].find('}').unwrap();
    format!("{}{}{}", &text[..start], size, &text[end..]).into_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_snapshots_never_panic(
        which in 0usize..4,
        depth in 0u8..3,
        ops in prop::collection::vec(op(), 1..4),
    ) {
        let f = &fixtures()[which];
        let input = match depth {
            0 => {
                let mut b = f.snap.clone();
                ops.iter().for_each(|o| apply(&mut b, o));
                b
            }
            1 => {
                let mut t = f.tar.clone();
                ops.iter().for_each(|o| apply(&mut t, o));
                util::gzip(&t)
            }
            _ => {
                let mut s = f.state.clone();
                ops.iter().for_each(|o| apply(&mut s, o));
                let meta = with_size(&f.meta, s.len());
                util::gzip(&util::tar(&[("meta.json", &meta), ("state.bin", &s), ("SHA256SUMS", &util::sums(&meta, &s))]))
            }
        };
        // Either outcome is fine; what matters is that it is an outcome.
        let _ = read_bytes(input);
    }
}

#[test]
fn unmutated_fixtures_read_at_every_depth() {
    // The harness itself must be able to see success, or the property above could pass vacuously.
    for f in fixtures() {
        assert!(read_bytes(f.snap.clone()).is_ok());
        assert!(read_bytes(util::gzip(&f.tar)).is_ok());
        let meta = with_size(&f.meta, f.state.len());
        let rebuilt = util::gzip(&util::tar(&[
            ("meta.json", &meta),
            ("state.bin", &f.state),
            ("SHA256SUMS", &util::sums(&meta, &f.state)),
        ]));
        assert!(read_bytes(rebuilt).is_ok());
    }
}
