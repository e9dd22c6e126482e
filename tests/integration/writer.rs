//! The writer lays out archives byte for byte as Consul does: re-packing Consul's own
//! snapshots gives identical tars, except member mtimes and the SHA256SUMS line order.

use crate::util;

use snapinspect::snapshot::meta::SnapshotMeta;
use snapinspect::write::{write_snapshot, write_tar, WriteOptions};

fn octal(field: &[u8]) -> u64 {
    let s = std::str::from_utf8(field)
        .unwrap()
        .trim_matches(|c| c == '\0' || c == ' ');
    u64::from_str_radix(s, 8).unwrap()
}

#[test]
fn repacked_consul_snapshots_are_byte_identical_tars() {
    for name in ["basic.snap", "kv.snap", "all.snap", "large.snap"] {
        let original = util::gunzip(&std::fs::read(util::testdata(name)).unwrap());
        let (meta_bytes, state) = util::members(name);
        let meta = SnapshotMeta::parse(&meta_bytes).unwrap();
        let mtime = octal(&original[136..148]);
        let mut ours = Vec::new();
        write_tar(&mut ours, &meta, &mut &state[..], state.len() as u64, mtime).unwrap();
        assert_eq!(ours.len(), original.len(), "{name}");
        if ours != original {
            // SHA256SUMS lines come in Go's random map order: try the other order.
            let at = ours.len() - 1024 - 512;
            let lines = ours[at..at + 152].to_vec();
            ours[at..at + 76].copy_from_slice(&lines[76..152]);
            ours[at + 76..at + 152].copy_from_slice(&lines[..76]);
            // The SHA256SUMS header's checksum does not depend on its content, so only the
            // data block changed.
        }
        assert!(
            ours == original,
            "{name}: re-packed tar differs from Consul's"
        );
    }
}

#[test]
fn written_snapshots_read_back_identical() {
    for name in ["kv.snap", "all.snap"] {
        let (meta_bytes, state) = util::members(name);
        let meta = SnapshotMeta::parse(&meta_bytes).unwrap();
        let (written, snap) = write_snapshot(
            Vec::new(),
            &meta,
            &mut &state[..],
            state.len() as u64,
            WriteOptions::default(),
        )
        .unwrap();
        assert_eq!(written, meta);
        let (meta2, state2) = {
            let raw = util::gunzip(&snap);
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("x.snap");
            std::fs::write(&p, &snap).unwrap();
            let read = snapinspect::snapshot::archive::read_path(
                &p,
                &Default::default(),
                &mut snapinspect::snapshot::state::NullSink,
            )
            .unwrap();
            assert_eq!(read.meta, meta);
            (read.meta, raw)
        };
        assert_eq!(meta2.size as usize, state.len());
        assert!(state2
            .windows(state.len().min(64))
            .any(|w| w == &state[..state.len().min(64)]));
    }
}

mod round_trip {
    use proptest::prelude::*;
    use snapinspect::go::msgpack::encode;
    use snapinspect::snapshot::meta::{Server, SnapshotMeta};
    use snapinspect::snapshot::state::{MessageType, Record, RecordSink};
    use snapinspect::write::{write_snapshot, WriteOptions};

    /// A random msgpack value as Consul would write it.
    fn value() -> impl Strategy<Value = Vec<u8>> {
        let leaf = prop_oneof![
            any::<u64>().prop_map(|u| {
                let mut o = Vec::new();
                encode::uint(&mut o, u);
                o
            }),
            any::<i64>().prop_map(|i| {
                let mut o = Vec::new();
                encode::int(&mut o, i);
                o
            }),
            prop::collection::vec(any::<u8>(), 0..300).prop_map(|b| {
                let mut o = Vec::new();
                encode::raw(&mut o, &b);
                o
            }),
            any::<bool>().prop_map(|b| vec![if b { 0xc3 } else { 0xc2 }]),
            Just(vec![0xc0]),
        ];
        leaf.prop_recursive(3, 40, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(|items| {
                    let mut o = Vec::new();
                    encode::array_len(&mut o, items.len());
                    items.iter().for_each(|i| o.extend_from_slice(i));
                    o
                }),
                prop::collection::vec(("[A-Z][a-zA-Z]{0,12}", inner), 0..8).prop_map(|entries| {
                    let mut o = Vec::new();
                    encode::map_len(&mut o, entries.len());
                    for (k, v) in entries {
                        encode::raw(&mut o, k.as_bytes());
                        o.extend_from_slice(&v);
                    }
                    o
                }),
            ]
        })
    }

    struct Collect(Vec<(u8, Vec<u8>)>);
    impl RecordSink for Collect {
        fn wants_value(&mut self, _: MessageType) -> bool {
            true
        }
        fn record(&mut self, r: &Record<'_>) -> snapinspect::Result<()> {
            self.0.push((r.mtype.0, r.value.unwrap().to_vec()));
            Ok(())
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn random_meta_and_records_read_back_identical(
            index in any::<u64>(),
            term in any::<u64>(),
            last_index in any::<u64>(),
            id in "[0-9]{1,5}-[0-9]{1,7}-[0-9]{13}",
            servers in prop::collection::vec(("[a-f0-9-]{1,36}", "127\\.0\\.0\\.[0-9]{1,3}:[0-9]{2,5}", 0i64..3), 0..4),
            records in prop::collection::vec((0u8..64, value()), 0..60),
            level in 0u32..10,
            threads in 1usize..3,
        ) {
            let meta = SnapshotMeta {
                version: 1, id, index, term, peers: None,
                servers: Some(servers.into_iter().map(|(id, address, suffrage)| Server { suffrage, id, address }).collect()),
                configuration_index: 1, size: 0, crc: None,
            };
            let mut state = Vec::new();
            encode::map_len(&mut state, 1);
            encode::raw(&mut state, b"LastIndex");
            encode::uint(&mut state, last_index);
            for (t, v) in &records {
                state.push(*t);
                state.extend_from_slice(v);
            }
            let opts = WriteOptions { level, mtime: 1_700_000_000, threads };
            let (written, bytes) = write_snapshot(Vec::new(), &meta, &mut &state[..], state.len() as u64, opts).unwrap();
            let mut got = Collect(Vec::new());
            let snap = snapinspect::snapshot::archive::read_archive(std::io::Cursor::new(bytes), &Default::default(), &mut got).unwrap();
            prop_assert_eq!(&snap.meta, &written);
            prop_assert_eq!(snap.meta.size as usize, state.len());
            prop_assert_eq!(snap.header.last_index, last_index);
            prop_assert_eq!(got.0, records);
        }
    }
}
