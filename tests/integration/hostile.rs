//! Hostile inputs: length fields that claim gigabytes, decompression bombs and deep nesting end
//! with one clear error line (or a bounded result) and a small peak RSS, never a panic or hang.

use crate::util;

use std::io::Write;

use flate2::write::GzEncoder;

use crate::util::{run_measured, write_file, RSS_LIMIT_KB};

/// A .snap whose state.bin is `state`, with matching hashes and Size.
fn snap_with_state(state: &[u8]) -> Vec<u8> {
    let (meta, _) = util::members("basic.snap");
    let text = String::from_utf8(meta).unwrap();
    let meta = text
        .replace("\"Size\":2230", &format!("\"Size\":{}", state.len()))
        .into_bytes();
    util::gzip(&util::tar(&[
        ("meta.json", &meta),
        ("state.bin", state),
        ("SHA256SUMS", &util::sums(&meta, state)),
    ]))
}

fn header() -> Vec<u8> {
    let mut h = vec![0x81, 0xa9];
    h.extend_from_slice(b"LastIndex");
    h.push(0x07);
    h
}

#[test]
fn records_claiming_four_gib_fail_cleanly_in_little_memory() {
    let dir = tempfile::tempdir().unwrap();
    for (what, claim) in [
        ("string", vec![0xdb, 0xff, 0xff, 0xff, 0xff]),
        ("map", vec![0xdf, 0xff, 0xff, 0xff, 0xff]),
        ("array", vec![0xdd, 0xff, 0xff, 0xff, 0xff]),
        ("bin", vec![0xc6, 0xff, 0xff, 0xff, 0xff]),
    ] {
        let mut state = header();
        state.push(2); // a KVS record
        state.extend_from_slice(&claim);
        state.extend_from_slice(&[0xa1, b'x', 0x01, 0x02]);
        let path = write_file(
            dir.path(),
            &format!("{what}.snap"),
            &snap_with_state(&state),
        );
        // --kvdetails makes the reader keep KVS values: the claim must still not be believed.
        let (code, err, rss) = run_measured(&["inspect", "--kvdetails", &path]);
        assert_eq!(code, 3, "{what}: {err}");
        assert!(
            err.contains("state.bin ends inside a record"),
            "{what}: {err}"
        );
        assert!(err.contains("record 1 (KVS)"), "{what}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(rss < RSS_LIMIT_KB, "{what}: peak RSS {rss} KiB");
    }
}

#[test]
fn deep_nesting_is_walked_without_recursion() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = header();
    state.push(2);
    state.extend(std::iter::repeat_n(0x91u8, 1_000_000));
    state.push(0xc0);
    let path = write_file(dir.path(), "deep.snap", &snap_with_state(&state));
    // The structure is valid msgpack: the walk accepts it; decoding it for the KV breakdown
    // stops at the depth limit instead of overflowing the stack.
    let (code, err, rss) = run_measured(&["inspect", "--kvdetails", &path]);
    assert_eq!(code, 0, "{err}");
    assert!(rss < RSS_LIMIT_KB, "peak RSS {rss} KiB");
}

#[test]
fn tar_header_claiming_sixteen_gib_in_a_tiny_gzip() {
    let dir = tempfile::tempdir().unwrap();
    // A PAX record says state.bin is 16 GiB; the data is 100 bytes.
    let size = 16u64 << 30;
    let record = format!("size={size}\n");
    let line = format!("{} {}", record.len() + 3, record);
    assert_eq!(line.len(), record.len() + 3);
    let mut tar = Vec::new();
    let mut pax = util::ustar_header("PaxHeaders.0/state.bin", line.len());
    pax[156] = b'x';
    pax[148..156].copy_from_slice(b"        ");
    let sum: u32 = pax.iter().map(|&b| b as u32).sum();
    pax[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    tar.extend_from_slice(&pax);
    tar.extend_from_slice(line.as_bytes());
    tar.resize(1024, 0);
    tar.extend_from_slice(&util::ustar_header("state.bin", 0));
    tar.extend_from_slice(&[0x81; 100]);
    let gz = util::gzip(&tar);
    assert!(gz.len() < 1024, "{} bytes", gz.len());
    let path = write_file(dir.path(), "claim.snap", &gz);
    let (code, err, rss) = run_measured(&[&path]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("unexpected EOF"), "{err}");
    assert!(err.contains("state.bin"), "{err}");
    assert!(rss < RSS_LIMIT_KB, "peak RSS {rss} KiB");
}

/// A valid snapshot followed, inside the gzip stream, by `gib` GiB of zeros (each GiB one
/// gzip member, compressed once and repeated).
fn bomb(gib: usize) -> Vec<u8> {
    let mut out = std::fs::read(util::testdata("basic.snap")).unwrap();
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..1024 {
        e.write_all(&zeros).unwrap();
    }
    let member = e.finish().unwrap();
    for _ in 0..gib {
        out.extend_from_slice(&member);
    }
    out
}

#[test]
fn decompression_bomb_is_streamed_in_constant_memory() {
    let dir = tempfile::tempdir().unwrap();
    let b = bomb(16);
    assert!(b.len() < 20 << 20, "{} bytes", b.len());
    let path = write_file(dir.path(), "bomb.snap", &b);
    // With --max-size the read stops early.
    let (code, err, rss) = run_measured(&["inspect", "--max-size", "104857600", &path]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("--max-size"), "{err}");
    assert!(rss < RSS_LIMIT_KB, "peak RSS {rss} KiB");
    // Without it the whole 16 GiB is inflated, counted and rejected, in constant memory.
    let (code, err, rss) = run_measured(&[&path]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("17179869184 unread uncompressed bytes remain"),
        "{err}"
    );
    assert!(rss < RSS_LIMIT_KB, "peak RSS {rss} KiB");
}
