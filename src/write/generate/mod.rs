//! Realistic synthetic state.bin streams of any size, shaped as Consul 1.8.7 writes records,
//! for benchmarks and scale tests.

use std::io::{self, Write};

use crate::go::msgpack::encode as e;
use crate::snapshot::msgtype::MessageType;

mod records;

use records::*;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct GenOptions {
    /// Approximate length of state.bin in bytes.
    pub size: u64,
    /// Seed; the same seed and size give the same bytes.
    pub seed: u64,
    /// 0 for the base snapshot; another number gives a variant of it, for diffs: about 0.5% of
    /// the KV entries removed, 0.5% changed, and 100 added, the rest identical.
    pub variant: u64,
}

/// A small deterministic PRNG (SplitMix64), hand-written so that generated files stay
/// byte-identical across dependency upgrades, which keeps cached benchmark inputs valid.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let r = self.next().to_le_bytes();
            chunk.copy_from_slice(&r[..chunk.len()]);
        }
    }
}

struct Out<'w, W: Write> {
    w: &'w mut W,
    len: u64,
    rec: Vec<u8>,
}

impl<W: Write> Out<'_, W> {
    fn record(&mut self, t: MessageType) -> io::Result<()> {
        self.w.write_all(&[t.0])?;
        self.w.write_all(&self.rec)?;
        self.len += 1 + self.rec.len() as u64;
        self.rec.clear();
        Ok(())
    }
}

/// What [`generate_state`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generated {
    /// Length of the state.bin written.
    pub state_len: u64,
    /// Its header's LastIndex.
    pub last_index: u64,
}

/// Writes a state.bin of about `opts.size` bytes.
pub fn generate_state<W: Write>(opts: GenOptions, w: &mut W) -> io::Result<Generated> {
    let mut rng = Rng(opts.seed ^ 0x5eed_5eed);
    let text = corpus(&mut rng);
    let nodes = (opts.size / (1 << 20)).clamp(3, 2000);
    let kv_budget = opts.size.saturating_sub(nodes * 3000);
    let mut idx: u64 = 10;
    let last_index = 10 + nodes * 5 + opts.size / 4096 + 100;
    let mut o = Out {
        w,
        len: 0,
        rec: Vec::with_capacity(1 << 17),
    };
    // Header.
    e::map_len(&mut o.rec, 1);
    key(&mut o.rec, "LastIndex");
    e::uint(&mut o.rec, last_index);
    o.w.write_all(&o.rec)?;
    o.len += o.rec.len() as u64;
    o.rec.clear();
    // Catalog: each node, then its services, then its checks.
    let mut buf = Vec::new();
    let mut buf2 = Vec::new();
    for n in 0..nodes {
        let node = format!("node-{n:05}");
        let addr = format!("10.{}.{}.{}", n / 65536 % 256, n / 256 % 256, n % 256);
        idx += 1;
        register_node(&mut o.rec, &node, &uuid(&mut rng), &addr, idx);
        o.record(MessageType::REGISTER)?;
        for s in 0..2 {
            let name = ["web", "api", "db", "cache"][((n + s) % 4) as usize];
            let id = format!("{name}-{n}-{s}");
            buf.clear();
            service(&mut buf, name, &id, 8000 + s, idx);
            register_with(&mut o.rec, &node, &addr, idx, Some(&buf), None);
            o.record(MessageType::REGISTER)?;
        }
        for s in 0..2 {
            let name = ["web", "api", "db", "cache"][((n + s) % 4) as usize];
            buf2.clear();
            let status = if rng.below(50) == 0 {
                "critical"
            } else {
                "passing"
            };
            check(
                &mut buf2,
                &node,
                &format!("service:{name}-{n}-{s}"),
                &format!("{name}-{n}-{s}"),
                status,
                idx,
            );
            register_with(&mut o.rec, &node, &addr, idx, None, Some(&buf2));
            o.record(MessageType::REGISTER)?;
        }
    }
    for n in 0..nodes.min(64) {
        e::array_len(&mut o.rec, 1);
        e::map_len(&mut o.rec, 3);
        key(&mut o.rec, "Coord");
        e::map_len(&mut o.rec, 4);
        key(&mut o.rec, "Adjustment");
        o.rec.extend_from_slice(&[0xcb]);
        o.rec.extend_from_slice(&0.001f64.to_bits().to_be_bytes());
        key(&mut o.rec, "Error");
        o.rec.extend_from_slice(&[0xcb]);
        o.rec.extend_from_slice(&1.5f64.to_bits().to_be_bytes());
        key(&mut o.rec, "Height");
        o.rec.extend_from_slice(&[0xcb]);
        o.rec.extend_from_slice(&0.0001f64.to_bits().to_be_bytes());
        key(&mut o.rec, "Vec");
        e::array_len(&mut o.rec, 8);
        for _ in 0..8 {
            o.rec.push(0xcb);
            o.rec
                .extend_from_slice(&((rng.below(1000) as f64) / 1e4).to_bits().to_be_bytes());
        }
        key(&mut o.rec, "Node");
        e::raw(&mut o.rec, format!("node-{n:05}").as_bytes());
        key(&mut o.rec, "Segment");
        e::raw(&mut o.rec, b"");
        o.record(MessageType::COORDINATE_BATCH_UPDATE)?;
    }
    let sessions: Vec<String> = (0..nodes.min(32)).map(|_| uuid(&mut rng)).collect();
    for (i, s) in sessions.iter().enumerate() {
        session(&mut o.rec, s, &format!("node-{i:05}"), idx);
        o.record(MessageType::SESSION)?;
    }
    for t in 0..(nodes / 4).max(3) {
        token(&mut o.rec, &mut rng, t, idx);
        o.record(MessageType::ACL_TOKEN)?;
    }
    // KV: nested keys in sorted order, values from 10 B to 64 KiB, mostly text.
    let mut value = vec![0u8; 65536];
    let start_len = o.len;
    let (mut a, mut b, mut c) = (0u32, 0u32, 0u32);
    let mut kvs = 0u64;
    while o.len - start_len < kv_budget {
        let k = format!("app/{:03}/env-{:02}/item-{:06}", a, b, c);
        c += 1;
        if c == 200 {
            c = 0;
            b += 1;
            if b == 10 {
                b = 0;
                a += 1;
            }
        }
        // Log-uniform size between 10 B and 64 KiB.
        let exp = rng.below(13_000) as f64 / 1000.0;
        let size = (10.0 * 2f64.powf(exp)).min(65536.0) as usize;
        let v = &mut value[..size];
        if rng.below(4) == 0 {
            rng.fill(v);
        } else {
            let start = rng.below((text.len() - size) as u64) as usize;
            v.copy_from_slice(&text[start..start + size]);
        }
        idx += 1;
        let flags = rng.below(3);
        kvs += 1;
        if opts.variant != 0 {
            // A second generator decides, so the base stream's randomness is unchanged.
            let mut m = Rng(opts.variant.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ kvs);
            match m.next() % 200 {
                0 => continue,
                1 => v[0] ^= 0x01,
                _ => {}
            }
        }
        kv(&mut o.rec, k.as_bytes(), v, flags, idx.min(last_index));
        o.record(MessageType::KVS)?;
    }
    if opts.variant != 0 {
        for i in 0..100 {
            kv(
                &mut o.rec,
                format!("zz-added/{i:03}").as_bytes(),
                b"new value",
                0,
                last_index,
            );
            o.record(MessageType::KVS)?;
        }
    }
    for t in 0..3 {
        kv(
            &mut o.rec,
            format!("deleted/{t}").as_bytes(),
            b"",
            0,
            last_index,
        );
        o.record(MessageType::TOMBSTONE)?;
    }
    // Autopilot.
    e::map_len(&mut o.rec, 10);
    key(&mut o.rec, "CleanupDeadServers");
    e::bool(&mut o.rec, true);
    key(&mut o.rec, "CreateIndex");
    e::uint(&mut o.rec, 5);
    key(&mut o.rec, "DisableUpgradeMigration");
    e::bool(&mut o.rec, false);
    key(&mut o.rec, "LastContactThreshold");
    e::uint(&mut o.rec, 200_000_000);
    key(&mut o.rec, "MaxTrailingLogs");
    e::uint(&mut o.rec, 250);
    key(&mut o.rec, "MinQuorum");
    e::uint(&mut o.rec, 0);
    key(&mut o.rec, "ModifyIndex");
    e::uint(&mut o.rec, 5);
    key(&mut o.rec, "RedundancyZoneTag");
    e::raw(&mut o.rec, b"");
    key(&mut o.rec, "ServerStabilizationTime");
    e::uint(&mut o.rec, 10_000_000_000);
    key(&mut o.rec, "UpgradeVersionTag");
    e::raw(&mut o.rec, b"");
    o.record(MessageType::AUTOPILOT)?;
    for (k, v) in [
        ("acl-tokens", idx.min(last_index)),
        ("checks", last_index),
        ("coordinates", last_index),
        ("kvs", last_index),
        ("nodes", last_index),
        ("services", last_index),
        ("sessions", last_index),
        ("tombstones", last_index),
    ] {
        index(&mut o.rec, k, v);
        o.record(MessageType::INDEX)?;
    }
    e::map_len(&mut o.rec, 1);
    key(&mut o.rec, "ChunkMap");
    e::map_len(&mut o.rec, 0);
    o.record(MessageType::CHUNKING_STATE)?;
    o.w.flush()?;
    Ok(Generated {
        state_len: o.len,
        last_index,
    })
}

/// The meta.json Consul would write for a generated state of this length and index.
pub fn meta_for(
    state_len: u64,
    last_index: u64,
    created_unix_ms: u64,
) -> crate::snapshot::meta::SnapshotMeta {
    crate::snapshot::meta::SnapshotMeta {
        version: 1,
        id: format!("2-{last_index}-{created_unix_ms}"),
        index: last_index,
        term: 2,
        peers: Some(b"\x91\xae127.0.0.1:8300".to_vec()),
        servers: Some(vec![crate::snapshot::meta::Server {
            suffrage: 0,
            id: "11111111-2222-3333-4444-555555555555".into(),
            address: "127.0.0.1:8300".into(),
        }]),
        configuration_index: 1,
        size: state_len as i64,
        crc: None,
    }
}

/// Writes a raft snapshot directory (`meta.json` with its CRC, and `state.bin`).
pub fn generate_raw_dir(
    opts: GenOptions,
    dir: &std::path::Path,
) -> crate::Result<crate::snapshot::meta::SnapshotMeta> {
    use crate::error::Error;
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let state_path = dir.join("state.bin");
    let f = std::fs::File::create(&state_path)
        .map_err(|e| Error::io(format!("creating {}", state_path.display()), e))?;
    struct Crc<W>(W, crc::Digest<'static, u64, crc::Table<16>>);
    impl<W: Write> Write for Crc<W> {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            let n = self.0.write(b)?;
            self.1.update(&b[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            self.0.flush()
        }
    }
    let mut w = Crc(
        io::BufWriter::with_capacity(1 << 20, f),
        crate::snapshot::archive::CRC64_GO_ECMA.digest(),
    );
    let Generated {
        state_len: len,
        last_index: last,
    } = generate_state(opts, &mut w)
        .map_err(|e| Error::io(format!("writing {}", state_path.display()), e))?;
    let crc = w.1.finalize();
    let mut meta = meta_for(len, last, 1_790_000_000_000 + opts.seed);
    meta.crc = Some(crc.to_be_bytes().to_vec());
    use base64::Engine;
    let mut json = meta.to_go_json();
    json.truncate(json.len() - 1);
    json.push_str(&format!(
        ",\"CRC\":\"{}\"}}",
        base64::engine::general_purpose::STANDARD.encode(crc.to_be_bytes())
    ));
    std::fs::write(dir.join("meta.json"), json)
        .map_err(|e| Error::io(format!("writing {}", dir.join("meta.json").display()), e))?;
    Ok(meta)
}

/// Writes a `.snap` atomically at `path`; the state is staged in a temp file beside it.
pub fn generate_snapshot(
    opts: GenOptions,
    path: &std::path::Path,
    write: crate::write::WriteOptions,
    temps: &crate::write::TempFiles,
) -> crate::Result<crate::snapshot::meta::SnapshotMeta> {
    generate_snapshot_counted(opts, path, write, temps, None)
}

/// [`generate_snapshot`], counting into `progress` the state bytes generated, then (from
/// zero again) the state bytes compressed.
pub fn generate_snapshot_counted(
    opts: GenOptions,
    path: &std::path::Path,
    write: crate::write::WriteOptions,
    temps: &crate::write::TempFiles,
    progress: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
) -> crate::Result<crate::snapshot::meta::SnapshotMeta> {
    use crate::error::Error;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let mut staged = crate::write::unnamed_temp_file(Some(dir))
        .map_err(|e| Error::io(format!("creating a temp file in {}", dir.display()), e))?;
    let Generated {
        state_len: len,
        last_index: last,
    } = {
        let mut w = io::BufWriter::with_capacity(
            1 << 20,
            crate::write::Counted {
                inner: &mut staged,
                counter: progress.clone(),
            },
        );
        let r = generate_state(opts, &mut w)
            .map_err(|e| Error::io("writing the generated state", e))?;
        w.flush()
            .map_err(|e| Error::io("writing the generated state", e))?;
        r
    };
    use std::io::Seek;
    staged
        .rewind()
        .map_err(|e| Error::io("rereading the generated state", e))?;
    let meta = meta_for(len, last, 1_790_000_000_000 + opts.seed);
    if let Some(c) = &progress {
        c.store(0, std::sync::atomic::Ordering::Relaxed);
    }
    let mut reader = io::BufReader::with_capacity(
        1 << 20,
        crate::write::Counted {
            inner: staged,
            counter: progress,
        },
    );
    crate::write::write_atomic(path, temps, |f| {
        let out = io::BufWriter::with_capacity(1 << 20, f);
        let (m, out) = crate::write::write_snapshot(out, &meta, &mut reader, len, write)?;
        out.into_inner()
            .map_err(|e| Error::io("writing the snapshot", e.into_error()))?;
        Ok(m)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::state::{NullSink, StateWalker};

    #[test]
    fn generated_state_walks_and_is_deterministic() {
        let mut a = Vec::new();
        let Generated {
            state_len: len,
            last_index: last,
        } = generate_state(
            GenOptions {
                size: 2 << 20,
                seed: 7,
                variant: 0,
            },
            &mut a,
        )
        .unwrap();
        assert_eq!(len as usize, a.len());
        assert!(
            a.len() > 2 << 20 && a.len() < (2 << 20) + 200_000,
            "{}",
            a.len()
        );
        let mut w = StateWalker::new();
        w.feed(&a, &mut NullSink).unwrap();
        assert_eq!(w.finish().unwrap().last_index, last);
        assert!(w.stats()[MessageType::KVS.0 as usize].count > 100);
        // Every record is one map whose keys are strings sorted as Go's codec sorts them.
        struct Keys(u64);
        impl crate::snapshot::state::RecordSink for Keys {
            fn wants_value(&mut self, _: crate::snapshot::state::MessageType) -> bool {
                true
            }
            fn record(&mut self, r: &crate::snapshot::state::Record<'_>) -> crate::Result<()> {
                let v = crate::go::msgpack::decode_exact(r.value.unwrap()).unwrap();
                let v = match v {
                    crate::go::msgpack::Value::Array(mut a) => a.remove(0),
                    v => v,
                };
                let crate::go::msgpack::Value::Map(m) = v else {
                    panic!("record {} not a map", r.number)
                };
                let keys: Vec<&[u8]> = m.iter().map(|(k, _)| k.as_bytes().unwrap()).collect();
                let mut sorted = keys.clone();
                sorted.sort();
                assert_eq!(keys, sorted, "record {}", r.number);
                self.0 += 1;
                Ok(())
            }
        }
        let mut k = Keys(0);
        let mut w2 = StateWalker::new();
        w2.feed(&a, &mut k).unwrap();
        assert_eq!(k.0, w.records());
        assert_eq!(w.last_type().unwrap(), MessageType::CHUNKING_STATE);
        let mut b = Vec::new();
        generate_state(
            GenOptions {
                size: 2 << 20,
                seed: 7,
                variant: 0,
            },
            &mut b,
        )
        .unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn raw_dir_reads_back_with_its_crc() {
        let dir = tempfile::tempdir().unwrap();
        let meta = generate_raw_dir(
            GenOptions {
                size: 1 << 20,
                seed: 3,
                variant: 0,
            },
            dir.path(),
        )
        .unwrap();
        let snap = crate::snapshot::archive::read(
            &crate::snapshot::archive::Input::from_arg(dir.path().to_str().unwrap()),
            &Default::default(),
            &mut NullSink,
        )
        .unwrap();
        assert_eq!(snap.meta, meta);
        assert_eq!(snap.state_size as i64, meta.size);
    }
}
