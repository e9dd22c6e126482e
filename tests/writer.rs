//! The writer lays out archives byte for byte as Consul does: re-packing Consul's own
//! snapshots gives identical tars, except member mtimes and the SHA256SUMS line order.

mod util;

use snapinspect::meta::SnapshotMeta;
use snapinspect::writer::{write_snapshot, write_tar, WriteOptions};

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
            let read = snapinspect::archive::read_path(
                &p,
                &Default::default(),
                &mut snapinspect::state::NullSink,
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
