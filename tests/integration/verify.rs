//! `snapinspect verify`: every truncation and bit flip is caught, hostile claims fail in little
//! memory, JSON follows its schema, Prometheus output parses, directories and --max-age work.

use crate::util;

use std::io::Cursor;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use snapinspect::report::verify::{verify_input, VerifyOptions};
use snapinspect::snapshot::archive::{read_archive, Input, ReadOptions};
use snapinspect::snapshot::meta::SnapshotMeta;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Verifies bytes in memory through the library, the way `verify` does for one file.
fn verify_bytes(bytes: &[u8], strict: bool) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.snap");
    std::fs::write(&p, bytes).unwrap();
    let r = verify_input(
        &Input::Archive(p),
        "x.snap",
        &VerifyOptions {
            strict,
            read: snapinspect::ReadOptions {
                max_size: None,
                threaded: false,
                ..Default::default()
            },
            ..Default::default()
        },
    );
    match r.error {
        None => Ok(()),
        Some(e) => Err(e.message),
    }
}

fn read_ok(bytes: &[u8]) -> bool {
    let opts = ReadOptions {
        threaded: false,
        ..Default::default()
    };
    read_archive(
        Cursor::new(bytes.to_vec()),
        &opts,
        &mut snapinspect::snapshot::state::NullSink,
    )
    .is_ok()
}

fn verify_cli(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("snapinspect")
        .unwrap()
        .current_dir(root())
        .arg("verify")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn truncation_at_every_offset_is_detected() {
    for name in ["basic.snap", "kv.snap"] {
        let bytes = std::fs::read(util::testdata(name)).unwrap();
        assert!(read_ok(&bytes));
        for cut in 0..bytes.len() {
            assert!(!read_ok(&bytes[..cut]), "{name} cut at {cut} was accepted");
        }
    }
    // Through the CLI too: exit 3 and one line.
    let bytes = std::fs::read(util::testdata("kv.snap")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for cut in [0usize, 9, 10, 100, 1000, bytes.len() - 8, bytes.len() - 1] {
        let p = dir.path().join(format!("cut{cut}.snap"));
        std::fs::write(&p, &bytes[..cut]).unwrap();
        let (code, out, err) = verify_cli(&[p.to_str().unwrap()]);
        assert_eq!(code, 3, "cut {cut}: {out}{err}");
        assert!(out.starts_with("FAIL"), "{out}");
        // One line for the file, then the tally.
        assert_eq!(out.lines().count(), 2);
        assert_eq!(out.lines().nth(1), Some("1 checked: 0 OK, 1 FAILED"));
    }
}

#[test]
fn every_bit_flip_in_a_window_of_the_compressed_stream_is_detected() {
    let bytes = std::fs::read(util::testdata("kv.snap")).unwrap();
    let start = bytes.len() / 2 - 128;
    let mut flips = 0;
    for pos in start..start + 256 {
        for bit in 0..8 {
            let mut b = bytes.clone();
            b[pos] ^= 1 << bit;
            assert!(!read_ok(&b), "flip of bit {bit} at byte {pos} was accepted");
            flips += 1;
        }
    }
    assert_eq!(flips, 2048);
}

/// Record boundaries and types of a state.bin, as the walker sees them.
fn shape(state: &[u8]) -> Option<Vec<(u8, u64)>> {
    struct Shape(Vec<(u8, u64)>);
    impl snapinspect::snapshot::state::RecordSink for Shape {
        fn record(
            &mut self,
            r: &snapinspect::snapshot::state::Record<'_>,
        ) -> snapinspect::Result<()> {
            self.0.push((r.mtype.0, r.len));
            Ok(())
        }
    }
    let mut w = snapinspect::snapshot::state::StateWalker::new();
    let mut s = Shape(Vec::new());
    w.feed(state, &mut s).ok()?;
    w.finish().ok()?;
    Some(s.0)
}

#[test]
fn bit_flips_in_state_bin_that_change_its_structure_are_detected_unless_consul_loads_them() {
    // The archive is rebuilt with matching hashes and Size, so only the record walk and the
    // cross-checks can catch a flip. A flip inside a string's or number's bytes leaves the
    // msgpack structure intact; no structural check can see it (that is what the hashes are
    // for), nor can a type byte flipped into another type Consul would load the record as.
    // Everything else must be caught.
    let (meta_bytes, state) = util::members("kv.snap");
    let meta = SnapshotMeta::parse(&meta_bytes).unwrap();
    let original_shape = shape(&state).unwrap();
    let (mut detected, mut content_only, mut loadable_change) = (0, 0, 0);
    // The header, the first records, and a window in the middle of the stream.
    let windows = [
        0..400usize,
        state.len() / 2..state.len() / 2 + 200,
        state.len() - 300..state.len(),
    ];
    for w in windows {
        for pos in w {
            for bit in 0..8 {
                let mut s = state.clone();
                s[pos] ^= 1 << bit;
                match verify_bytes(&util::snap(&meta, &s), true) {
                    Err(_) => detected += 1,
                    Ok(()) => {
                        // Accepted flips leave the structure as it was, or make a record one
                        // that Consul loads as well: a type byte flipped into another type
                        // whose restore takes the same map (unknown keys are ignored), a key
                        // whose length grew into an unknown field. Those are counted; what
                        // Consul loads is judged by a real Consul in tests/oracle.rs.
                        if shape(&s).as_ref() != Some(&original_shape) {
                            loadable_change += 1;
                        }
                        content_only += 1;
                    }
                }
            }
        }
    }
    assert_eq!(detected + content_only, 900 * 8);
    assert!(detected > 1000, "only {detected} flips detected");
    assert!(
        loadable_change * 50 < detected,
        "{loadable_change} structure-changing flips accepted, {detected} detected"
    );
    eprintln!("state.bin bit flips: {detected} detected, {content_only} inside scalar content");
}

#[test]
fn hostile_claims_fail_cleanly_in_little_memory() {
    let (meta_bytes, state) = util::members("basic.snap");
    let meta = SnapshotMeta::parse(&meta_bytes).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // A string claiming 4 GiB, then a few bytes.
    let header_len = 12;
    let mut claim = state[..header_len].to_vec();
    claim.extend_from_slice(&[2, 0xdb, 0xff, 0xff, 0xff, 0xff, b'x', b'y']);
    // A stream that ends in the middle of its last record.
    let cut = state[..state.len() - 5].to_vec();
    for (name, s) in [("claim", claim), ("cut", cut)] {
        let p = dir.path().join(format!("{name}.snap"));
        std::fs::write(&p, util::snap(&meta, &s)).unwrap();
        let (code, err, rss) = util::run_measured(&["verify", p.to_str().unwrap()]);
        assert_eq!(code, 3, "{name}: {err}");
        assert!(rss < util::RSS_LIMIT_KB, "{name}: peak RSS {rss} KiB");
    }
    let (code, out, _) = verify_cli(&[dir.path().join("claim.snap").to_str().unwrap()]);
    assert_eq!(code, 3);
    assert!(out.contains("state.bin ends inside a record"), "{out}");
    assert!(out.contains("record 1 (KVS)"), "{out}");
}

fn schema() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(root().join("docs/verify.schema.json")).unwrap())
        .unwrap()
}

#[test]
fn json_output_follows_the_documented_schema() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.snap"), b"not a snapshot at all").unwrap();
    let (code, out, _) = verify_cli(&[
        "--format",
        "json",
        "testdata",
        "testdata/raw/kv-2-38",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 3);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let files = doc["files"].as_array().unwrap();
    // testdata/*.snap (5 Consul, 1 Nomad, 1 Vault), the three raft directories under
    // testdata/raw/ that the walk finds, the raw directory named again, and bad.snap.
    assert_eq!(files.len(), 12);
    for product in ["nomad", "vault"] {
        let path = format!("testdata/{product}.snap");
        let f = files.iter().find(|f| f["path"] == path[..]).unwrap();
        assert_eq!(f["product"], product);
        assert_eq!(f["valid"], true);
    }
    let bad = files
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("bad.snap"))
        .unwrap();
    assert_eq!(bad["valid"], false);
    assert_eq!(bad["error"]["check"], "gzip");
    let kv = files
        .iter()
        .find(|f| f["path"] == "testdata/kv.snap")
        .unwrap();
    assert_eq!(kv["record_counts"]["KVS"], 27);
    assert_eq!(kv["last_index"], 38);
    // The schema is strict enough to reject a document that breaks it.
    let mut broken = doc.clone();
    broken["files"][0]["valid"] = serde_json::json!("yes");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn prometheus_file_parses_as_exposition_format() {
    let dir = tempfile::tempdir().unwrap();
    let prom = dir.path().join("snap.prom");
    let (code, _, err) = verify_cli(&["-q", "--prometheus", prom.to_str().unwrap(), "testdata"]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&prom).unwrap();
    let lines = text.lines().map(|l| Ok(l.to_string()));
    let scrape = prometheus_parse::Scrape::parse(lines).unwrap();
    let valid: Vec<_> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == "snapinspect_snapshot_valid")
        .collect();
    assert_eq!(valid.len(), 10); // testdata/*.snap (nomad.snap and vault.snap too) and the raft directories of testdata/raw/
    for s in &valid {
        assert!(matches!(s.value, prometheus_parse::Value::Gauge(v) if v == 1.0));
    }
    let kvs = scrape
        .samples
        .iter()
        .find(|s| {
            s.metric == "snapinspect_snapshot_records"
                && s.labels.get("type") == Some("KVS")
                && s.labels.get("path") == Some("testdata/kv.snap")
        })
        .unwrap();
    assert!(matches!(kvs.value, prometheus_parse::Value::Gauge(v) if v == 27.0));
    assert!(scrape
        .samples
        .iter()
        .any(|s| s.metric == "snapinspect_snapshot_age_seconds"));
    assert!(scrape
        .docs
        .contains_key("snapinspect_verify_last_run_timestamp_seconds"));
    // Written atomically: nothing else is left in the directory.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn a_directory_of_valid_and_broken_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(util::testdata("kv.snap")).unwrap();
    std::fs::write(dir.path().join("a-good.snap"), &good).unwrap();
    std::fs::write(dir.path().join("b-truncated.snap"), &good[..good.len() / 2]).unwrap();
    std::fs::create_dir(dir.path().join("nested")).unwrap();
    std::fs::write(
        dir.path().join("nested/c-good.snap"),
        std::fs::read(util::testdata("basic.snap")).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("notes.txt"),
        b"not a snapshot, not looked at",
    )
    .unwrap();
    let (code, out, _) = verify_cli(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 3, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert_eq!(lines[3], "3 checked: 2 OK, 1 FAILED");
    assert!(
        lines[0].starts_with("OK")
            && lines[0].contains("a-good.snap")
            && lines[0].contains("index=38 records=44 size=75216")
    );
    assert!(
        lines[1].starts_with("FAIL")
            && lines[1].contains("b-truncated.snap")
            && lines[1].contains("unexpected EOF")
    );
    assert!(lines[2].starts_with("OK") && lines[2].contains("c-good.snap"));
    let (code, out, _) = verify_cli(&["--quiet", dir.path().to_str().unwrap()]);
    assert_eq!(code, 3);
    assert_eq!(out.lines().count(), 1, "{out}");
    // A missing path is an I/O error.
    let (code, out, _) = verify_cli(&["testdata/kv.snap", "no-such.snap"]);
    assert_eq!(code, 4, "{out}");
}

fn snap_created_at(dir: &Path, name: &str, unix_ms: u64) -> String {
    let (meta_bytes, state) = util::members("basic.snap");
    let mut meta = SnapshotMeta::parse(&meta_bytes).unwrap();
    meta.id = format!("2-{}-{unix_ms}", meta.index);
    let p = dir.join(name);
    std::fs::write(&p, util::snap(&meta, &state)).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn max_age_fails_when_the_newest_valid_snapshot_is_too_old() {
    let dir = tempfile::tempdir().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let old = snap_created_at(dir.path(), "old.snap", now - 3 * 86_400_000);
    let (code, out, _) = verify_cli(&["--max-age", "36h", &old]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("STALE newest valid snapshot is 3days"),
        "{out}"
    );
    let fresh = snap_created_at(dir.path(), "fresh.snap", now - 3_600_000);
    let (code, out, _) = verify_cli(&["--max-age", "36h", &old, &fresh]);
    assert_eq!(code, 0, "{out}");
    // A broken fresh file does not count as fresh.
    std::fs::write(dir.path().join("fresh.snap"), b"broken").unwrap();
    let (code, _, _) = verify_cli(&["-q", "--max-age", "36h", &old]);
    assert_eq!(code, 1);
}
