//! Broken archives fail with Consul's message, a location and exit code 3; Consul's own tar
//! fixtures give the outcomes its tests require, as plain tar and gzipped.

use crate::util;

use std::path::{Path, PathBuf};

use crate::util::{gzip, members, sums, tar, testdata};
use assert_cmd::Command;

/// Runs `snapinspect inspect` on bytes written to a temp file; returns (code, stdout, stderr).
fn inspect_bytes(bytes: &[u8]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("input.snap");
    std::fs::write(&p, bytes).unwrap();
    let out = Command::cargo_bin("snapinspect")
        .unwrap()
        .arg("inspect")
        .arg(&p)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_fails(bytes: &[u8], code: i32, needle: &str) {
    let (c, out, err) = inspect_bytes(bytes);
    assert_eq!(
        c, code,
        "expected exit {code} with {needle:?}; stderr: {err}"
    );
    assert!(err.contains(needle), "stderr {err:?} lacks {needle:?}");
    assert_eq!(err.trim_end().lines().count(), 1, "one error line: {err:?}");
    assert!(out.is_empty(), "no report on failure: {out}");
    assert!(!err.contains("panicked"), "{err}");
}

fn consul_fixtures() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/upstream/test-snapshot");
    if p.is_dir() {
        Some(p)
    } else {
        util::skip(
            "SNAPINSPECT_REQUIRE_SHARED",
            "../shared/fixtures/upstream/test-snapshot is not present",
        );
        None
    }
}

#[test]
fn consul_tar_fixtures_as_plain_tar_and_gzipped() {
    let Some(dir) = consul_fixtures() else { return };
    let cases = [
        ("empty.tar", "failed checking integrity of snapshot"),
        ("extra.tar", "unexpected file \"nope\""),
        ("missing-meta.tar", "hash check failed for \"meta.json\""),
        ("missing-state.tar", "hash check failed for \"state.bin\""),
        ("missing-sha.tar", "file missing"),
        ("corrupt-meta.tar", "hash check failed for \"meta.json\""),
        ("corrupt-state.tar", "hash check failed for \"state.bin\""),
        ("corrupt-sha.tar", "list missing hash for \"nope\""),
    ];
    for (name, needle) in cases {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        assert_fails(&bytes, 3, needle);
        assert_fails(&gzip(&bytes), 3, needle);
    }
    // spaces-meta.tar reads as a plain tar (GNU format, ~250 spaces in meta.json, record padding).
    let spaces = std::fs::read(dir.join("spaces-meta.tar")).unwrap();
    let (c, out, err) = inspect_bytes(&spaces);
    assert_eq!(c, 0, "{err}");
    assert!(out.contains(" ID           2-10-1546615723344"), "{out}");
    // Gzipped as-is, Consul rejects it for the tar record padding after the trailer.
    assert_fails(&gzip(&spaces), 3, "1536 unread uncompressed bytes remain");
    // Its three members re-tarred without padding are accepted gzipped.
    let unpadded = &spaces[..spaces.len() - 1536];
    let (c, _, err) = inspect_bytes(&gzip(unpadded));
    assert_eq!(c, 0, "{err}");
}

#[test]
fn corrupt_variants_of_a_real_snapshot() {
    let original = std::fs::read(testdata("kv.snap")).unwrap();
    let (meta, state) = members("kv.snap");
    let good = tar(&[
        ("meta.json", &meta),
        ("state.bin", &state),
        ("SHA256SUMS", &sums(&meta, &state)),
    ]);
    // Sanity: our rebuilt archive is accepted, so each failure below is due to its one defect.
    assert_eq!(inspect_bytes(&gzip(&good)).0, 0);

    // Truncated.
    assert_fails(&original[..original.len() / 2], 3, "unexpected EOF");
    assert_fails(&original[..original.len() - 4], 3, "unexpected EOF");
    // A bit flipped in the deflate data or the trailer.
    let mut flipped = original.clone();
    flipped[original.len() / 2] ^= 0x10;
    let (c, _, err) = inspect_bytes(&flipped);
    assert_eq!(c, 3, "{err}");
    assert!(
        err.contains("gzip") || err.contains("flate") || err.contains("hash check failed"),
        "{err}"
    );
    let mut crc = original.clone();
    let n = crc.len();
    crc[n - 6] ^= 1;
    assert_fails(&crc, 3, "gzip: invalid checksum");
    // Wrong hash.
    let mut bad_sums = sums(&meta, &state);
    bad_sums[80..84].copy_from_slice(b"0000");
    assert_fails(
        &gzip(&tar(&[
            ("meta.json", &meta),
            ("state.bin", &state),
            ("SHA256SUMS", &bad_sums),
        ])),
        3,
        "hash check failed for \"state.bin\"",
    );
    // Extra member.
    assert_fails(
        &gzip(&tar(&[
            ("meta.json", &meta),
            ("state.bin", &state),
            ("notes.txt", b"hello"),
            ("SHA256SUMS", &sums(&meta, &state)),
        ])),
        3,
        "unexpected file \"notes.txt\" in snapshot",
    );
    // Missing members.
    assert_fails(
        &gzip(&tar(&[("meta.json", &meta), ("state.bin", &state)])),
        3,
        "file missing for \"meta.json\"",
    );
    assert_fails(
        &gzip(&tar(&[
            ("meta.json", &meta),
            ("SHA256SUMS", &sums(&meta, &state)),
        ])),
        3,
        "hash check failed for \"state.bin\"",
    );
    // Leftover bytes after the tar: padding inside the stream, a second tar as a second member.
    let mut padded = good.clone();
    padded.extend_from_slice(&[0u8; 512]);
    assert_fails(&gzip(&padded), 3, "512 unread uncompressed bytes remain");
    let mut two = gzip(&good);
    two.extend_from_slice(&gzip(&good));
    assert_fails(
        &two,
        3,
        &format!("{} unread uncompressed bytes remain", good.len()),
    );
    // Garbage after the gzip stream.
    let mut garbage = original.clone();
    garbage.extend_from_slice(b"this is not gzip");
    assert_fails(&garbage, 3, "gzip: invalid header");
    // meta.json Size that does not match state.bin, with matching hashes.
    let text = String::from_utf8(meta.clone()).unwrap();
    let meta2 = text
        .replace("\"Size\":75216", "\"Size\":75215")
        .into_bytes();
    assert_ne!(meta2, meta);
    assert_fails(
        &gzip(&tar(&[
            ("meta.json", &meta2),
            ("state.bin", &state),
            ("SHA256SUMS", &sums(&meta2, &state)),
        ])),
        3,
        "meta.json Size is 75215 but state.bin holds 75216 bytes",
    );
    // state.bin cut inside a record, with matching hashes and Size: only the record walk sees it.
    let cut = &state[..state.len() - 3];
    let meta3 = text
        .replace("\"Size\":75216", &format!("\"Size\":{}", cut.len()))
        .into_bytes();
    assert_fails(
        &gzip(&tar(&[
            ("meta.json", &meta3),
            ("state.bin", cut),
            ("SHA256SUMS", &sums(&meta3, cut)),
        ])),
        3,
        "state.bin ends inside a record",
    );
}

#[test]
fn errors_name_the_place() {
    let (meta, state) = members("kv.snap");
    let mut bad = state.clone();
    // The first record's type byte follows the 20-byte header; break the value right after it.
    let header_len = 1 + 1 + 9 + snapinspect::go::msgpack::value_len(&state[11..]).unwrap();
    bad[header_len + 1] = 0xc1;
    let (c, _, err) = inspect_bytes(&gzip(&tar(&[
        ("meta.json", &meta),
        ("state.bin", &bad),
        ("SHA256SUMS", &sums(&meta, &bad)),
    ])));
    assert_eq!(c, 3, "{err}");
    assert!(err.contains("record 1 (Register)"), "{err}");
    assert!(
        err.contains(&format!("byte {} of the state.bin", header_len + 1)),
        "{err}"
    );
}

#[test]
fn exit_codes_for_usage_io_and_unsupported_input() {
    let (c, _, err) = inspect_bytes(b"nope");
    assert_eq!(c, 3);
    assert!(err.contains("unexpected EOF"), "{err}");
    assert_fails(b"", 3, "EOF");
    assert_fails(b"PK\x03\x04 a zip file, not a snapshot", 5, "zip");
    let out = Command::cargo_bin("snapinspect")
        .unwrap()
        .arg("no-such-file.snap")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-file.snap"));
    let out = Command::cargo_bin("snapinspect")
        .unwrap()
        .args(["inspect"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::cargo_bin("snapinspect")
        .unwrap()
        .args(["inspect", "--format", "xml", "x.snap"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::cargo_bin("snapinspect")
        .unwrap()
        .args(["--help"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("3  invalid or corrupt snapshot"));
}
